import type { JoinToken, JoinTokenCreated, JoinTokenList } from '@gantry/model';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatTable, toJson } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession } from '../session.ts';
import { parseDuration } from '../duration.ts';

const tokensPath = (team: string) => `/api/teams/${encodeURIComponent(team)}/join-tokens`;

export interface CreateJoinTokenOptions {
  team?: string;
  ttl?: string;
  uses?: string;
  description?: string;
  labels?: string;
}

/** `gantry join-token create`: prints the token (shown this once) and how to start an agent with it. */
export async function createJoinToken(env: CommandEnv, options: CreateJoinTokenOptions): Promise<void> {
  const session = await openSession(env, options.team);
  const uses = options.uses === undefined ? undefined : Number(options.uses);
  if (uses !== undefined && (!Number.isInteger(uses) || uses < 1))
    throw new CliError('--uses must be a whole number from 1');
  const ttlSeconds = options.ttl === undefined ? undefined : Math.round(parseDuration(options.ttl) / 1000);
  const labels: Record<string, string> = {};
  for (const pair of (options.labels ?? '').split(',').filter((item) => item.trim() !== '')) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`invalid label "${pair}": use key=value`);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const created = await session.client.request<JoinTokenCreated>('POST', tokensPath(session.team), {
    body: {
      ...(options.description ? { description: options.description } : {}),
      ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
      ...(uses !== undefined ? { uses } : {}),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
    },
  });
  env.io.out(`${created.token}\n`);
  env.io.err(
    `join token ${created.joinToken.id} for team ${session.team}: ${created.joinToken.maxUses} use(s), expires ${created.joinToken.expiresAt}\n` +
      `start an agent with: gantry agent --server ${session.context.server} --join-token ${created.token}\n`,
  );
}

export async function listJoinTokens(
  env: CommandEnv,
  options: { team?: string; output?: string },
): Promise<void> {
  const session = await openSession(env, options.team);
  const { items } = await session.client.request<JoinTokenList>('GET', tokensPath(session.team));
  const format = options.output ?? 'table';
  if (format === 'json' || format === 'yaml') {
    env.io.out((format === 'json' ? toJson : toYaml)({ items }));
    return;
  }
  if (items.length === 0) {
    env.io.err(`No join tokens in team ${session.team}.\n`);
    return;
  }
  env.io.out(
    formatTable(
      ['id', 'state', 'uses', 'expires', 'created by', 'description'],
      items.map((token: JoinToken) => [
        token.id,
        token.state,
        `${token.uses}/${token.maxUses}`,
        token.expiresAt,
        token.createdBy,
        token.description,
      ]),
    ),
  );
}

export async function revokeJoinToken(
  env: CommandEnv,
  id: string,
  options: { team?: string },
): Promise<void> {
  const session = await openSession(env, options.team);
  const token = await session.client.request<JoinToken>(
    'DELETE',
    `${tokensPath(session.team)}/${encodeURIComponent(id)}`,
  );
  env.io.out(`join token ${token.id} revoked\n`);
}
