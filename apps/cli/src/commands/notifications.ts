import type { NotificationList, NotificationRecord } from '@gantry/model';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatAge, formatTable, toJson } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession } from '../session.ts';

export interface NotificationsOptions {
  team?: string;
  channel?: string;
  state?: string;
  groupKey?: string;
  limit?: string;
  output?: string;
  noHeaders?: boolean;
}

const STATES = ['pending', 'sending', 'delivered', 'failed', 'superseded'];
const PAGE_SIZE = 500;

/**
 * `gantry notifications`: a team's delivery log (`GET /api/teams/{team}/notifications`), newest first —
 * each notification's channel, state, attempts, group and last error.
 */
export async function notifications(env: CommandEnv, options: NotificationsOptions): Promise<void> {
  const format = options.output ?? 'table';
  if (!['table', 'json', 'yaml'].includes(format))
    throw new CliError(`unknown output format "${format}" (one of: table, json, yaml)`);
  if (options.state !== undefined && !STATES.includes(options.state))
    throw new CliError(`invalid --state "${options.state}": one of ${STATES.join(', ')}`);
  const max = options.limit === undefined ? 100 : Number(options.limit);
  if (!Number.isInteger(max) || max < 1)
    throw new CliError(`--limit must be a positive integer (got ${options.limit})`);
  const session = await openSession(env, options.team);
  const items: NotificationRecord[] = [];
  let token: string | undefined;
  do {
    const page = await session.client.request<NotificationList>(
      'GET',
      `/api/teams/${encodeURIComponent(session.team)}/notifications`,
      {
        query: {
          channel: options.channel,
          state: options.state,
          groupKey: options.groupKey,
          limit: String(Math.min(PAGE_SIZE, max - items.length)),
          continue: token,
        },
      },
    );
    items.push(...page.items);
    token = page.continue;
  } while (token !== undefined && token !== '' && items.length < max);
  if (format === 'json' || format === 'yaml') {
    env.io.out((format === 'json' ? toJson : toYaml)({ items }));
    return;
  }
  if (items.length === 0) {
    env.io.err('No notifications found.\n');
    return;
  }
  const table = notificationTable(items, env.io.now());
  env.io.out(formatTable(table.headers, table.rows, { noHeaders: options.noHeaders === true }));
}

/** ID, CHANNEL, STATE, STATUS, ALERTS, ATTEMPTS, AGE, GROUP, ERROR — newest first, as the API gives them. */
export function notificationTable(
  items: readonly NotificationRecord[],
  now: Date,
): { headers: string[]; rows: string[][] } {
  return {
    headers: ['ID', 'CHANNEL', 'STATE', 'STATUS', 'ALERTS', 'ATTEMPTS', 'AGE', 'GROUP', 'ERROR'],
    rows: items.map((item) => [
      item.id.slice(0, 8),
      item.channel,
      item.state,
      item.status,
      String(item.alerts),
      String(item.attempts),
      formatAge(item.createdAt, now),
      item.groupKey,
      (item.lastError ?? '').replace(/\s+/g, ' '),
    ]),
  };
}
