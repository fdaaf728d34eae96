import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import { deepEqual, type LabelSelector, type Resource, type WatchEventType } from '@gantry/model';
import type { Database, ResourceTable } from './schema.ts';
import { insertAudit, type AuditInput } from './audit-repository.ts';
import type { Dialect } from './dialect.ts';
import { assertCurrent, type WriteFence } from './fence.ts';
import {
  IdempotencyRepository,
  claimIdempotencyKey,
  recordIdempotentAnswer,
  type IdempotencyClaim,
  type IdempotencyOutcome,
} from './idempotency-repository.ts';

export interface ResourceKey {
  kind: string;
  /** `''` for kinds without a team. */
  team: string;
  name: string;
}

export interface ListQuery {
  kind: string;
  /** Only these teams; `undefined` means every team. */
  teams?: readonly string[];
  selector?: LabelSelector;
  limit: number;
  /** Resume after this (team, name). */
  after?: { team: string; name: string };
}

export interface ListPage {
  /** Each object as its stored JSON text: lists are passed through to clients without re-encoding. */
  items: RawResource[];
  resourceVersion: number;
  /** Set when there may be more: the last item's key. */
  next?: { team: string; name: string };
}

export interface RawResource {
  team: string;
  name: string;
  json: string;
}

export interface StoredChange {
  resourceVersion: number;
  type: WatchEventType;
  kind: string;
  team: string;
  name: string;
  object: Resource;
}

/**
 * What a write wants to do, decided with the current object in hand (inside the transaction).
 * `next` receives the new resourceVersion and returns the object to store (or to report as deleted).
 */
export type WriteDecision =
  | { type: 'ADDED' | 'MODIFIED'; next: (resourceVersion: string) => Resource; audit?: AuditInput }
  | { type: 'DELETED'; next: (resourceVersion: string) => Resource; audit?: AuditInput }
  | { type: 'NONE'; result: Resource };

/** A write sent with an `Idempotency-Key` (ADR 0029): its answer is recorded in the write's transaction. */
export interface IdempotentWrite {
  claim: IdempotencyClaim;
  /** The status the write answers (recorded with the object). */
  status: number;
  /** The error thrown when the key already answered another request (nothing is written). */
  reused: () => Error;
}

/** What `write` did: `replayed` when an earlier write with the same idempotency key answered instead. */
export interface WriteResult {
  object: Resource;
  type: WatchEventType | 'NONE';
  /** The recorded status of the earlier write whose answer `object` is. */
  replayed?: number;
}

