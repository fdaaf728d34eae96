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
import {
  IdempotencyRepository,
  claimIdempotencyKey,
  recordIdempotentAnswer,
  type IdempotencyClaim,
  type IdempotencyOutcome,
} from './idempotency-repository.ts';
import type { Database, JobRunTable, JobTargetTable } from './schema.ts';
import type { Dialect } from './dialect.ts';
import { checkFence, type WriteFence } from './fence.ts';
import type { StoreTransaction } from './transaction.ts';

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
  /** Runs with this host among their targets (a lookup in `job_run_hosts`). */
  host?: string;
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

export interface CappedOutputChunk extends NewOutputChunk {
  /** The target's stored output (all attempts) at or over which this chunk is dropped. */
  capBytes: number;
}

export type OutputFate = 'stored' | 'duplicate' | 'over-cap';

const CHUNK = 200;
/** Values in one `IN (...)` list, and output rows in one insert (7 parameters each). */
const IN_LIST = 500;
const OUTPUT_ROWS = 500;
const chunkKey = (chunk: { target: string; attempt: number; seq: number }): string =>
  `${chunk.target}\u0000${chunk.attempt}\u0000${chunk.seq}`;
/** The first key of the advisory locks that order a run's output inserts (PostgreSQL). */
const OUTPUT_LOCK_CLASS = 0x6a6f62; // 'job'

