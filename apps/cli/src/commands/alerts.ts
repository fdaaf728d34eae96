import type { AlertList, AlertRecord } from '@gantry/model';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatAge, formatLabels, formatTable, toJson } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession, type Session } from '../session.ts';
import { parseDuration } from '../duration.ts';

export interface AlertsOptions {
  team?: string;
  allTeams?: boolean;
  /** Matchers as amtool writes them: `alertname="Down",severity=~"page|critical"`. */
  filter?: string;
  /** firing (default), resolved or all. */
  state?: string;
  output?: string;
  noHeaders?: boolean;
  watch?: boolean;
  /** Poll interval of --watch. */
  interval?: string;
}

const PAGE = 1000;

/**
 * `gantry alerts`: a team's alerts (`GET /api/teams/{team}/alerts`; `-A`, every team's for admins),
 * firing ones by default. `--watch` polls and prints each alert again when it changes (new sequence number).
 */
export async function alerts(
  env: CommandEnv,
  options: AlertsOptions,
  watch: { signal?: AbortSignal; sleep?: (ms: number) => Promise<void> } = {},
): Promise<void> {
  const format = options.output ?? 'table';
  if (!['table', 'wide', 'json', 'yaml'].includes(format))
    throw new CliError(`unknown output format "${format}" (one of: table, wide, json, yaml)`);
  const state = options.state ?? 'firing';
  if (!['firing', 'resolved', 'all'].includes(state))
    throw new CliError(`invalid --state "${state}": one of firing, resolved, all`);
  if (options.watch && (format === 'json' || format === 'yaml'))
    throw new CliError('--watch prints a table; use -o table or -o wide');
  const session = await openSession(env, options.team);
  const path = options.allTeams ? '/api/alerts' : `/api/teams/${encodeURIComponent(session.team)}/alerts`;
  const query = {
    ...(options.filter ? { filter: options.filter } : {}),
    ...(state !== 'all' ? { state } : {}),
  };
  const items = await listAll(session, path, query);
  if (format === 'json' || format === 'yaml') {
    env.io.out((format === 'json' ? toJson : toYaml)({ items }));
    return;
  }
  const wide = format === 'wide';
  const noHeaders = options.noHeaders === true;
  if (!options.watch) {
    if (items.length === 0) {
      env.io.err('No alerts found.\n');
      return;
    }
    const table = alertTable(items, { now: env.io.now(), wide, team: !!options.allTeams });
    env.io.out(formatTable(table.headers, table.rows, { noHeaders }));
    return;
  }
  const intervalMs = parseDuration(options.interval ?? '2s');
  const sleep = watch.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let seen = 0;
  let first = true;
  // Watching shows every change, resolves included, once each: the newest sequence number moves on.
  const { state: _state, ...changes } = query;
  while (!watch.signal?.aborted) {
    const current = first ? items : await listAll(session, path, { ...changes });
    const fresh = current.filter((alert) => alert.seq > seen).sort((a, b) => a.seq - b.seq);
    if (fresh.length > 0) {
      const table = alertTable(fresh, { now: env.io.now(), wide, team: !!options.allTeams, keepOrder: true });
      env.io.out(formatTable(table.headers, table.rows, { noHeaders: noHeaders || !first }));
      seen = Math.max(seen, ...fresh.map((alert) => alert.seq));
    }
    first = false;
    await sleep(intervalMs);
  }
}

async function listAll(
  session: Session,
  path: string,
  query: Record<string, string>,
): Promise<AlertRecord[]> {
  const items: AlertRecord[] = [];
  let token: string | undefined;
  do {
    const page = await session.client.request<AlertList>('GET', path, {
      query: { ...query, limit: String(PAGE), continue: token },
    });
    items.push(...page.items);
    token = page.continue;
  } while (token);
  return items;
}

/** ALERTNAME, STATE, SEVERITY, AGE, CONCERNS, SUMMARY; wide adds FINGERPRINT and LABELS; -A adds TEAM. */
export function alertTable(
  items: readonly AlertRecord[],
  options: { now: Date; wide: boolean; team: boolean; keepOrder?: boolean },
): { headers: string[]; rows: string[][] } {
  const sorted = options.keepOrder
    ? items
    : [...items].sort(
        (a, b) => a.startsAt.localeCompare(b.startsAt) || a.fingerprint.localeCompare(b.fingerprint),
      );
  return {
    headers: [
      ...(options.team ? ['TEAM'] : []),
      'ALERTNAME',
      'STATE',
      'SEVERITY',
      'AGE',
      'CONCERNS',
      'SUMMARY',
      ...(options.wide ? ['FINGERPRINT', 'LABELS'] : []),
    ],
    rows: sorted.map((alert) => {
      const { alertname = '', severity = '', ...rest } = alert.labels;
      return [
        ...(options.team ? [alert.team] : []),
        alertname,
        alert.state,
        severity,
        formatAge(alert.startsAt, options.now),
        concerns(alert),
        (alert.annotations.summary ?? '').replace(/\s+/g, ' ').trim(),
        ...(options.wide ? [alert.fingerprint, formatLabels(rest)] : []),
      ];
    }),
  };
}

/** The entities an alert names, most specific last: `cluster/prod node/w-3 ns/kafka app/broker`. */
function concerns(alert: AlertRecord): string {
  const { cluster, node, namespace, application, component } = alert.entities;
  return [
    cluster && `cluster/${cluster}`,
    node && `node/${node}`,
    namespace && `ns/${namespace}`,
    application && `app/${application}${component ? `/${component}` : ''}`,
  ]
    .filter(Boolean)
    .join(' ');
}
