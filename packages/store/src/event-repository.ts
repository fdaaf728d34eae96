import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { EventRecord, EventSource } from '@gantry/model';
import type { Dialect } from './dialect.ts';
import { checkFence, type WriteFence } from './fence.ts';
import type { Database, EventTable } from './schema.ts';

/** A Kubernetes Event as observed: the source's own id identifies it, its count is absolute. */
export type ObservedEvent = Omit<EventRecord, 'id'> & { externalId: string };

/** One of Gantry's own events, possibly several occurrences folded (`count`) over firstSeen..lastSeen. */
export type GantryEventRow = Omit<EventRecord, 'id' | 'source'>;

/** What `query` selects; the API's own parameters (`EventQuery` in @gantry/model) map onto it. */
export interface EventRecordQuery {
  /** Team names; `''` is the team of global objects. */
  teams?: readonly string[];
  /** `team/name` of a cluster. */
  cluster?: string;
  namespace?: string;
  objectKind?: string;
  objectName?: string;
  type?: string;
  reason?: string;
  source?: EventSource;
  since?: string;
  /** Resume after this record in the (lastSeen, id) descending order. */
  after?: { lastSeen: string; id: number };
  limit: number;
}

const CHUNK = 200;

/**
 * The folding key of a Gantry event: the same regarded object, type, reason and message is one record
 * whose count and lastSeen move (ADR 0009). Hashed to fit `external_id`.
 */
export function gantryEventKey(
  event: Omit<GantryEventRow, 'actor' | 'count' | 'firstSeen' | 'lastSeen'>,
): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        event.team,
        event.cluster,
        event.namespace,
        event.objectKind,
        event.objectName,
        event.type,
        event.reason,
        event.message,
      ]),
    )
    .digest('hex');
}

