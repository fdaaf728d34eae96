import { CliError } from '../errors.ts';
import { fleetScope, type FleetScope } from '../fleet-scope.ts';
import type { EventRecord } from '@gantry/client';
import type { CommandEnv } from '../io.ts';
import { clusterLabel } from '../inventory-tables.ts';
import { parseObjectRef } from '../kube-kinds.ts';
import { formatAge, formatTable, toJson, toYaml } from '../output.ts';
import { openSession } from '../session.ts';

export interface EventsOptions {
  cluster?: string;
  namespace?: string;
  team?: string;
  allTeams?: boolean;
  /** `KIND/NAME`. */
  for?: string;
  /** `Normal`, `Warning`, or both comma-separated (kubectl's `--types`). */
  types?: string;
  limit?: string;
  output?: string;
  noHeaders?: boolean;
}

const EVENT_TYPES = ['Normal', 'Warning'] as const;

/**
 * `gantry events`: the event records of the clusters (`GET /api/events`), kubectl-events style — oldest
 * first so the newest is next to the prompt, with CLUSTER and NAMESPACE columns when they vary.
 */
export async function events(env: CommandEnv, options: EventsOptions): Promise<void> {
  const format = options.output ?? 'table';
  if (!['table', 'json', 'yaml'].includes(format))
    throw new CliError(`unknown output format "${format}" (one of: table, json, yaml)`);
  const type = eventTypeFilter(options.types);
  const object = options.for === undefined ? undefined : parseObjectRef(options.for);
  const max = options.limit === undefined ? undefined : parseLimit(options.limit);

  const session = await openSession(env, options.team);
  const scope = fleetScope(session, options);
  const records = await session.client.events(
    { ...scope, namespace: options.namespace, kind: object?.kind, name: object?.name, type },
    max,
  );
  if (format === 'json' || format === 'yaml') {
    env.io.out((format === 'json' ? toJson : toYaml)({ items: records }));
    return;
  }
  if (records.length === 0) {
    env.io.err('No events found.\n');
    return;
  }
  const table = eventTable(records, { now: env.io.now(), scope, namespace: options.namespace });
  env.io.out(formatTable(table.headers, table.rows, { noHeaders: options.noHeaders === true }));
}

/** `--types` as the API's single `type` filter: undefined when every type is wanted. */
export function eventTypeFilter(types: string | undefined): string | undefined {
  if (types === undefined) return undefined;
  const wanted = new Set<string>();
  for (const typed of types.split(',')) {
    const type = EVENT_TYPES.find((t) => t.toLowerCase() === typed.trim().toLowerCase());
    if (type === undefined)
      throw new CliError(`invalid --types "${typed.trim()}": one of ${EVENT_TYPES.join(', ')}`);
    wanted.add(type);
  }
  return wanted.size === 1 ? [...wanted][0] : undefined;
}

function parseLimit(text: string): number {
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1)
    throw new CliError(`--limit must be a positive integer (got ${text})`);
  return limit;
}

/**
 * LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, as `kubectl events` prints them: a repeated event's LAST
 * SEEN reads `2m (x5 over 10m)`, OBJECT is `Kind/name`; CLUSTER and NAMESPACE come first unless the
 * listing was narrowed to one. Rows are oldest first.
 */
export function eventTable(
  records: readonly EventRecord[],
  options: { now: Date; scope: FleetScope; namespace?: string | undefined },
): { headers: string[]; rows: string[][] } {
  const showCluster = options.scope.cluster === undefined;
  const showNamespace = options.namespace === undefined;
  const sorted = [...records].sort((a, b) => Date.parse(a.lastSeen) - Date.parse(b.lastSeen) || a.id - b.id);
  return {
    headers: [
      ...(showCluster ? ['CLUSTER'] : []),
      ...(showNamespace ? ['NAMESPACE'] : []),
      'LAST SEEN',
      'TYPE',
      'REASON',
      'OBJECT',
      'MESSAGE',
    ],
    rows: sorted.map((event) => [
      ...(showCluster ? [clusterLabel(event.cluster, options.scope.team)] : []),
      ...(showNamespace ? [event.namespace] : []),
      lastSeen(event, options.now),
      event.type,
      event.reason,
      event.objectKind === '' ? event.objectName : `${event.objectKind}/${event.objectName}`,
      event.message.replace(/\s+/g, ' ').trim(),
    ]),
  };
}

function lastSeen(event: EventRecord, now: Date): string {
  const last = formatAge(event.lastSeen, now);
  return event.count > 1 ? `${last} (x${event.count} over ${formatAge(event.firstSeen, now)})` : last;
}
