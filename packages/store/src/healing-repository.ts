import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Dialect } from './dialect.ts';
import { checkFence, type WriteFence } from './fence.ts';
import type { Database, HealingRunTable } from './schema.ts';

/** A healing run as stored; `data` is the healing package's own JSON (trigger, diagnosis, decisions...). */
export interface StoredHealingRun {
  id: string;
  team: string;
  policy: string;
  triggerKind: string;
  triggerKey: string;
  entity: string;
  domain: string;
  mode: string;
  phase: string;
  /** Counts against the in-flight guardrails (acting or verifying). */
  inFlight: boolean;
  rung: number;
  reason: string;
  message: string;
  outcome?: string;
  data: Record<string, unknown>;
  version: number;
  nextAt: string;
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
}

export type NewHealingRun = Omit<
  StoredHealingRun,
  'version' | 'updatedAt' | 'endedAt' | 'outcome' | 'inFlight'
>;

/** What a write changes; `endedAt` ends the run (and takes it out of the in-flight counts). */
export type HealingRunPatch = Partial<
  Pick<
    StoredHealingRun,
    | 'phase'
    | 'inFlight'
    | 'rung'
    | 'reason'
    | 'message'
    | 'outcome'
    | 'data'
    | 'nextAt'
    | 'endedAt'
    | 'domain'
  >
> & { updatedAt: string };

/** A guardrail counter entry: `key` is unique per run, so a repeated write counts once. */
export interface HealingLedgerEntry {
  team: string;
  policy: string;
  entity: string;
  kind: 'action' | 'failed' | 'healed';
  runId: string;
  key: string;
  at: string;
}

/** Caps checked in the transaction that makes a run count as in flight. */
export interface InFlightCaps {
  perPolicy: number;
  perDomain: number;
}

export type ClaimResult =
  | { ok: true; run: StoredHealingRun }
  | { ok: false; reason: 'Superseded' }
  | { ok: false; reason: 'PolicyInFlight' | 'DomainInFlight'; inFlight: number };

export interface HealingRunQuery {
  team: string;
  policy?: string;
  entity?: string;
  phase?: string;
  /** Only runs that have not ended. */
  active?: boolean;
  /** Created at or after, and before (ISO). */
  since?: string;
  until?: string;
  /** Resume after this run in (createdAt, id) descending order. */
  after?: { createdAt: string; id: string };
  limit: number;
}

type Row = Selectable<HealingRunTable>;

class Superseded extends Error {}
class OverCap extends Error {
  constructor(
    readonly reason: 'PolicyInFlight' | 'DomainInFlight',
    readonly inFlight: number,
  ) {
    super(reason);
  }
}

/**
 * Healing runs and the guardrails' counters (ADR 0032). Every write of a run is conditional on the version
 * the writer read, so two servers deciding for one run cannot both act: the second write is `Superseded`.
 * Taking an in-flight slot counts the policy's and the domain's runs in flight in the same transaction as
 * the write (on PostgreSQL under an advisory lock per team and policy), so the caps hold across servers.
 */
