import {
  FAILURE_LEVELS,
  HEALTH_STREAM_KINDS,
  InputError,
  type EventRecord,
  type ExceptionRecord,
  type ExceptionSeverity,
  type FailureLevelName,
  type HealthStreamItem,
  type HealthStreamKind,
  type Risk,
} from '@gantry/model';
import { alertState, type StoredAlert } from '@gantry/store';
import type { StreamTable, TaggedRow } from './merge.ts';

/** What the stream keeps (`GET /api/teams/{team}/health/stream`'s filters, checked). */
export interface StreamFilter {
  kinds: ReadonlySet<HealthStreamKind>;
  severity?: ExceptionSeverity;
  levels?: ReadonlySet<FailureLevelName>;
  entity?: { kind: string; name: string };
  cluster?: string;
  /** Lower case. */
  text?: string;
}

export interface StreamFilterInput {
  kinds?: string;
  severity?: ExceptionSeverity;
  level?: string;
  entity?: string;
  cluster?: string;
  q?: string;
}

/** The filter of the API's parameters; what the route's schema cannot check is a 400 with its parameter. */
export function decodeStreamFilter(input: StreamFilterInput): StreamFilter {
  const kinds = new Set<HealthStreamKind>();
  for (const kind of input.kinds ? input.kinds.split(',') : HEALTH_STREAM_KINDS) {
    if (!(HEALTH_STREAM_KINDS as readonly string[]).includes(kind))
      throw new InputError(`unknown kind ${kind}`, [
        { path: 'querystring/kinds', message: `must be among ${HEALTH_STREAM_KINDS.join(', ')}` },
      ]);
    kinds.add(kind as HealthStreamKind);
  }
  let levels: Set<FailureLevelName> | undefined;
  if (input.level) {
    levels = new Set();
    for (const level of input.level.split(',')) {
      if (!(FAILURE_LEVELS as readonly string[]).includes(level))
        throw new InputError(`unknown level ${level}`, [
          { path: 'querystring/level', message: `must be among ${FAILURE_LEVELS.join(', ')}` },
        ]);
      levels.add(level as FailureLevelName);
    }
  }
  let entity: StreamFilter['entity'];
  if (input.entity) {
    const slash = input.entity.indexOf('/');
    if (slash < 1 || slash === input.entity.length - 1)
      throw new InputError('entity must be Kind/name', [
        { path: 'querystring/entity', message: 'must be Kind/name' },
      ]);
    entity = { kind: input.entity.slice(0, slash), name: input.entity.slice(slash + 1) };
  }
  const text = input.q?.trim().toLowerCase();
  return {
    kinds,
    ...(input.severity ? { severity: input.severity } : {}),
    ...(levels ? { levels } : {}),
    ...(entity ? { entity } : {}),
    ...(input.cluster ? { cluster: input.cluster } : {}),
    ...(text ? { text } : {}),
  };
}

/** The tables that hold the kinds asked for. */
export function tablesOf(kinds: ReadonlySet<HealthStreamKind>): StreamTable[] {
  const tables = new Set<StreamTable>();
  for (const kind of kinds) tables.add(kind === 'failure' ? 'exception' : kind);
  return [...tables];
}

/** A row read from a table as the stream's item, its state read at `now` (ISO). */
export function toStreamItem({ table, row }: TaggedRow, now: string): HealthStreamItem {
  const changedAt = row.changedAt;
  switch (table) {
    case 'event': {
      const event = row.record as EventRecord;
      return { kind: 'event', key: `event/${event.id}`, at: event.lastSeen, changedAt, event };
    }
    case 'alert': {
      const stored = row.record as StoredAlert;
      const state = alertState(stored, now);
      return {
        kind: 'alert',
        key: `alert/${stored.fingerprint}`,
        at: state === 'resolved' ? stored.endsAt : stored.startsAt,
        changedAt,
        alert: { ...stored, state },
      };
    }
    case 'exception': {
      const exception = row.record as ExceptionRecord;
      const key = `exception/${exception.id}`;
      return exception.level
        ? { kind: 'failure', key, at: exception.changedAt, changedAt, exception }
        : { kind: 'exception', key, at: exception.changedAt, changedAt, exception };
    }
    case 'risk': {
      const risk = row.record as Risk;
      return { kind: 'risk', key: `risk/${risk.id}`, at: risk.goneAt ?? risk.firstSeenAt, changedAt, risk };
    }
  }
}

const ALERT_ENTITY: Readonly<Record<string, keyof StoredAlert['entities']>> = {
  Cluster: 'cluster',
  Node: 'node',
  Namespace: 'namespace',
  Application: 'application',
  Component: 'component',
};

/** Whether `item` passes every filter set. A filter a kind cannot meet (severity on an event) drops it. */
export function matchesStream(item: HealthStreamItem, filter: StreamFilter): boolean {
  if (!filter.kinds.has(item.kind)) return false;
  switch (item.kind) {
    case 'event': {
      const { event } = item;
      if (filter.severity || filter.levels) return false;
      const clusterName = event.cluster.slice(event.cluster.indexOf('/') + 1);
      if (
        filter.entity &&
        (event.objectKind !== filter.entity.kind || event.objectName !== filter.entity.name)
      )
        return false;
      if (
        filter.cluster &&
        !(event.cluster !== '' && clusterName === filter.cluster) &&
        !(event.objectKind === 'Cluster' && event.objectName === filter.cluster)
      )
        return false;
      return textIn(filter, [event.reason, event.message, event.objectKind, event.objectName, event.actor]);
    }
    case 'alert': {
      const { alert } = item;
      if (filter.levels) return false;
      if (filter.severity && alert.labels.severity !== filter.severity) return false;
      if (filter.entity) {
        const field = ALERT_ENTITY[filter.entity.kind];
        if (!field || alert.entities[field] !== filter.entity.name) return false;
      }
      if (filter.cluster && alert.entities.cluster !== filter.cluster) return false;
      return textIn(filter, [
        alert.fingerprint,
        ...Object.values(alert.labels),
        ...Object.values(alert.annotations),
      ]);
    }
    case 'exception':
    case 'failure': {
      const { exception } = item;
      if (filter.severity && exception.severity !== filter.severity) return false;
      if (filter.levels && !(exception.level && filter.levels.has(exception.level))) return false;
      if (!entitiesMatch(exception.entities, filter)) return false;
      return textIn(filter, [exception.id, exception.title, exception.assignee ?? '']);
    }
    case 'risk': {
      const { risk } = item;
      if (filter.severity || filter.levels) return false;
      if (!entitiesMatch(risk.entities, filter)) return false;
      return textIn(filter, [risk.title, risk.key, risk.source.name, risk.source.check]);
    }
  }
}

function entitiesMatch(
  entities: readonly { kind: string; name: string; cluster?: string }[],
  filter: StreamFilter,
): boolean {
  const { entity, cluster } = filter;
  const isEntity = (e: { kind: string; name: string }) =>
    !entity || (e.kind === entity.kind && e.name === entity.name);
  const onCluster = (e: { kind: string; name: string; cluster?: string }) =>
    !cluster || e.cluster === cluster || (e.kind === 'Cluster' && e.name === cluster);
  // With both, one entity must be that entity on that cluster.
  return (!entity && !cluster) || entities.some((e) => isEntity(e) && onCluster(e));
}

function textIn(filter: StreamFilter, values: readonly string[]): boolean {
  const text = filter.text;
  return text === undefined || values.some((value) => value.toLowerCase().includes(text));
}
