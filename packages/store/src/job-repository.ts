import { sql, type Kysely, type Selectable } from 'kysely';
import type {
  JobOutputChunk,
  JobParameterValue,
  JobRun,
  JobRunState,
  JobTarget,
  JobTargetState,
  JobTargets,
} from '@gantry/model';
import { insertAudit, type AuditInput } from './audit-repository.ts';
import type { Database, JobRunTable, JobTargetTable } from './schema.ts';
import type { Dialect } from './dialect.ts';

/** A run as created: everything but what the controller fills in later. */
export interface NewJobRun {
  id: string;
  team: string;
  template: string;
  templateVersion: string;
  scriptSha256: string;
  parameters: Record<string, JobParameterValue>;
  targets: JobTargets;
  /** What each target runs, frozen at creation (the jobs package's own shape). */
  execution: unknown;
  concurrency: number;
  batchSize: number | null;
  stopAfterFailures: number | null;
  createdBy: string;
  schedule: string | null;
  rerunOf: string | null;
  createdAt: string;
}

export interface NewJobTarget {
  target: string;
  kind: 'host' | 'cluster';
}

/** The fields of a target a state change may set. */
export type JobTargetPatch = Partial<
  Pick<
    JobTarget,
    | 'state'
    | 'attempt'
    | 'exitCode'
    | 'signal'
    | 'reason'
    | 'message'
    | 'outputBytes'
    | 'truncated'
    | 'dispatchedAt'
    | 'startedAt'
    | 'finishedAt'
  >
> & { deadline?: number | null };

export type StoredJobTarget = JobTarget & { deadline: number | null };

export interface JobRunRecordQuery {
  /** Team names the caller may read; undefined for all. */
  teams?: readonly string[];
  team?: string;
  template?: string;
  schedule?: string;
  state?: JobRunState;
  /** Resume below this `seq` (newest first). */
  beforeSeq?: number;
  limit: number;
}

export interface NewOutputChunk {
  runId: string;
  target: string;
  attempt: number;
  seq: number;
  stream: JobOutputChunk['stream'];
  data: string;
  at: string;
}

const CHUNK = 200;
/** The first key of the advisory locks that order a run's output inserts (PostgreSQL). */
const OUTPUT_LOCK_CLASS = 0x6a6f62; // 'job'