export class HealingRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Stores a new run, or answers undefined when the policy has a run for the trigger (episode, entity)
   * already. With `fence`, only while that term is the lease's current one (else `FencedWriteRefused`).
   */
  async create(run: NewHealingRun, fence?: WriteFence): Promise<StoredHealingRun | undefined> {
    const row: Row = {
      id: run.id,
      team: run.team,
      policy: run.policy,
      trigger_kind: run.triggerKind,
      trigger_key: run.triggerKey,
      entity: run.entity,
      domain: run.domain,
      mode: run.mode,
      phase: run.phase,
      in_flight: 0,
      rung: run.rung,
      reason: run.reason,
      message: run.message,
      outcome: null,
      data: JSON.stringify(run.data),
      version: 1,
      next_at: run.nextAt,
      created_at: run.createdAt,
      updated_at: run.createdAt,
      ended_at: null,
    };
    const inserted = await this.db.transaction().execute(async (tx) => {
      if (fence) await checkFence(tx, this.dialect, fence);
      return tx
        .insertInto('healing_runs')
        .values(row)
        .onConflict((oc) => oc.columns(['team', 'policy', 'trigger_key']).doNothing())
        .executeTakeFirst();
    });
    return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1 ? toRun(row) : undefined;
  }

  async get(team: string, id: string): Promise<StoredHealingRun | undefined> {
    const row = await this.db
      .selectFrom('healing_runs')
      .selectAll()
      .where('team', '=', team)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toRun(row) : undefined;
  }

  /** The live run of a policy for a trigger, if any. */
  async active(team: string, policy: string, triggerKey: string): Promise<StoredHealingRun | undefined> {
    const row = await this.db
      .selectFrom('healing_runs')
      .selectAll()
      .where('team', '=', team)
      .where('policy', '=', policy)
      .where('trigger_key', '=', triggerKey)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return row ? toRun(row) : undefined;
  }

  /** The live runs whose next look is due at `now`, soonest first. */
  async due(now: string, limit: number): Promise<StoredHealingRun[]> {
    const rows = await this.db
      .selectFrom('healing_runs')
      .selectAll()
      .where('ended_at', 'is', null)
      .where('next_at', '<=', now)
      .orderBy('next_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toRun);
  }

  /** The earliest next look of a live run, to sleep until. */
  async nextDue(): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('healing_runs')
      .select((eb) => eb.fn.min('next_at').as('next'))
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return row?.next ?? undefined;
  }

  /**
   * Writes `patch` if the run is still at `version` (and the ledger entries with it, in one transaction);
   * undefined when another writer moved it first (nothing written).
   */
  async update(
    id: string,
    version: number,
    patch: HealingRunPatch,
    ledger: readonly HealingLedgerEntry[] = [],
    fence?: WriteFence,
  ): Promise<StoredHealingRun | undefined> {
    try {
      return await this.db.transaction().execute(async (tx) => {
        if (fence) await checkFence(tx, this.dialect, fence);
        return this.#write(tx, id, version, patch, ledger);
      });
    } catch (error) {
      if (error instanceof Superseded) return undefined;
      throw error;
    }
  }

  /**
   * Makes the run count as in flight with `patch` if the policy and the run's domain are under their caps
   * and the run is still at `version`; counts and writes in one transaction.
   */
  async claimInFlight(
    run: Pick<StoredHealingRun, 'id' | 'team' | 'policy' | 'domain' | 'version'>,
    caps: InFlightCaps,
    patch: HealingRunPatch,
    ledger: readonly HealingLedgerEntry[] = [],
    fence?: WriteFence,
  ): Promise<ClaimResult> {
    try {
      const stored = await this.db.transaction().execute(async (tx) => {
        if (fence) await checkFence(tx, this.dialect, fence);
        if (this.dialect === 'postgres')
          await sql`select pg_advisory_xact_lock(hashtextextended(${`gantry-healing:${run.team}/${run.policy}`}, 0))`.execute(
            tx,
          );
        const counts = await tx
          .selectFrom('healing_runs')
          .select(['domain', (eb) => eb.fn.countAll<string | number>().as('n')])
          .where('team', '=', run.team)
          .where('policy', '=', run.policy)
          .where('in_flight', '=', 1)
          .where('id', '!=', run.id)
          .groupBy('domain')
          .execute();
        const policy = counts.reduce((sum, row) => sum + Number(row.n), 0);
        if (policy >= caps.perPolicy) throw new OverCap('PolicyInFlight', policy);
        const domain = Number(counts.find((row) => row.domain === run.domain)?.n ?? 0);
        if (domain >= caps.perDomain) throw new OverCap('DomainInFlight', domain);
        return this.#write(tx, run.id, run.version, { ...patch, inFlight: true }, ledger);
      });
      return { ok: true, run: stored };
    } catch (error) {
      if (error instanceof Superseded) return { ok: false, reason: 'Superseded' };
      if (error instanceof OverCap) return { ok: false, reason: error.reason, inFlight: error.inFlight };
      throw error;
    }
  }

  /** Runs of a policy in flight, in all and within `domain`. */
  async inFlight(team: string, policy: string, domain: string): Promise<{ policy: number; domain: number }> {
    const rows = await this.db
      .selectFrom('healing_runs')
      .select(['domain', (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('team', '=', team)
      .where('policy', '=', policy)
      .where('in_flight', '=', 1)
      .groupBy('domain')
      .execute();
    return {
      policy: rows.reduce((sum, row) => sum + Number(row.n), 0),
      domain: Number(rows.find((row) => row.domain === domain)?.n ?? 0),
    };
  }

  /**
   * Ledger entries of several kinds for an entity of a policy, each kind counted at or after its own
   * `since`, in one read (a guard check asks for three).
   */
  async ledgerCounts(
    team: string,
    policy: string,
    entity: string,
    since: Readonly<Record<HealingLedgerEntry['kind'], string>>,
  ): Promise<Record<HealingLedgerEntry['kind'], number>> {
    const count = (kind: HealingLedgerEntry['kind']) =>
      sql<string | number | null>`sum(case when kind = ${kind} and at >= ${since[kind]} then 1 else 0 end)`;
    const row = await this.db
      .selectFrom('healing_ledger')
      .select([count('action').as('action'), count('failed').as('failed'), count('healed').as('healed')])
      .where('team', '=', team)
      .where('policy', '=', policy)
      .where('entity', '=', entity)
      .executeTakeFirst();
    return {
      action: Number(row?.action ?? 0),
      failed: Number(row?.failed ?? 0),
      healed: Number(row?.healed ?? 0),
    };
  }

  /** Ledger entries of a kind for an entity of a policy at or after `since`. */
  async ledgerCount(
    team: string,
    policy: string,
    entity: string,
    kind: HealingLedgerEntry['kind'],
    since: string,
  ): Promise<number> {
    const row = await this.db
      .selectFrom('healing_ledger')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('team', '=', team)
      .where('policy', '=', policy)
      .where('entity', '=', entity)
      .where('kind', '=', kind)
      .where('at', '>=', since)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async list(
    query: HealingRunQuery,
  ): Promise<{ items: StoredHealingRun[]; next?: { createdAt: string; id: string } }> {
    let select = this.db.selectFrom('healing_runs').selectAll().where('team', '=', query.team);
    if (query.policy) select = select.where('policy', '=', query.policy);
    if (query.entity) select = select.where('entity', '=', query.entity);
    if (query.phase) select = select.where('phase', '=', query.phase);
    if (query.active !== undefined) select = select.where('ended_at', query.active ? 'is' : 'is not', null);
    if (query.since) select = select.where('created_at', '>=', query.since);
    if (query.until) select = select.where('created_at', '<', query.until);
    if (query.after) {
      const { createdAt, id } = query.after;
      select = select.where((eb) =>
        eb.or([
          eb('created_at', '<', createdAt),
          eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
        ]),
      );
    }
    const rows = await select
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
      .execute();
    const items = rows.slice(0, query.limit).map(toRun);
    const last = items.at(-1);
    return rows.length > query.limit && last
      ? { items, next: { createdAt: last.createdAt, id: last.id } }
      : { items };
  }

  async #write(
    tx: Transaction<Database>,
    id: string,
    version: number,
    patch: HealingRunPatch,
    ledger: readonly HealingLedgerEntry[],
  ): Promise<StoredHealingRun> {
    const set: Partial<Row> = { version: version + 1, updated_at: patch.updatedAt };
    if (patch.phase !== undefined) set.phase = patch.phase;
    if (patch.inFlight !== undefined) set.in_flight = patch.inFlight ? 1 : 0;
    if (patch.rung !== undefined) set.rung = patch.rung;
    if (patch.reason !== undefined) set.reason = patch.reason;
    if (patch.message !== undefined) set.message = patch.message;
    if (patch.outcome !== undefined) set.outcome = patch.outcome;
    if (patch.data !== undefined) set.data = JSON.stringify(patch.data);
    if (patch.nextAt !== undefined) set.next_at = patch.nextAt;
    if (patch.domain !== undefined) set.domain = patch.domain;
    if (patch.endedAt !== undefined) {
      set.ended_at = patch.endedAt;
      set.in_flight = 0;
    }
    const updated = await tx
      .updateTable('healing_runs')
      .set(set)
      .where('id', '=', id)
      .where('version', '=', version)
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw new Superseded();
    if (ledger.length > 0)
      await tx
        .insertInto('healing_ledger')
        .values(
          ledger.map((entry) => ({
            team: entry.team,
            policy: entry.policy,
            entity: entry.entity,
            kind: entry.kind,
            run_id: entry.runId,
            entry_key: entry.key,
            at: entry.at,
          })),
        )
        .onConflict((oc) => oc.columns(['run_id', 'entry_key']).doNothing())
        .execute();
    return toRun(updated);
  }
}

function toRun(row: Row): StoredHealingRun {
  return {
    id: row.id,
    team: row.team,
    policy: row.policy,
    triggerKind: row.trigger_kind,
    triggerKey: row.trigger_key,
    entity: row.entity,
    domain: row.domain,
    mode: row.mode,
    phase: row.phase,
    inFlight: Number(row.in_flight) === 1,
    rung: Number(row.rung),
    reason: row.reason,
    message: row.message,
    ...(row.outcome !== null ? { outcome: row.outcome } : {}),
    data: JSON.parse(row.data) as Record<string, unknown>,
    version: Number(row.version),
    nextAt: row.next_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.ended_at !== null ? { endedAt: row.ended_at } : {}),
  };
}
