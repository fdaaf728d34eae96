import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type {
  InspectionCheckResult,
  InspectionFinding,
  InspectionRun,
  InspectionRunState,
  InspectionRunWithResults,
  Risk,
  RiskEntity,
  RiskState,
} from '@gantry/model';
import { checkFence, type WriteFence } from './fence.ts';
import type { Database, InspectionRunTable, RiskTable } from './schema.ts';
import type { Dialect } from './dialect.ts';

/** Whose risks: a source's identity (the resource, and the check or series within it). */
export interface RiskSourceIdentity {
  team: string;
  kind: 'Inspection' | 'Baseline';
  name: string;
  check: string;
  runId?: string;
}

export interface RiskObservationInput {
  key: string;
  title: string;
  score: number;
  entities: readonly RiskEntity[];
  details: Record<string, unknown>;
}

/** What one `observe` changed. */
export interface RiskObserveResult {
  opened: number;
  updated: number;
  closed: number;
}

export interface RiskRecordQuery {
  team: string;
  /** Absent: both states. */
  state?: RiskState;
  sourceKind?: string;
  sourceName?: string;
  sourceCheck?: string;
  /** `Kind/name`. */
  entity?: string;
  minScore?: number;
  /** Newest first: rows with a lower `seq` than this. */
  beforeSeq?: number;
  limit: number;
}

export interface NewInspectionRun {
  team: string;
  inspection: string;
  trigger: 'schedule' | 'manual';
  slot: string | null;
  createdBy: string;
  startedAt: string;
}

/** Entities as stored for the filter: `Kind/name`, and `Kind/cluster/name` when on a cluster. */
export function entityKeys(entities: readonly RiskEntity[]): string[] {
  const keys = new Set<string>();
  for (const entity of entities) {
    keys.add(`${entity.kind}/${entity.name}`);
    if (entity.cluster) keys.add(`${entity.kind}/${entity.cluster}/${entity.name}`);
  }
  return [...keys];
}

const CHUNK = 200;
/** The first key of the advisory locks that serialize observers of one risk source (PostgreSQL). */
const RISK_LOCK_CLASS = 0x7269736b; // 'risk'

/**
 * Risks and inspection runs (ADR 0020). `observe` is the level-triggered write a `RiskSink` makes; it is
 * safe to call from several servers at once for the same source: the open-identity unique index lets one
 * insert win and the others update the row it made.
 */