/** Job runs, their targets and their output (migration 0012-jobs). */
export class JobRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  /**
   * Followers read a run's output by id (`id > after`). On PostgreSQL ids come from a sequence when a row
   * is inserted, and concurrent transactions may commit out of that order: a follower that has read id 12
   * would never see an 11 that commits after it. A transaction-scoped advisory lock per run makes a run's
   * output inserts take their ids and commit one at a time (SQLite has a single writer already).
   */
  async #lockRunOutput(tx: Kysely<Database>, runId: string): Promise<void> {
    if (this.dialect !== 'postgres') return;
    await sql`select pg_advisory_xact_lock(${OUTPUT_LOCK_CLASS}, hashtext(${runId}))`.execute(tx);
  }

  /** Creates the run, its targets (all `queued`) and its audit entry in one transaction. */
  async create(run: NewJobRun, targets: readonly NewJobTarget[], audit: AuditInput): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('job_runs')
        .values({
          id: run.id,
          team: run.team,
          template: run.template,
          template_version: run.templateVersion,
          script_sha256: run.scriptSha256,
          parameters: JSON.stringify(run.parameters),
          targets: JSON.stringify(run.targets),
          execution: JSON.stringify(run.execution),
          concurrency: run.concurrency,
          batch_size: run.batchSize,
          stop_after_failures: run.stopAfterFailures,
          created_by: run.createdBy,
          schedule: run.schedule,
          rerun_of: run.rerunOf,
          state: 'Running',
          reason: 'Created',
          cancel_requested: 0,
          created_at: run.createdAt,
          finished_at: null,
        })
        .execute();
      for (let i = 0; i < targets.length; i += CHUNK) {
        await tx
          .insertInto('job_targets')
          .values(
            targets.slice(i, i + CHUNK).map((target, offset) => ({
              run_id: run.id,
              target: target.target,
              kind: target.kind,
              ordinal: i + offset,
              state: 'queued',
              attempt: 0,
              exit_code: null,
              signal: null,
              reason: 'Queued',
              message: '',
              output_bytes: 0,
              truncated: 0,
              dispatched_at: null,
              started_at: null,
              finished_at: null,
              deadline: null,
            })),
          )
          .execute();
      }
      await insertAudit(tx, audit);
    });
  }

  /** The run; `counts` (targets by state) are left empty with `withCounts: false`, for the hot paths. */
  async get(id: string, options: { withCounts?: boolean } = {}): Promise<JobRun | undefined> {
    const row = await this.db.selectFrom('job_runs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    if (options.withCounts === false) return toRun(row, {});
    return toRun(row, await this.counts([id]).then((all) => all.get(id) ?? {}));
  }

  /** Whether any target of the run is still queued, dispatched or running. */
  async hasUnfinishedTargets(runId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('job_targets')
      .select('target')
      .where('run_id', '=', runId)
      .where('state', 'in', ['queued', 'dispatched', 'running'])
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async execution(id: string): Promise<unknown> {
    const row = await this.db
      .selectFrom('job_runs')
      .select('execution')
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? (JSON.parse(row.execution) as unknown) : undefined;
  }

  async list(query: JobRunRecordQuery): Promise<{ items: JobRun[]; nextSeq?: number }> {
    if (query.teams?.length === 0) return { items: [] };
    let select = this.db.selectFrom('job_runs').selectAll();
    if (query.teams) select = select.where('team', 'in', query.teams);
    if (query.team) select = select.where('team', '=', query.team);
    if (query.template) select = select.where('template', '=', query.template);
    if (query.schedule) select = select.where('schedule', '=', query.schedule);
    if (query.state) select = select.where('state', '=', query.state);
    if (query.beforeSeq !== undefined) select = select.where('seq', '<', query.beforeSeq);
    const rows = await select
      .orderBy('seq', 'desc')
      .limit(query.limit + 1)
      .execute();
    const page = rows.slice(0, query.limit);
    const counts = await this.counts(page.map((row) => row.id));
    const items = page.map((row) => toRun(row, counts.get(row.id) ?? {}));
    const last = page.at(-1);
    return rows.length > query.limit && last ? { items, nextSeq: Number(last.seq) } : { items };
  }

  /** Ids of runs still going, oldest first: what the run controller looks at. */
  async activeRunIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('job_runs')
      .select('id')
      .where('state', '=', 'Running')
      .orderBy('seq')
      .execute();
    return rows.map((row) => row.id);
  }

  async targets(runId: string, states?: readonly JobTargetState[]): Promise<StoredJobTarget[]> {
    let select = this.db.selectFrom('job_targets').selectAll().where('run_id', '=', runId);
    if (states) select = select.where('state', 'in', states);
    const rows = await select.orderBy('ordinal').execute();
    return rows.map(toTarget);
  }

  async target(runId: string, target: string): Promise<StoredJobTarget | undefined> {
    const row = await this.db
      .selectFrom('job_targets')
      .selectAll()
      .where('run_id', '=', runId)
      .where('target', '=', target)
      .executeTakeFirst();
    return row ? toTarget(row) : undefined;
  }

  /**
   * Changes a target only while it is in one of `from` (and at `attempt`, when given): the one step that
   * makes a state change happen once, whichever server or message gets there first. True when it did.
   */
  async updateTarget(
    runId: string,
    target: string,
    from: readonly JobTargetState[],
    patch: JobTargetPatch,
    attempt?: number,
  ): Promise<boolean> {
    let update = this.db
      .updateTable('job_targets')
      .set(targetColumns(patch))
      .where('run_id', '=', runId)
      .where('target', '=', target)
      .where('state', 'in', from);
    if (attempt !== undefined) update = update.where('attempt', '=', attempt);
    const result = await update.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Every target of the run in one of `from` moves by `patch`; returns how many did. */
  async updateTargets(
    runId: string,
    from: readonly JobTargetState[],
    patch: JobTargetPatch,
  ): Promise<number> {
    const result = await this.db
      .updateTable('job_targets')
      .set(targetColumns(patch))
      .where('run_id', '=', runId)
      .where('state', 'in', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async requestCancel(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('job_runs')
      .set({ cancel_requested: 1 })
      .where('id', '=', id)
      .where('state', '=', 'Running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Ends a run that is still Running; false when it had already ended. */
  async finish(id: string, state: JobRunState, reason: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('job_runs')
      .set({ state, reason, finished_at: at })
      .where('id', '=', id)
      .where('state', '=', 'Running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async setReason(id: string, reason: string): Promise<void> {
    await this.db.updateTable('job_runs').set({ reason }).where('id', '=', id).execute();
  }

  /**
   * Stores a chunk unless it is stored already (the transport delivers at least once), and only while
   * the target's stored output is under `capBytes` (else it marks the target truncated). One transaction.
   */
  async appendOutputCapped(
    chunk: NewOutputChunk,
    capBytes: number,
  ): Promise<'stored' | 'duplicate' | 'over-cap'> {
    const bytes = Buffer.byteLength(chunk.data);
    return this.db.transaction().execute(async (tx) => {
      await this.#lockRunOutput(tx, chunk.runId);
      const inserted = await tx
        .insertInto('job_output')
        .values({
          run_id: chunk.runId,
          target: chunk.target,
          attempt: chunk.attempt,
          seq: chunk.seq,
          stream: chunk.stream,
          data: chunk.data,
          at: chunk.at,
        })
        .onConflict((oc) => oc.columns(['run_id', 'target', 'attempt', 'seq']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) return 'duplicate';
      const counted = await tx
        .updateTable('job_targets')
        .set((eb) => ({ output_bytes: eb('output_bytes', '+', bytes) }))
        .where('run_id', '=', chunk.runId)
        .where('target', '=', chunk.target)
        .where('output_bytes', '<', capBytes)
        .executeTakeFirst();
      if (Number(counted.numUpdatedRows) === 1) return 'stored';
      await tx
        .deleteFrom('job_output')
        .where('run_id', '=', chunk.runId)
        .where('target', '=', chunk.target)
        .where('attempt', '=', chunk.attempt)
        .where('seq', '=', chunk.seq)
        .execute();
      await tx
        .updateTable('job_targets')
        .set({ truncated: 1 })
        .where('run_id', '=', chunk.runId)
        .where('target', '=', chunk.target)
        .execute();
      return 'over-cap';
    });
  }

  /** Stores a chunk unless it is stored already; true when new. No cap. */
  async appendOutput(chunk: NewOutputChunk): Promise<boolean> {
    const result = await this.db.transaction().execute(async (tx) => {
      await this.#lockRunOutput(tx, chunk.runId);
      return tx
        .insertInto('job_output')
        .values({
          run_id: chunk.runId,
          target: chunk.target,
          attempt: chunk.attempt,
          seq: chunk.seq,
          stream: chunk.stream,
          data: chunk.data,
          at: chunk.at,
        })
        .onConflict((oc) => oc.columns(['run_id', 'target', 'attempt', 'seq']).doNothing())
        .executeTakeFirst();
    });
    const inserted = Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    if (inserted) {
      await this.db
        .updateTable('job_targets')
        .set((eb) => ({ output_bytes: eb('output_bytes', '+', Buffer.byteLength(chunk.data)) }))
        .where('run_id', '=', chunk.runId)
        .where('target', '=', chunk.target)
        .execute();
    }
    return inserted;
  }

  /** Output after cursor `after` (a chunk id), oldest first. */
  async output(
    runId: string,
    options: { after: number; target?: string; limit: number },
  ): Promise<JobOutputChunk[]> {
    let select = this.db
      .selectFrom('job_output')
      .selectAll()
      .where('run_id', '=', runId)
      .where('id', '>', options.after);
    if (options.target) select = select.where('target', '=', options.target);
    const rows = await select.orderBy('id').limit(options.limit).execute();
    return rows.map((row) => ({
      id: Number(row.id),
      target: row.target,
      attempt: row.attempt,
      seq: row.seq,
      stream: row.stream as JobOutputChunk['stream'],
      data: row.data,
      at: row.at,
    }));
  }

  /** Targets by state for each run. */
  async counts(runIds: readonly string[]): Promise<Map<string, Record<string, number>>> {
    const result = new Map<string, Record<string, number>>();
    if (runIds.length === 0) return result;
    const rows = await this.db
      .selectFrom('job_targets')
      .select(['run_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('run_id', 'in', runIds)
      .groupBy(['run_id', 'state'])
      .execute();
    for (const row of rows) {
      const counts = result.get(row.run_id) ?? {};
      counts[row.state] = Number(row.n);
      result.set(row.run_id, counts);
    }
    return result;
  }
}

function toRun(row: Selectable<JobRunTable>, counts: Record<string, number>): JobRun {
  return {
    id: row.id,
    team: row.team,
    template: row.template,
    templateVersion: row.template_version,
    scriptSha256: row.script_sha256,
    parameters: JSON.parse(row.parameters) as Record<string, JobParameterValue>,
    targets: JSON.parse(row.targets) as JobTargets,
    concurrency: row.concurrency,
    batchSize: row.batch_size,
    stopAfterFailures: row.stop_after_failures,
    createdBy: row.created_by,
    schedule: row.schedule,
    rerunOf: row.rerun_of,
    state: row.state as JobRunState,
    reason: row.reason,
    cancelRequested: row.cancel_requested === 1,
    counts,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

function toTarget(row: JobTargetTable): StoredJobTarget {
  return {
    runId: row.run_id,
    target: row.target,
    kind: row.kind as JobTarget['kind'],
    ordinal: row.ordinal,
    state: row.state as JobTargetState,
    attempt: row.attempt,
    exitCode: row.exit_code,
    signal: row.signal,
    reason: row.reason,
    message: row.message,
    outputBytes: row.output_bytes,
    truncated: row.truncated === 1,
    dispatchedAt: row.dispatched_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    deadline: row.deadline === null ? null : Number(row.deadline),
  };
}

function targetColumns(patch: JobTargetPatch): Partial<JobTargetTable> {
  const columns: Partial<JobTargetTable> = {};
  if (patch.state !== undefined) columns.state = patch.state;
  if (patch.attempt !== undefined) columns.attempt = patch.attempt;
  if (patch.exitCode !== undefined) columns.exit_code = patch.exitCode;
  if (patch.signal !== undefined) columns.signal = patch.signal;
  if (patch.reason !== undefined) columns.reason = patch.reason.slice(0, 64);
  if (patch.message !== undefined) columns.message = patch.message;
  if (patch.outputBytes !== undefined) columns.output_bytes = patch.outputBytes;
  if (patch.truncated !== undefined) columns.truncated = patch.truncated ? 1 : 0;
  if (patch.dispatchedAt !== undefined) columns.dispatched_at = patch.dispatchedAt;
  if (patch.startedAt !== undefined) columns.started_at = patch.startedAt;
  if (patch.finishedAt !== undefined) columns.finished_at = patch.finishedAt;
  if (patch.deadline !== undefined) columns.deadline = patch.deadline;
  return columns;
}