/** Event records: objective facts at a point in time, newest first. */
export class EventRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Inserts new records and updates repeats of known ones (same source and external id). With `fence` (the
   * cluster watches of the holder of `controller/cluster`) the lease is checked first in the same
   * transaction and a write of a term that is over is refused (ADR 0028).
   */
  async upsert(records: readonly ObservedEvent[], fence?: WriteFence): Promise<void> {
    if (records.length === 0) return;
    const unique = new Map(records.map((record) => [`${record.source}\u0000${record.externalId}`, record]));
    const all = [...unique.values()];
    await this.db.transaction().execute(async (tx) => {
      if (fence) await checkFence(tx, this.dialect, fence);
      for (let i = 0; i < all.length; i += CHUNK) {
        await tx
          .insertInto('events')
          .values(all.slice(i, i + CHUNK).map((record) => toRow(record, record.externalId)))
          .onConflict((oc) =>
            oc.columns(['source', 'external_id']).doUpdateSet((eb) => ({
              message: eb.ref('excluded.message'),
              count: eb.ref('excluded.count'),
              last_seen: eb.ref('excluded.last_seen'),
              type: eb.ref('excluded.type'),
              actor: eb.ref('excluded.actor'),
            })),
          )
          .execute();
      }
    });
  }

  /**
   * Records Gantry's own events, folding repeats: a record with the same key as a stored one adds its
   * count to it and moves its lastSeen (and actor) forward; the first occurrence's firstSeen stays. With
   * `fence` (events a leader records about what it did in its term) the lease is checked first in the same
   * transaction, and the whole batch is refused (`FencedWriteRefused`) when the term is over (ADR 0028).
   */
  async fold(events: readonly GantryEventRow[], fence?: WriteFence): Promise<void> {
    if (events.length === 0) return;
    const byKey = new Map<string, GantryEventRow>();
    for (const event of events) {
      const key = gantryEventKey(event);
      const known = byKey.get(key);
      byKey.set(
        key,
        known
          ? {
              ...event,
              count: known.count + event.count,
              firstSeen: known.firstSeen < event.firstSeen ? known.firstSeen : event.firstSeen,
              lastSeen: known.lastSeen > event.lastSeen ? known.lastSeen : event.lastSeen,
            }
          : event,
      );
    }
    const rows = [...byKey].map(([key, event]) => toRow({ ...event, source: 'gantry' }, key));
    await this.db.transaction().execute(async (tx) => {
      if (fence) await checkFence(tx, this.dialect, fence);
      for (let i = 0; i < rows.length; i += CHUNK) {
        await tx
          .insertInto('events')
          .values(rows.slice(i, i + CHUNK))
          .onConflict((oc) =>
            oc.columns(['source', 'external_id']).doUpdateSet((eb) => ({
              count: eb('events.count', '+', eb.ref('excluded.count')),
              last_seen: eb.ref('excluded.last_seen'),
              actor: eb.ref('excluded.actor'),
            })),
          )
          .execute();
      }
    });
  }

  async query(
    query: EventRecordQuery,
  ): Promise<{ items: EventRecord[]; next?: { lastSeen: string; id: number } }> {
    if (query.teams?.length === 0) return { items: [] };
    let select = this.db.selectFrom('events').selectAll();
    if (query.teams) select = select.where('team', 'in', query.teams);
    if (query.cluster) select = select.where('cluster', '=', query.cluster);
    if (query.namespace !== undefined) select = select.where('namespace', '=', query.namespace);
    if (query.objectKind) select = select.where('object_kind', '=', query.objectKind);
    if (query.objectName) select = select.where('object_name', '=', query.objectName);
    if (query.type) select = select.where('type', '=', query.type);
    if (query.reason) select = select.where('reason', '=', query.reason);
    if (query.source) select = select.where('source', '=', query.source);
    if (query.since) select = select.where('last_seen', '>=', query.since);
    if (query.after) {
      const { lastSeen, id } = query.after;
      select = select.where((eb) =>
        eb.or([eb('last_seen', '<', lastSeen), eb.and([eb('last_seen', '=', lastSeen), eb('id', '<', id)])]),
      );
    }
    // Newest first by when the event was last seen: a repeat moves its record to the top.
    const rows = await select
      .orderBy('last_seen', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
      .execute();
    const items = rows.slice(0, query.limit).map(eventFromRow);
    const last = items.at(-1);
    return rows.length > query.limit && last
      ? { items, next: { lastSeen: last.lastSeen, id: last.id } }
      : { items };
  }

  /** Retention: removes every record (of either source) last seen before `cutoff`; returns how many. */
  async deleteLastSeenBefore(cutoff: string): Promise<number> {
    const result = await this.db.deleteFrom('events').where('last_seen', '<', cutoff).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteCluster(cluster: string): Promise<void> {
    await this.db.deleteFrom('events').where('cluster', '=', cluster).execute();
  }
}

/** A row of `events` as the API shows it. */
export function eventFromRow(row: Selectable<EventTable>): EventRecord {
  return {
    id: Number(row.id),
    source: row.source as EventSource,
    team: row.team,
    cluster: row.cluster,
    namespace: row.namespace,
    objectKind: row.object_kind,
    objectName: row.object_name,
    type: row.type,
    reason: row.reason,
    message: row.message,
    actor: row.actor,
    count: row.count,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
  };
}

/** Strings cut to their column's width: PostgreSQL refuses a longer one, and an event must not be lost. */
function toRow(record: Omit<EventRecord, 'id'>, externalId: string) {
  return {
    source: record.source,
    external_id: externalId,
    team: record.team.slice(0, 63),
    cluster: record.cluster.slice(0, 130),
    namespace: record.namespace.slice(0, 253),
    object_kind: record.objectKind.slice(0, 63),
    object_name: record.objectName.slice(0, 253),
    type: record.type.slice(0, 32),
    reason: record.reason.slice(0, 128),
    message: record.message,
    actor: record.actor.slice(0, 253),
    count: record.count,
    first_seen: record.firstSeen,
    last_seen: record.lastSeen,
  };
}