export class RiskRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  async observe(
    source: RiskSourceIdentity,
    observations: readonly RiskObservationInput[],
    at: string,
    /** The observer's term (ADR 0028): checked first in the transaction; refused, nothing changes. */
    fence?: WriteFence,
  ): Promise<RiskObserveResult> {
    const latest = new Map<string, RiskObservationInput>();
    // In key order: concurrent observers of one source take the rows' locks in the same order.
    for (const observation of [...observations].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)))
      latest.set(observation.key, observation);
    const result: RiskObserveResult = { opened: 0, updated: 0, closed: 0 };
    await this.db.transaction().execute(async (tx) => {
      if (fence) await checkFence(tx, this.dialect, fence);
      // PostgreSQL: observers of one source take turns (a transaction-scoped advisory lock), so two
      // servers' updates of the same rows never deadlock; SQLite has one writer already.
      if (this.dialect === 'postgres')
        await sql`select pg_advisory_xact_lock(${RISK_LOCK_CLASS}, hashtext(${[source.team, source.kind, source.name, source.check].join('\n')}))`.execute(
          tx,
        );
      const open = await this.#openRows(tx, source);
      const byKey = new Map(open.map((row) => [row.risk_key, row]));
      // Seen again as they were: only last seen (and the run) move, in one statement per chunk.
      const unchanged: number[] = [];
      for (const observation of latest.values()) {
        const existing = byKey.get(observation.key);
        if (existing) {
          if (sameContent(existing, observation)) unchanged.push(existing.seq);
          else if (await this.#update(tx, existing, observation, source, at)) result.updated += 1;
          continue;
        }
        const inserted = await tx
          .insertInto('risks')
          .values({
            id: randomUUID(),
            team: source.team,
            source_kind: source.kind,
            source_name: source.name,
            source_check: source.check,
            risk_key: observation.key,
            run_id: source.runId ?? null,
            title: observation.title,
            score: clampScore(observation.score),
            entities: JSON.stringify(observation.entities),
            details: JSON.stringify(observation.details),
            state: 'open',
            first_seen_at: at,
            last_seen_at: at,
            gone_at: null,
          })
          .onConflict((oc) => oc.doNothing())
          .returning('seq')
          .executeTakeFirst();
        if (inserted) {
          await this.#writeEntities(tx, Number(inserted.seq), source.team, observation.entities);
          result.opened += 1;
          continue;
        }
        // Another server opened it between our read and our insert: it is ours to update now.
        const [row] = await this.#openRows(tx, source, observation.key);
        if (row && (await this.#update(tx, row, observation, source, at))) result.updated += 1;
      }
      for (let i = 0; i < unchanged.length; i += CHUNK) {
        const touched = await tx
          .updateTable('risks')
          .set({ last_seen_at: at, ...(source.runId ? { run_id: source.runId } : {}) })
          .where('seq', 'in', unchanged.slice(i, i + CHUNK))
          .where('last_seen_at', '<=', at)
          .executeTakeFirst();
        result.updated += Number(touched.numUpdatedRows);
      }
      const gone = open.filter((row) => !latest.has(row.risk_key)).map((row) => row.seq);
      for (let i = 0; i < gone.length; i += CHUNK) {
        const closed = await tx
          .updateTable('risks')
          .set({ state: 'gone', gone_at: at })
          .where('seq', 'in', gone.slice(i, i + CHUNK))
          .where('state', '=', 'open')
          .executeTakeFirst();
        result.closed += Number(closed.numUpdatedRows);
      }
    });
    return result;
  }

  #openRows(tx: Transaction<Database>, source: RiskSourceIdentity, key?: string) {
    let select = tx
      .selectFrom('risks')
      .selectAll()
      .where('team', '=', source.team)
      .where('source_kind', '=', source.kind)
      .where('source_name', '=', source.name)
      .where('source_check', '=', source.check)
      .where('state', '=', 'open');
    if (key !== undefined) select = select.where('risk_key', '=', key);
    return select.execute();
  }

  async #update(
    tx: Transaction<Database>,
    row: Selectable<RiskTable>,
    observation: RiskObservationInput,
    source: RiskSourceIdentity,
    at: string,
  ): Promise<boolean> {
    const entities = JSON.stringify(observation.entities);
    await tx
      .updateTable('risks')
      .set({
        title: observation.title,
        score: clampScore(observation.score),
        entities,
        details: JSON.stringify(observation.details),
        last_seen_at: at > row.last_seen_at ? at : row.last_seen_at,
        ...(source.runId ? { run_id: source.runId } : {}),
      })
      .where('seq', '=', row.seq)
      .execute();
    if (entities !== row.entities) {
      await tx.deleteFrom('risk_entities').where('risk_seq', '=', row.seq).execute();
      await this.#writeEntities(tx, row.seq, row.team, observation.entities);
    }
    return true;
  }

  async #writeEntities(
    tx: Transaction<Database>,
    seq: number,
    team: string,
    entities: readonly RiskEntity[],
  ): Promise<void> {
    const keys = entityKeys(entities);
    if (keys.length === 0) return;
    await tx
      .insertInto('risk_entities')
      .values(keys.map((entity) => ({ risk_seq: seq, team, entity })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async list(query: RiskRecordQuery): Promise<{ items: Risk[]; nextBeforeSeq?: number }> {
    let select = this.db.selectFrom('risks').selectAll('risks').where('risks.team', '=', query.team);
    if (query.state) select = select.where('state', '=', query.state);
    if (query.sourceKind) select = select.where('source_kind', '=', query.sourceKind);
    if (query.sourceName) select = select.where('source_name', '=', query.sourceName);
    if (query.sourceCheck) select = select.where('source_check', '=', query.sourceCheck);
    if (query.minScore !== undefined) select = select.where('score', '>=', query.minScore);
    if (query.beforeSeq !== undefined) select = select.where('risks.seq', '<', query.beforeSeq);
    if (query.entity !== undefined) {
      const entity = query.entity;
      select = select.where((eb) =>
        eb.exists(
          eb
            .selectFrom('risk_entities')
            .select('risk_entities.risk_seq')
            .whereRef('risk_entities.risk_seq', '=', 'risks.seq')
            .where('risk_entities.team', '=', query.team)
            .where('risk_entities.entity', '=', entity),
        ),
      );
    }
    const rows = await select
      .orderBy('risks.seq', 'desc')
      .limit(query.limit + 1)
      .execute();
    const items = rows.slice(0, query.limit).map(toRisk);
    const last = rows[query.limit - 1];
    return rows.length > query.limit && last ? { items, nextBeforeSeq: Number(last.seq) } : { items };
  }

  async get(team: string, id: string): Promise<Risk | undefined> {
    const row = await this.db
      .selectFrom('risks')
      .selectAll()
      .where('team', '=', team)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toRisk(row) : undefined;
  }

  /** Open risks of one source, all checks (the inspection's status counts them). */
  async countOpen(team: string, kind: string, name: string): Promise<number> {
    const row = await this.db
      .selectFrom('risks')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('team', '=', team)
      .where('source_kind', '=', kind)
      .where('source_name', '=', name)
      .where('state', '=', 'open')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Every (team, name, check) of a source kind with open risks. */
  async openSources(kind: string): Promise<{ team: string; name: string; check: string }[]> {
    const rows = await this.db
      .selectFrom('risks')
      .select(['team', 'source_name', 'source_check'])
      .distinct()
      .where('source_kind', '=', kind)
      .where('state', '=', 'open')
      .execute();
    return rows.map((row) => ({ team: row.team, name: row.source_name, check: row.source_check }));
  }

  /** The checks (or series) of a source that have open risks. */
  async openChecks(team: string, kind: string, name: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('risks')
      .select('source_check')
      .distinct()
      .where('team', '=', team)
      .where('source_kind', '=', kind)
      .where('source_name', '=', name)
      .where('state', '=', 'open')
      .execute();
    return rows.map((row) => row.source_check);
  }

  /**
   * Housekeeping: risks gone before `before`, and finished runs (with their results) started before it.
   * Open risks are kept however old they are.
   */
  async deleteHistoryBefore(before: string): Promise<{ risks: number; runs: number }> {
    return this.db.transaction().execute(async (tx) => {
      const gone = tx
        .selectFrom('risks')
        .select('seq')
        .where('state', '=', 'gone')
        .where('gone_at', '<', before);
      await tx.deleteFrom('risk_entities').where('risk_seq', 'in', gone).execute();
      const risks = await tx
        .deleteFrom('risks')
        .where('state', '=', 'gone')
        .where('gone_at', '<', before)
        .executeTakeFirst();
      const old = tx
        .selectFrom('inspection_runs')
        .select('id')
        .where('state', '!=', 'running')
        .where('started_at', '<', before);
      await tx.deleteFrom('inspection_run_results').where('run_id', 'in', old).execute();
      const runs = await tx
        .deleteFrom('inspection_runs')
        .where('state', '!=', 'running')
        .where('started_at', '<', before)
        .executeTakeFirst();
      return { risks: Number(risks.numDeletedRows), runs: Number(runs.numDeletedRows) };
    });
  }

  async deleteTeam(team: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('risk_entities').where('team', '=', team).execute();
      await tx.deleteFrom('risks').where('team', '=', team).execute();
      const runs = tx.selectFrom('inspection_runs').select('id').where('team', '=', team);
      await tx.deleteFrom('inspection_run_results').where('run_id', 'in', runs).execute();
      await tx.deleteFrom('inspection_runs').where('team', '=', team).execute();
    });
  }

  /**
   * Records a run as started. A scheduled run claims its slot: when the (team, inspection, slot) row
   * already exists — another server or an earlier life of this one ran it — nothing is written and the
   * answer is undefined.
   */
  /**
   * With `fence` (the scheduler's term, ADR 0028) the slot is claimed only while that term is current, so
   * a deposed scheduler never takes a slot from the new one.
   */
  async startRun(run: NewInspectionRun, fence?: WriteFence): Promise<InspectionRun | undefined> {
    const id = randomUUID();
    const counts = { checks: 0, ok: 0, risks: 0, noData: 0, failed: 0, findings: 0 };
    const insert = (db: Kysely<Database>) =>
      db
        .insertInto('inspection_runs')
        .values({
          id,
          team: run.team,
          inspection: run.inspection,
          trigger: run.trigger,
          slot: run.slot,
          state: 'running',
          created_by: run.createdBy,
          started_at: run.startedAt,
          finished_at: null,
          counts: JSON.stringify(counts),
        })
        .onConflict((oc) => oc.doNothing())
        .returning('seq')
        .executeTakeFirst();
    const inserted = fence
      ? await this.db.transaction().execute(async (tx) => {
          await checkFence(tx, this.dialect, fence);
          return insert(tx);
        })
      : await insert(this.db);
    if (!inserted) return undefined;
    return {
      id,
      team: run.team,
      inspection: run.inspection,
      trigger: run.trigger,
      ...(run.slot ? { slot: run.slot } : {}),
      state: 'running',
      startedAt: run.startedAt,
      createdBy: run.createdBy,
      counts,
    };
  }

  /** Ends a run with its checks' results, in one transaction. */
  async finishRun(
    id: string,
    state: Exclude<InspectionRunState, 'running'>,
    finishedAt: string,
    results: readonly InspectionCheckResult[],
    fence?: WriteFence,
  ): Promise<void> {
    const counts = {
      checks: results.length,
      ok: results.filter((r) => r.outcome === 'ok').length,
      risks: results.filter((r) => r.outcome === 'risks').length,
      noData: results.filter((r) => r.outcome === 'noData').length,
      failed: results.filter((r) => r.outcome === 'failed').length,
      findings: results.reduce((sum, r) => sum + r.findings.length, 0),
    };
    await this.db.transaction().execute(async (tx) => {
      // A scheduled run's finish is written in the scheduler's term only (ADR 0028).
      if (fence) await checkFence(tx, this.dialect, fence);
      for (let i = 0; i < results.length; i += CHUNK) {
        await tx
          .insertInto('inspection_run_results')
          .values(
            results.slice(i, i + CHUNK).map((result, j) => ({
              run_id: id,
              check_name: result.check,
              ordinal: i + j,
              type: result.type,
              outcome: result.outcome,
              reason: result.reason,
              message: result.message,
              findings: JSON.stringify(result.findings),
              dropped: result.dropped,
              duration_ms: result.durationMs,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      await tx
        .updateTable('inspection_runs')
        .set({ state, finished_at: finishedAt, counts: JSON.stringify(counts) })
        .where('id', '=', id)
        .execute();
    });
  }

  /**
   * Scheduled runs still `running` that started before `before`: their server died mid-run. They end as
   * failed (no results), and their slot stays claimed: a slot is never run twice.
   */
  async failInterrupted(before: string, finishedAt: string, fence?: WriteFence): Promise<number> {
    const update = (db: Kysely<Database>) =>
      db
        .updateTable('inspection_runs')
        .set({ state: 'failed', finished_at: finishedAt })
        .where('state', '=', 'running')
        .where('trigger', '=', 'schedule')
        .where('started_at', '<', before)
        .executeTakeFirst();
    // With `fence` (a scheduler's new term, ADR 0028): only while that term is current.
    const result = fence
      ? await this.db.transaction().execute(async (tx) => {
          await checkFence(tx, this.dialect, fence);
          return update(tx);
        })
      : await update(this.db);
    return Number(result.numUpdatedRows);
  }

  async getRun(team: string, id: string): Promise<InspectionRunWithResults | undefined> {
    const row = await this.db
      .selectFrom('inspection_runs')
      .selectAll()
      .where('team', '=', team)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const results = await this.db
      .selectFrom('inspection_run_results')
      .selectAll()
      .where('run_id', '=', id)
      .orderBy('ordinal')
      .execute();
    return {
      ...toRun(row),
      results: results.map((result): InspectionCheckResult => ({
        check: result.check_name,
        type: result.type as InspectionCheckResult['type'],
        outcome: result.outcome as InspectionCheckResult['outcome'],
        reason: result.reason,
        message: result.message,
        findings: JSON.parse(result.findings) as InspectionFinding[],
        dropped: result.dropped,
        durationMs: Number(result.duration_ms),
      })),
    };
  }

  async listRuns(
    team: string,
    inspection: string,
    limit: number,
    beforeSeq?: number,
  ): Promise<{ items: InspectionRun[]; nextBeforeSeq?: number }> {
    let select = this.db
      .selectFrom('inspection_runs')
      .selectAll()
      .where('team', '=', team)
      .where('inspection', '=', inspection);
    if (beforeSeq !== undefined) select = select.where('seq', '<', beforeSeq);
    const rows = await select
      .orderBy('seq', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(toRun);
    const last = rows[limit - 1];
    return rows.length > limit && last ? { items, nextBeforeSeq: Number(last.seq) } : { items };
  }

  /** The finished run of the same inspection just before run `id`. */
  async previousRunId(team: string, id: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('inspection_runs')
      .select(['seq', 'inspection'])
      .where('team', '=', team)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const previous = await this.db
      .selectFrom('inspection_runs')
      .select('id')
      .where('team', '=', team)
      .where('inspection', '=', row.inspection)
      .where('seq', '<', row.seq)
      .where('state', '!=', 'running')
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return previous?.id;
  }

  /** The latest cron slot claimed for the inspection (ISO time), through the slot's unique index. */
  async lastSlot(team: string, inspection: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('inspection_runs')
      .select('slot')
      .where('team', '=', team)
      .where('inspection', '=', inspection)
      .where('slot', 'is not', null)
      .orderBy('slot', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.slot ?? undefined;
  }
}

function sameContent(row: Selectable<RiskTable>, observation: RiskObservationInput): boolean {
  return (
    row.title === observation.title &&
    row.score === clampScore(observation.score) &&
    row.entities === JSON.stringify(observation.entities) &&
    row.details === JSON.stringify(observation.details)
  );
}

function clampScore(score: number): number {
  if (!Number.isFinite(score)) return 0;
  return Math.min(100, Math.max(0, Math.round(score)));
}

function toRisk(row: Selectable<RiskTable>): Risk {
  return {
    id: row.id,
    team: row.team,
    source: {
      kind: row.source_kind as Risk['source']['kind'],
      name: row.source_name,
      check: row.source_check,
      ...(row.run_id ? { runId: row.run_id } : {}),
    },
    key: row.risk_key,
    title: row.title,
    score: row.score,
    entities: JSON.parse(row.entities) as RiskEntity[],
    details: JSON.parse(row.details) as Record<string, unknown>,
    state: row.state as RiskState,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    ...(row.gone_at ? { goneAt: row.gone_at } : {}),
  };
}

function toRun(row: Selectable<InspectionRunTable>): InspectionRun {
  return {
    id: row.id,
    team: row.team,
    inspection: row.inspection,
    trigger: row.trigger as InspectionRun['trigger'],
    ...(row.slot ? { slot: row.slot } : {}),
    state: row.state as InspectionRunState,
    startedAt: row.started_at,
    ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
    createdBy: row.created_by,
    counts: JSON.parse(row.counts) as InspectionRun['counts'],
  };
}

/** The row mapper, for the health stream's reads (health-stream-repository.ts). */
export { toRisk as riskFromRow };
