import { CliError } from '../errors.ts';
import { fleetScope, type FleetScope } from '../fleet-scope.ts';
import type { EventRecord, EventSource, EventType } from '@gantry/client';
import type { CommandEnv } from '../io.ts';
import { clusterLabel } from '../inventory-tables.ts';
import { parseObjectRef } from '../kube-kinds.ts';
import { formatAge, formatTable, toJson } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
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
  /** The same as `types`, for one type (`--type Warning`). */
  type?: string;
  /** `gantry` (Gantry's own events) or `kubernetes` (the clusters'). */
  source?: string;
  limit?: string;
  output?: string;
  noHeaders?: boolean;
}

const EVENT_TYPES = ['Normal', 'Warning'] as const satisfies readonly EventType[];
const EVENT_SOURCES = ['gantry', 'kubernetes'] as const satisfies readonly EventSource[];

/**
 * `gantry events`: the event records of both sources (`GET /api/events`: Gantry's own and the
 * clusters' Kubernetes Events), kubectl-events style — oldest first so the newest is next to the prompt,
 * with CLUSTER and NAMESPACE columns when they vary and who caused each (ACTOR).
 */
export async function events(env: CommandEnv, options: EventsOptions): Promise<void> {
  const format = options.output ?? 'table';
  if (!['table', 'json', 'yaml'].includes(format))
    throw new CliError(`unknown output format "${format}" (one of: table, json, yaml)`);
  if (options.types !== undefined && options.type !== undefined)
    throw new CliError('use either --type or --types, not both');
  const type = eventTypeFilter(options.types ?? options.type);
  const source = eventSourceFilter(options.source);
  const object = options.for === undefined ? undefined : parseObjectRef(options.for);
  const max = options.limit === undefined ? undefined : parseLimit(options.limit);

  const session = await openSession(env, options.team);
  const scope = fleetScope(session, options);
  const records = await session.client.events(
    {
      ...scope,
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      ...(object ? { kind: object.kind, name: object.name } : {}),
      ...(type ? { type } : {}),
      ...(source ? { source } : {}),
    },
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

/** `--source` as the API's `source` filter. */
export function eventSourceFilter(source: string | undefined): EventSource | undefined {
  if (source === undefined) return undefined;
  const known = EVENT_SOURCES.find((s) => s === source.trim().toLowerCase());
  if (known === undefined)
    throw new CliError(`invalid --source "${source}": one of ${EVENT_SOURCES.join(', ')}`);
  return known;
}

/** `--types` as the API's single `type` filter: undefined when every type is wanted. */
export function eventTypeFilter(types: string | undefined): EventType | undefined {
  if (types === undefined) return undefined;
  const wanted = new Set<EventType>();
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
 * LAST SEEN, TYPE, REASON, OBJECT, ACTOR, MESSAGE, as `kubectl events` prints them plus who caused the
 * event: a repeated event's LAST SEEN reads `2m (x5 over 10m)`, OBJECT is `Kind/name`, ACTOR a user or
 * `controller/<name>` for Gantry's events and the reporting component (`kubelet`) for Kubernetes ones.
 * CLUSTER and NAMESPACE come first unless the listing was narrowed to one. Rows are oldest first.
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
      'ACTOR',
      'MESSAGE',
    ],
    rows: sorted.map((event) => [
      ...(showCluster ? [clusterLabel(event.cluster, options.scope.team)] : []),
      ...(showNamespace ? [event.namespace] : []),
      lastSeen(event, options.now),
      event.type,
      event.reason,
      event.objectKind === '' ? event.objectName : `${event.objectKind}/${event.objectName}`,
      event.actor,
      event.message.replace(/\s+/g, ' ').trim(),
    ]),
  };
}

function lastSeen(event: EventRecord, now: Date): string {
  const last = formatAge(event.lastSeen, now);
  return event.count > 1 ? `${last} (x${event.count} over ${formatAge(event.firstSeen, now)})` : last;
}