export class ResourceRepository {
  /** `notifyChannel`: on PostgreSQL, every write NOTIFYs this channel at commit so other servers read it at once. */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly notifyChannel?: string,
    private readonly dialect: Dialect = notifyChannel ? 'postgres' : 'sqlite',
  ) {}

  /** The committed answer of a create sent with this idempotency key, if still kept (ADR 0029). */
  idempotentAnswer(claim: IdempotencyClaim): Promise<IdempotencyOutcome | undefined> {
    return new IdempotencyRepository(this.db).find(claim);
  }

  async get(key: ResourceKey): Promise<Resource | undefined> {
    const row = await this.db
      .selectFrom('resources')
      .select('body')
      .where('kind', '=', key.kind)
      .where('team', '=', key.team)
      .where('name', '=', key.name)
      .executeTakeFirst();
    return row ? (JSON.parse(row.body) as Resource) : undefined;
  }

  async currentResourceVersion(): Promise<number> {
    const row = await this.db
      .selectFrom('resource_version')
      .select('value')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return Number(row.value);
  }

  async list(query: ListQuery): Promise<ListPage> {
    const resourceVersion = await this.currentResourceVersion();
    if (query.teams?.length === 0) return { items: [], resourceVersion };
    let select = this.db
      .selectFrom('resources as r')
      .select(['r.body', 'r.team', 'r.name'])
      .where('r.kind', '=', query.kind);
    if (query.teams) select = select.where('r.team', 'in', query.teams);
    if (query.after) {
      const { team, name } = query.after;
      select = select.where((eb) =>
        eb.or([eb('r.team', '>', team), eb.and([eb('r.team', '=', team), eb('r.name', '>', name)])]),
      );
    }
    for (const requirement of query.selector ?? []) {
      const labelRow = (eb: ExpressionBuilder<Database & { r: ResourceTable }, 'r'>) =>
        eb
          .selectFrom('resource_labels as l')
          .select('l.key')
          .whereRef('l.kind', '=', 'r.kind')
          .whereRef('l.team', '=', 'r.team')
          .whereRef('l.name', '=', 'r.name')
          .where('l.key', '=', requirement.key);
      switch (requirement.op) {
        case 'exists':
          select = select.where((eb) => eb.exists(labelRow(eb)));
          break;
        case 'notExists':
          select = select.where((eb) => eb.not(eb.exists(labelRow(eb))));
          break;
        case 'in':
          select = select.where((eb) => eb.exists(labelRow(eb).where('l.value', 'in', requirement.values)));
          break;
        case 'notIn':
          select = select.where((eb) =>
            eb.not(eb.exists(labelRow(eb).where('l.value', 'in', requirement.values))),
          );
          break;
      }
    }
    const rows = await select
      .orderBy('r.team')
      .orderBy('r.name')
      .limit(query.limit + 1)
      .execute();
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ({ team: row.team, name: row.name, json: row.body })),
      resourceVersion,
      ...(rows.length > query.limit && last ? { next: { team: last.team, name: last.name } } : {}),
    };
  }

  /**
   * Reads the current object, lets `decide` choose the write, and commits the object, its change record
   * (the watch feed) and its audit entry in one transaction.
   *
   * With `fence` (a controller's write, ADR 0028) the write happens only while the fence's term is the
   * lease's current one, else it throws `FencedWriteRefused` having changed nothing. The lease row is
   * read by the statement that reads the current object (on PostgreSQL `FOR SHARE`), so fencing costs
   * no extra round trip. With `idempotent`, the key is claimed first in the same transaction and the
   * answer recorded with the write: a retry answers the first one's result (ADR 0029).
   */
  async write(
    key: ResourceKey,
    decide: (current: Resource | undefined) => WriteDecision,
    fence?: WriteFence,
    idempotent?: IdempotentWrite,
  ): Promise<WriteResult> {
    return this.db.transaction().execute(async (tx): Promise<WriteResult> => {
      if (idempotent) {
        const outcome = await claimIdempotencyKey(tx, idempotent.claim);
        if (outcome.type === 'reused') throw idempotent.reused();
        if (outcome.type === 'replay')
          return {
            object: JSON.parse(outcome.answer.body) as Resource,
            type: 'NONE',
            replayed: outcome.answer.status,
          };
      }
      const row = fence
        ? await this.#readFenced(tx, key, fence)
        : await tx
            .selectFrom('resources')
            .select('body')
            .where('kind', '=', key.kind)
            .where('team', '=', key.team)
            .where('name', '=', key.name)
            .executeTakeFirst();
      const current = row ? (JSON.parse(row.body) as Resource) : undefined;
      const labelsBefore = current?.metadata.labels;
      const decision = decide(current);
      if (decision.type === 'NONE') return { object: decision.result, type: 'NONE' as const };
      const resourceVersion = await nextResourceVersion(tx);
      const object = decision.next(String(resourceVersion));
      const body = JSON.stringify(object);
      const now = new Date().toISOString();
      await tx
        .insertInto('resource_changes')
        .values({ id: resourceVersion, ...key, type: decision.type, body, created_at: now })
        .execute();
      const labels = decision.type === 'DELETED' ? undefined : object.metadata.labels;
      // Label rows change only when the labels do (status writes, the common case, leave them alone).
      if (!deepEqual(labelsBefore ?? {}, labels ?? {})) {
        if (labelsBefore && Object.keys(labelsBefore).length > 0) {
          await tx
            .deleteFrom('resource_labels')
            .where('kind', '=', key.kind)
            .where('team', '=', key.team)
            .where('name', '=', key.name)
            .execute();
        }
        const rows = Object.entries(labels ?? {});
        if (rows.length > 0)
          await tx
            .insertInto('resource_labels')
            .values(rows.map(([labelKey, value]) => ({ ...key, key: labelKey, value })))
            .execute();
      }
      if (decision.type === 'DELETED') {
        await tx
          .deleteFrom('resources')
          .where('kind', '=', key.kind)
          .where('team', '=', key.team)
          .where('name', '=', key.name)
          .execute();
      } else {
        const values = {
          uid: object.metadata.uid,
          resource_version: resourceVersion,
          generation: object.metadata.generation,
          updated_at: object.metadata.updatedTimestamp,
          body,
        };
        if (row) {
          await tx
            .updateTable('resources')
            .set(values)
            .where('kind', '=', key.kind)
            .where('team', '=', key.team)
            .where('name', '=', key.name)
            .execute();
        } else {
          await tx
            .insertInto('resources')
            .values({ ...key, ...values, created_at: object.metadata.creationTimestamp })
            .execute();
        }
      }
      if (this.notifyChannel)
        await sql`select pg_notify(${this.notifyChannel}, ${String(resourceVersion)})`.execute(tx);
      if (decision.audit) {
        // An audit entry without an explicit "after" records the object as stored.
        const after = decision.audit.after ?? (decision.type === 'DELETED' ? undefined : object);
        await insertAudit(tx, { ...decision.audit, after, resourceVersion: String(resourceVersion) });
      }
      if (idempotent) await recordIdempotentAnswer(tx, idempotent.claim, { status: idempotent.status, body });
      return { object, type: decision.type };
    });
  }

  /** The current object's row and the lease row in one statement; throws when the fence's term is over. */
  async #readFenced(
    tx: Transaction<Database>,
    key: ResourceKey,
    fence: WriteFence,
  ): Promise<{ body: string } | undefined> {
    const found = await tx
      .selectFrom('leases as l')
      .leftJoin('resources as r', (join) =>
        join.on('r.kind', '=', key.kind).on('r.team', '=', key.team).on('r.name', '=', key.name),
      )
      .select(['l.holder', 'l.transitions', 'r.body'])
      .where('l.name', '=', fence.lease)
      .$if(this.dialect === 'postgres', (q) => q.forShare('l'))
      .executeTakeFirst();
    assertCurrent(fence, found);
    return found?.body != null ? { body: found.body } : undefined;
  }

  /**
   * The resourceVersion of each named object of one kind and team that exists, without reading bodies:
   * lets a caller that keeps parsed objects tell which of them changed.
   */
  async versions(kind: string, team: string, names: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    if (names.length === 0) return found;
    const rows = await this.db
      .selectFrom('resources')
      .select(['name', 'resource_version'])
      .where('kind', '=', kind)
      .where('team', '=', team)
      .where('name', 'in', names)
      .execute();
    for (const row of rows) found.set(row.name, Number(row.resource_version));
    return found;
  }

  /** Changes after `afterVersion`, oldest first, optionally for one kind. */
  async changesSince(
    afterVersion: number,
    options: { kind?: string; limit: number },
  ): Promise<StoredChange[]> {
    let query = this.db.selectFrom('resource_changes').selectAll().where('id', '>', afterVersion);
    if (options.kind) query = query.where('kind', '=', options.kind);
    const rows = await query.orderBy('id').limit(options.limit).execute();
    return rows.map((row) => ({
      resourceVersion: Number(row.id),
      type: row.type,
      kind: row.kind,
      team: row.team,
      name: row.name,
      object: JSON.parse(row.body) as Resource,
    }));
  }

  /** The oldest version a watch can still resume after (everything after it is kept). */
  async oldestResumableVersion(): Promise<number> {
    const row = await this.db
      .selectFrom('resource_changes')
      .select((eb) => eb.fn.min('id').as('oldest'))
      .executeTakeFirst();
    const oldest = row?.oldest;
    return oldest === null || oldest === undefined ? await this.currentResourceVersion() : Number(oldest) - 1;
  }

  /** Drops change records older than the newest `keep`, so the watch history stays bounded. */
  async compactChanges(keep: number): Promise<number> {
    const current = await this.currentResourceVersion();
    const result = await this.db
      .deleteFrom('resource_changes')
      .where('id', '<=', current - keep)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** What a team holds, by kind and name (at most `limit`), for refusing or cascading its deletion. */
  async teamContents(team: string, limit: number): Promise<{ kind: string; name: string }[]> {
    return this.db
      .selectFrom('resources')
      .select(['kind', 'name'])
      .where('team', '=', team)
      .orderBy('kind')
      .orderBy('name')
      .limit(limit)
      .execute();
  }

  async teamHasResources(team: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('resources')
      .select('name')
      .where('team', '=', team)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async count(kind: string): Promise<number> {
    const row = await this.db
      .selectFrom('resources')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('kind', '=', kind)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

async function nextResourceVersion(tx: Transaction<Database>): Promise<number> {
  const row = await tx
    .updateTable('resource_version')
    .set({ value: sql<number>`value + 1` })
    .where('id', '=', 1)
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}
