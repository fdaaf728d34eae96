import { formatMatcher, parseMatchers } from '@gantry/alerts/matchers';
import type { AlertMatcher, GettableSilence } from '@gantry/model';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { parseDuration } from '../duration.ts';
import { formatAge, formatTable, toJson } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession } from '../session.ts';

export interface SilenceCreateOptions {
  team?: string;
  duration?: string;
  comment?: string;
  author?: string;
  output?: string;
}

export interface SilenceListOptions {
  team?: string;
  expired?: boolean;
  output?: string;
  noHeaders?: boolean;
}

const base = (team: string) => `/api/teams/${encodeURIComponent(team)}/alertmanager/api/v2`;

/** Matchers as amtool takes them: each argument one or more (`alertname=Down`, `'severity=~"page|crit"'`). */
export function matchersOf(args: readonly string[]): AlertMatcher[] {
  const matchers: AlertMatcher[] = [];
  for (const arg of args) {
    const parsed = parseMatchers(arg);
    if (!parsed.ok) throw new CliError(`invalid matcher "${arg}": ${parsed.error}`);
    matchers.push(...parsed.matchers);
  }
  if (matchers.length === 0) throw new CliError('a silence needs at least one matcher, e.g. alertname=Down');
  return matchers;
}

/** `gantry silence create MATCHER...`: a Silence of the team from now for --duration; prints its id. */
export async function createSilence(
  env: CommandEnv,
  args: readonly string[],
  options: SilenceCreateOptions,
): Promise<void> {
  const matchers = matchersOf(args);
  const durationMs = parseDuration(options.duration ?? '1h');
  if (durationMs <= 0) throw new CliError('--duration must be more than 0');
  const session = await openSession(env, options.team);
  const now = env.io.now().getTime();
  const { silenceID } = await session.client.request<{ silenceID: string }>(
    'POST',
    `${base(session.team)}/silences`,
    {
      body: {
        matchers,
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + durationMs).toISOString(),
        createdBy: options.author ?? '',
        comment: options.comment ?? '',
      },
    },
  );
  env.io.out(`${silenceID}\n`);
}

/** `gantry silence list`: the team's active and pending silences (`--expired`: the expired ones). */
export async function listSilences(env: CommandEnv, options: SilenceListOptions): Promise<void> {
  const format = options.output ?? 'table';
  if (!['table', 'json', 'yaml'].includes(format))
    throw new CliError(`unknown output format "${format}" (one of: table, json, yaml)`);
  const session = await openSession(env, options.team);
  const all = await session.client.request<GettableSilence[]>('GET', `${base(session.team)}/silences`);
  const items = all.filter((silence) => (silence.status.state === 'expired') === (options.expired === true));
  if (format !== 'table') {
    env.io.out((format === 'json' ? toJson : toYaml)({ items }));
    return;
  }
  if (items.length === 0) {
    env.io.err(options.expired ? 'No expired silences.\n' : 'No silences.\n');
    return;
  }
  const now = env.io.now();
  env.io.out(
    formatTable(
      ['ID', 'MATCHERS', 'STATE', 'ENDS', 'CREATED BY', 'COMMENT'],
      items.map((silence) => [
        silence.id,
        silence.matchers.map(formatMatcher).join(','),
        silence.status.state,
        until(silence.endsAt, now),
        silence.createdBy,
        silence.comment.replace(/\s+/g, ' ').trim(),
      ]),
      { noHeaders: options.noHeaders === true },
    ),
  );
}

/** `gantry silence expire ID...`: endsAt becomes now. */
export async function expireSilences(
  env: CommandEnv,
  ids: readonly string[],
  options: { team?: string },
): Promise<void> {
  if (ids.length === 0)
    throw new CliError('name the silences to expire (gantry silence list shows their ids)');
  const session = await openSession(env, options.team);
  for (const id of ids) {
    await session.client.request('DELETE', `${base(session.team)}/silence/${encodeURIComponent(id)}`);
    env.io.out(`silence ${id} expired\n`);
  }
}

function until(time: string, now: Date): string {
  const ms = Date.parse(time) - now.getTime();
  return ms > 0
    ? `in ${formatAge(new Date(now.getTime() - ms).toISOString(), now)}`
    : `${formatAge(time, now)} ago`;
}