/** Job runs, their targets and their output (migration 0012-jobs). */
export class JobRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect = 'sqlite',
  ) {}

  /** This repository inside a transaction another opened (one group commit of agents' reports). */
  within(tx: StoreTransaction): JobRepository {
    return new JobRepository(tx, this.dialect);
  }

  /** Runs `work` in one transaction: the one this repository is bound to, or a new one. */
  async inTransaction<T>(work: (jobs: JobRepository) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this);
    return this.db.transaction().execute((tx) => work(new JobRepository(tx, this.dialect)));
  }

  /**
   * Runs a write the run controller makes because it leads: with `fence` (its term, ADR 0028) in a
   * transaction that first reads the lease row (`checkFence`: one primary-key read), so a write from a term
   * that is over is refused (`FencedWriteRefused`) and changes nothing; without one, as it is.
   */
  async #fenced<T>(fence: WriteFence | undefined, write: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (!fence) return write(this.db);
    return this.inTransaction(async (jobs) => {
      await checkFence(jobs.db, jobs.dialect, fence);
      return write(jobs.db);
    });
  }

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

  /**
   * Creates the run, its targets (all `queued`) and its audit entry in one transaction. With `idempotent`
   * (ADR 0029) the key is claimed first and the run's id recorded under it in the same transaction; a key
   * already answered returns that run's id and creates nothing. With `fence` (the schedule controller's
   * term, ADR 0028) only while that term is current.
   */
  async create(
    run: NewJobRun,
    targets: readonly NewJobTarget[],
    audit: AuditInput,
    idempotent?: { claim: IdempotencyClaim; reused: () => Error },
    fence?: WriteFence,
  ): Promise<{ replayedRunId?: string }> {
    return this.db.transaction().execute(async (tx) => {
      if (fence) await checkFence(tx, this.dialect, fence);
      if (idempotent) {
        const outcome = await claimIdempotencyKey(tx, idempotent.claim);
        if (outcome.type === 'reused') throw idempotent.reused();
        if (outcome.type === 'replay')
          return { replayedRunId: (JSON.parse(outcome.answer.body) as { id: string }).id };
      }
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
      const hosts = targets.filter((target) => target.kind === 'host');
      if (hosts.length > 0) {
        const stored = await tx
          .selectFrom('job_runs')
          .select('seq')
          .where('id', '=', run.id)
          .executeTakeFirstOrThrow();
        for (let i = 0; i < hosts.length; i += CHUNK)
          await tx
            .insertInto('job_run_hosts')
            .values(
              hosts.slice(i, i + CHUNK).map((target) => ({
                host: target.target,
                team: run.team,
                run_seq: Number(stored.seq),
                run_id: run.id,
              })),
            )
            .execute();
      }
      await insertAudit(tx, audit);
      if (idempotent)
        await recordIdempotentAnswer(tx, idempotent.claim, {
          status: 201,
          body: JSON.stringify({ id: run.id }),
        });
      return {};
    });
  }

  /** The run a create sent with this idempotency key made, if the key is still kept (ADR 0029). */
  async idempotentRun(claim: IdempotencyClaim): Promise<IdempotencyOutcome | undefined> {
    return new IdempotencyRepository(this.db).find(claim);
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

  /** The statement `list` runs (its plan is checked by a test). */
  listQuery(query: JobRunRecordQuery) {
    let select = this.db.selectFrom('job_runs as r').selectAll('r');
    if (query.host !== undefined) {
      // From the host's rows of `job_run_hosts`, newest first: a range of its primary key, not a scan.
      let hostRuns = this.db
        .selectFrom('job_run_hosts as h')
        .select('h.run_seq')
        .where('h.host', '=', query.host);
      if (query.teams) hostRuns = hostRuns.where('h.team', 'in', query.teams);
      if (query.team) hostRuns = hostRuns.where('h.team', '=', query.team);
      if (query.beforeSeq !== undefined) hostRuns = hostRuns.where('h.run_seq', '<', query.beforeSeq);
      // With no filter on the run itself, the page is cut in the index (newest first), not after a sort.
      if (!query.template && !query.schedule && !query.state)
        hostRuns = hostRuns.orderBy('h.run_seq', 'desc').limit(query.limit + 1);
      select = this.db
        .selectFrom(hostRuns.as('h'))
        .innerJoin('job_runs as r', 'r.seq', 'h.run_seq')
        .selectAll('r');
    } else {
      // (A host's rows carry their run's team: filtered there.)
      if (query.teams) select = select.where('r.team', 'in', query.teams);
      if (query.team) select = select.where('r.team', '=', query.team);
    }
    if (query.template) select = select.where('r.template', '=', query.template);
    if (query.schedule) select = select.where('r.schedule', '=', query.schedule);
    if (query.state) select = select.where('r.state', '=', query.state);
    if (query.beforeSeq !== undefined) select = select.where('r.seq', '<', query.beforeSeq);
    return select.orderBy('r.seq', 'desc').limit(query.limit + 1);
  }

  async list(query: JobRunRecordQuery): Promise<{ items: JobRun[]; nextSeq?: number }> {
    if (query.teams?.length === 0) return { items: [] };
    const rows = await this.listQuery(query).execute();
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
    fence?: WriteFence,
  ): Promise<boolean> {
    return this.#fenced(fence, async (db) => {
      let update = db
        .updateTable('job_targets')
        .set(targetColumns(patch))
        .where('run_id', '=', runId)
        .where('target', '=', target)
        .where('state', 'in', from);
      if (attempt !== undefined) update = update.where('attempt', '=', attempt);
      const result = await update.executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  /**
   * `updateTarget` for many targets of one run at one attempt, by the same patch, in one statement per
   * 500 targets: each moves only while in one of `from`. Answers the targets that moved.
   */
  async updateTargetsAt(
    runId: string,
    attempt: number,
    targets: readonly string[],
    from: readonly JobTargetState[],
    patch: JobTargetPatch,
    fence?: WriteFence,
  ): Promise<Set<string>> {
    return this.#fenced(fence, async (db) => {
      const moved = new Set<string>();
      for (let at = 0; at < targets.length; at += IN_LIST) {
        const rows = await db
          .updateTable('job_targets')
          .set(targetColumns(patch))
          .where('run_id', '=', runId)
          .where('attempt', '=', attempt)
          .where('state', 'in', from)
          .where('target', 'in', targets.slice(at, at + IN_LIST))
          .returning('target')
          .execute();
        for (const row of rows) moved.add(row.target);
      }
      return moved;
    });
  }

  /** Every target of the run in one of `from` moves by `patch`; returns how many did. */
  async updateTargets(
    runId: string,
    from: readonly JobTargetState[],
    patch: JobTargetPatch,
    fence?: WriteFence,
  ): Promise<number> {
    return this.#fenced(fence, async (db) => {
      const result = await db
        .updateTable('job_targets')
        .set(targetColumns(patch))
        .where('run_id', '=', runId)
        .where('state', 'in', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
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
  async finish(
    id: string,
    state: JobRunState,
    reason: string,
    at: string,
    fence?: WriteFence,
  ): Promise<boolean> {
    return this.#fenced(fence, async (db) => {
      const result = await db
        .updateTable('job_runs')
        .set({ state, reason, finished_at: at })
        .where('id', '=', id)
        .where('state', '=', 'Running')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  async setReason(id: string, reason: string, fence?: WriteFence): Promise<void> {
    await this.#fenced(fence, (db) =>
      db.updateTable('job_runs').set({ reason }).where('id', '=', id).execute(),
    );
  }

  /**
   * Stores a chunk unless it is stored already (the transport delivers at least once), and only while
   * the target's stored output is under `capBytes` (else it marks the target truncated). One transaction.
   */
  async appendOutputCapped(
    chunk: NewOutputChunk,
    capBytes: number,
  ): Promise<'stored' | 'duplicate' | 'over-cap'> {
    const [fate] = await this.appendOutputBatch(chunk.runId, [{ ...chunk, capBytes }]);
    return fate!;
  }

  /**
   * Stores chunks of one run, in order, with a handful of statements whatever their number (the agents'
   * reports of one group commit): each chunk unless it is stored already, and only while its target's
   * stored output is under the chunk's `capBytes` (else the target is marked truncated), as if appended
   * one after the other. Answers each chunk's fate in the order given. In the transaction this
   * repository is bound to (`within`), else in one of its own.
   */
  async appendOutputBatch(runId: string, chunks: readonly CappedOutputChunk[]): Promise<OutputFate[]> {
    if (chunks.length === 0) return [];
    return this.inTransaction((jobs) => jobs.#appendOutputBatch(runId, chunks));
  }

  async #appendOutputBatch(runId: string, chunks: readonly CappedOutputChunk[]): Promise<OutputFate[]> {
    const tx = this.db;
    await this.#lockRunOutput(tx, runId);
    const fates: OutputFate[] = chunks.map(() => 'duplicate');
    // A chunk given twice in one batch (redelivered while the first was waiting) is stored once.
    const firstOf = new Map<string, number>();
    chunks.forEach((chunk, index) => {
      if (chunk.runId !== runId) throw new Error(`chunk of run ${chunk.runId} in a batch of run ${runId}`);
      const key = chunkKey(chunk);
      if (!firstOf.has(key)) firstOf.set(key, index);
    });
    const targets = [...new Set(chunks.map((chunk) => chunk.target))];
    const stored = new Map<string, number>();
    for (let at = 0; at < targets.length; at += IN_LIST) {
      const rows = await tx
        .selectFrom('job_targets')
        .select(['target', 'output_bytes'])
        .where('run_id', '=', runId)
        .where('target', 'in', targets.slice(at, at + IN_LIST))
        .execute();
      for (const row of rows) stored.set(row.target, Number(row.output_bytes));
    }
    // Ids in the order given: a follower reads a target's chunks in the order they were sent.
    const unique = [...firstOf.values()].map((index) => chunks[index]!);
    const ids = new Map<string, number>();
    for (let at = 0; at < unique.length; at += OUTPUT_ROWS) {
      const rows = await tx
        .insertInto('job_output')
        .values(
          unique.slice(at, at + OUTPUT_ROWS).map((chunk) => ({
            run_id: runId,
            target: chunk.target,
            attempt: chunk.attempt,
            seq: chunk.seq,
            stream: chunk.stream,
            data: chunk.data,
            at: chunk.at,
          })),
        )
        .onConflict((oc) => oc.columns(['run_id', 'target', 'attempt', 'seq']).doNothing())
        .returning(['id', 'target', 'attempt', 'seq'])
        .execute();
      for (const row of rows) ids.set(chunkKey(row), Number(row.id));
    }
    // The cap, chunk by chunk as the single append decides it: a new chunk counts while its target's
    // stored bytes are under the cap; the first that finds them at or over it is dropped, and so on.
    const added = new Map<string, number>();
    const dropped: number[] = [];
    const truncated = new Set<string>();
    for (const [key, index] of firstOf) {
      const id = ids.get(key);
      if (id === undefined) continue;
      const chunk = chunks[index]!;
      const before = stored.get(chunk.target);
      if (before !== undefined && before < chunk.capBytes) {
        const bytes = Buffer.byteLength(chunk.data);
        stored.set(chunk.target, before + bytes);
        added.set(chunk.target, (added.get(chunk.target) ?? 0) + bytes);
        fates[index] = 'stored';
      } else {
        dropped.push(id);
        truncated.add(chunk.target);
        fates[index] = 'over-cap';
      }
    }
    for (let at = 0; at < dropped.length; at += IN_LIST)
      await tx
        .deleteFrom('job_output')
        .where('id', 'in', dropped.slice(at, at + IN_LIST))
        .execute();
    const increments = [...added];
    for (let at = 0; at < increments.length; at += IN_LIST) {
      const slice = increments.slice(at, at + IN_LIST);
      const cases = sql.join(
        slice.map(([target, bytes]) => sql`when ${target} then cast(${bytes} as integer)`),
        sql` `,
      );
      await tx
        .updateTable('job_targets')
        .set({ output_bytes: sql<number>`output_bytes + case target ${cases} else 0 end` })
        .where('run_id', '=', runId)
        .where(
          'target',
          'in',
          slice.map(([target]) => target),
        )
        .execute();
    }
    if (truncated.size > 0)
      await tx
        .updateTable('job_targets')
        .set({ truncated: 1 })
        .where('run_id', '=', runId)
        .where('target', 'in', [...truncated])
        .execute();
    return fates;
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
