import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface EventRecord {
  id?: number;
  source: string;
  externalId: string;
  team: string;
  cluster: string;
  namespace: string;
  objectKind: string;
  objectName: string;
  type: string;
  reason: string;
  message: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

export interface EventQuery {
  teams?: readonly string[];
  cluster?: string;
  namespace?: string;
  objectKind?: string;
  objectName?: string;
  type?: string;
  since?: string;
  /** Resume after this record in the (lastSeen, id) descending order. */
  after?: { lastSeen: string; id: number };
  limit: number;
}

const CHUNK = 200;

/** Event records: objective facts at a point in time, newest first. */
export class EventRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts new records and updates repeats of known ones (same source and external id). */
  async upsert(records: readonly EventRecord[]): Promise<void> {
    if (records.length === 0) return;
    const unique = new Map(records.map((record) => [`${record.source}\u0000${record.externalId}`, record]));
    const all = [...unique.values()];
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < all.length; i += CHUNK) {
        await tx
          .insertInto('events')
          .values(
            all.slice(i, i + CHUNK).map((record) => ({
              source: record.source,
              external_id: record.externalId,
              team: record.team,
              cluster: record.cluster,
              namespace: record.namespace,
              object_kind: record.objectKind,
              object_name: record.objectName,
              type: record.type,
              reason: record.reason,
              message: record.message,
              count: record.count,
              first_seen: record.firstSeen,
              last_seen: record.lastSeen,
            })),
          )
          .onConflict((oc) =>
            oc.columns(['source', 'external_id']).doUpdateSet((eb) => ({
              message: eb.ref('excluded.message'),
              count: eb.ref('excluded.count'),
              last_seen: eb.ref('excluded.last_seen'),
              type: eb.ref('excluded.type'),
            })),
          )
          .execute();
      }
    });
  }

  async query(query: EventQuery): Promise<{ items: EventRecord[]; next?: { lastSeen: string; id: number } }> {
    if (query.teams?.length === 0) return { items: [] };
    let select = this.db.selectFrom('events').selectAll();
    if (query.teams) select = select.where('team', 'in', query.teams);
    if (query.cluster) select = select.where('cluster', '=', query.cluster);
    if (query.namespace !== undefined) select = select.where('namespace', '=', query.namespace);
    if (query.objectKind) select = select.where('object_kind', '=', query.objectKind);
    if (query.objectName) select = select.where('object_name', '=', query.objectName);
    if (query.type) select = select.where('type', '=', query.type);
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
    const items = rows.slice(0, query.limit).map((row) => ({
      id: Number(row.id),
      source: row.source,
      externalId: row.external_id,
      team: row.team,
      cluster: row.cluster,
      namespace: row.namespace,
      objectKind: row.object_kind,
      objectName: row.object_name,
      type: row.type,
      reason: row.reason,
      message: row.message,
      count: row.count,
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
    }));
    const last = items.at(-1);
    return rows.length > query.limit && last?.id !== undefined
      ? { items, next: { lastSeen: last.lastSeen, id: last.id } }
      : { items };
  }

  async deleteCluster(cluster: string): Promise<void> {
    await this.db.deleteFrom('events').where('cluster', '=', cluster).execute();
  }
}
