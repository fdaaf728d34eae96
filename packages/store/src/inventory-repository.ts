import type { Kysely, Transaction } from 'kysely';
import type { Dialect } from './dialect.ts';
import { checkFence, type WriteFence } from './fence.ts';
import type { Database } from './schema.ts';

export interface InventoryItem<Data = unknown> {
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  data: Data;
  updatedAt: string;
}

export interface InventoryQuery {
  clusters?: readonly string[];
  kind: string;
  namespace?: string;
  name?: string;
  limit: number;
  /** Resume after this (cluster, namespace, name). */
  after?: { cluster: string; namespace: string; name: string };
}

export type InventoryChange =
  | { op: 'upsert'; item: Omit<InventoryItem, 'updatedAt'> }
  | { op: 'delete'; cluster: string; kind: string; namespace: string; name: string };

const CHUNK = 200;

/**
 * What Gantry last saw in each cluster: upserted in batches by the watchers, read by the API. The watchers
 * run on the holder of `controller/cluster`, so their writes take the term's `fence` (ADR 0028): checked in
 * the write's own transaction, a write of a term that is over is refused (`FencedWriteRefused`) and changes
 * nothing.
 */
export class InventoryRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /** A write transaction that first checks `fence` (one primary-key read of the lease row) when given. */
  #write(fence: WriteFence | undefined, work: (tx: Transaction<Database>) => Promise<void>): Promise<void> {
    return this.db.transaction().execute(async (tx) => {
      if (fence) await checkFence(tx, this.dialect, fence);
      await work(tx);
    });
  }

  /** Applies a batch of changes in one transaction (later changes to one object win). */
  async apply(changes: readonly InventoryChange[], now: string, fence?: WriteFence): Promise<void> {
    if (changes.length === 0) return;
    const latest = new Map<string, InventoryChange>();
    for (const change of changes) {
      const target = change.op === 'upsert' ? change.item : change;
      latest.set(
        `${target.cluster}\u0000${target.kind}\u0000${target.namespace}\u0000${target.name}`,
        change,
      );
    }
    const upserts = [...latest.values()].flatMap((change) => (change.op === 'upsert' ? [change.item] : []));
    const deletes = [...latest.values()].flatMap((change) => (change.op === 'delete' ? [change] : []));
    await this.#write(fence, async (tx) => {
      for (let i = 0; i < upserts.length; i += CHUNK) {
        const rows = upserts.slice(i, i + CHUNK).map((item) => ({
          cluster: item.cluster,
          kind: item.kind,
          namespace: item.namespace,
          name: item.name,
          uid: item.uid,
          data: JSON.stringify(item.data),
          updated_at: now,
        }));
        await tx
          .insertInto('inventory')
          .values(rows)
          .onConflict((oc) =>
            oc.columns(['cluster', 'kind', 'namespace', 'name']).doUpdateSet((eb) => ({
              uid: eb.ref('excluded.uid'),
              data: eb.ref('excluded.data'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
      for (const item of deletes) {
        await tx
          .deleteFrom('inventory')
          .where('cluster', '=', item.cluster)
          .where('kind', '=', item.kind)
          .where('namespace', '=', item.namespace)
          .where('name', '=', item.name)
          .execute();
      }
    });
  }

  /** Replaces everything of `kind` in `cluster` with `items` (after a full list). */
  async replaceKind(
    cluster: string,
    kind: string,
    items: readonly Omit<InventoryItem, 'updatedAt'>[],
    now: string,
    fence?: WriteFence,
  ): Promise<void> {
    await this.#write(fence, async (tx) => {
      await tx.deleteFrom('inventory').where('cluster', '=', cluster).where('kind', '=', kind).execute();
      for (let i = 0; i < items.length; i += CHUNK) {
        const rows = items
          .slice(i, i + CHUNK)
          .map((item) => ({ ...item, data: JSON.stringify(item.data), updated_at: now }));
        await tx.insertInto('inventory').values(rows).execute();
      }
    });
  }

  async deleteCluster(cluster: string, fence?: WriteFence): Promise<void> {
    if (!fence) {
      await this.db.deleteFrom('inventory').where('cluster', '=', cluster).execute();
      return;
    }
    await this.#write(fence, async (tx) => {
      await tx.deleteFrom('inventory').where('cluster', '=', cluster).execute();
    });
  }

  async list<Data = unknown>(
    query: InventoryQuery,
  ): Promise<{ items: InventoryItem<Data>[]; next?: { cluster: string; namespace: string; name: string } }> {
    if (query.clusters?.length === 0) return { items: [] };
    let select = this.db.selectFrom('inventory').selectAll().where('kind', '=', query.kind);
    if (query.clusters) select = select.where('cluster', 'in', query.clusters);
    if (query.namespace !== undefined) select = select.where('namespace', '=', query.namespace);
    if (query.name !== undefined) select = select.where('name', '=', query.name);
    if (query.after) {
      const { cluster, namespace, name } = query.after;
      select = select.where((eb) =>
        eb.or([
          eb('cluster', '>', cluster),
          eb.and([eb('cluster', '=', cluster), eb('namespace', '>', namespace)]),
          eb.and([eb('cluster', '=', cluster), eb('namespace', '=', namespace), eb('name', '>', name)]),
        ]),
      );
    }
    const rows = await select
      .orderBy('cluster')
      .orderBy('namespace')
      .orderBy('name')
      .limit(query.limit + 1)
      .execute();
    const items = rows.slice(0, query.limit).map((row) => ({
      cluster: row.cluster,
      kind: row.kind,
      namespace: row.namespace,
      name: row.name,
      uid: row.uid,
      data: JSON.parse(row.data) as Data,
      updatedAt: row.updated_at,
    }));
    const last = items.at(-1);
    return rows.length > query.limit && last
      ? { items, next: { cluster: last.cluster, namespace: last.namespace, name: last.name } }
      : { items };
  }

  async count(cluster: string, kind: string): Promise<number> {
    const row = await this.db
      .selectFrom('inventory')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('cluster', '=', cluster)
      .where('kind', '=', kind)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
