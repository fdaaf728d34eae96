import {
  ErrorCodes,
  InputError,
  NotAllowedError,
  NotFoundError,
  parseJsonBody,
  type AlertSource,
  type ErrorCode,
} from '@gantry/model';
import { can, type Caller } from '@gantry/identity';
import type { AlertsIngested, AlertRepository, AlertWrite } from '@gantry/store';
import {
  IngestCommitFailed,
  IngestThread,
  IngestThreadGone,
  type BatchOutcome,
  type PreparedReply,
} from './ingest-thread.ts';
import type { InboundAlert, NormalizeReason, RejectReason } from './normalize.ts';
import { asInboundAlerts, postableProblem } from './postable.ts';
import { prepareAlerts, type PrepareOptions } from './prepare.ts';

/** Counters the ingest reports to (`/metrics`: gantry_alerts_*). */
export interface IngestMetrics {
  received(source: AlertSource, count: number): void;
  rejected(reason: RejectReason, count: number): void;
  normalized(reason: NormalizeReason, count: number): void;
  /** Whether the ingest's thread takes request bodies now (ADR 0042). */
  thread?(ready: boolean): void;
}

export interface AlertIngestOptions {
  repository: Pick<AlertRepository, 'upsert'> &
    Partial<Pick<AlertRepository, 'writesOffThread' | 'sqliteFile' | 'lease' | 'onContended'>>;
  /**
   * Whether request bodies go to the ingest's thread when the store is a SQLite file (ADR 0042; default
   * true). Without it, or until the thread has started, they are parsed and checked on the event loop.
   */
  thread?: boolean;
  /** Whether a team exists. */
  teamExists(team: string): Promise<boolean>;
  metrics: IngestMetrics;
  now: () => number;
  /** endsAt of an alert posted without one: now + this (Alertmanager's resolve_timeout). */
  resolveTimeoutMs: number;
  /** The label that binds an alert posted on a global path to its team. */
  teamLabel: string;
}

export interface IngestRequest {
  /** The team of a per-team path; absent on global paths, where `teamLabel` decides. */
  team?: string;
  source: AlertSource;
  alerts: readonly InboundAlert[];
}

/**
 * Most teams a body's caller is cleared for that go with it to the thread (ADR 0046); a body bound to a
 * team not among them comes back to be checked here.
 */
const APPROVED_TEAMS = 32;

/** An ingest refused on the way in: 400, or 404 for a team that does not exist. */
export class AlertRejectedError extends InputError {}

/** A request waiting for its commit on the store's connection (no thread). */
interface Pending {
  alerts: AlertWrite[];
  resolve(change: AlertsIngested): void;
  reject(error: unknown): void;
}

/** A batch handed to the thread, waiting for the commit that takes it (under a lease). */
interface AtThread {
  caller: Caller;
  resolve(outcome: BatchOutcome): void;
  reject(error: unknown): void;
}

/**
 * Alert ingest: checks a whole batch first (one bad alert refuses all of it: never a partial write),
 * binds each alert to its team and entities, and stores it. Batches that arrive while a write is in
 * flight are committed together in the next transaction (group commit); each request is answered once
 * the transaction holding its alerts has committed.
 */
export class AlertIngest {
  #queue: Pending[] = [];
  #writing = false;
  readonly #known = new Map<string, number>();
  /** The ingest's thread: undefined until the first body, null when there is none (ADR 0042). */
  #thread: IngestThread | undefined | null;
  /** Batches at the thread by id, until a commit takes them or they are refused. */
  readonly #atThread = new Map<number, AtThread>();
  /** Whether a lease is held (or the store's connection is being taken for one). */
  #leasing = false;

  constructor(private readonly options: AlertIngestOptions) {}

  async ingest(caller: Caller, request: IngestRequest): Promise<{ accepted: number }> {
    const options = this.#prepareOptions(request);
    const prepared = prepareAlerts(request.alerts, options);
    if (!prepared.ok)
      throw this.#refused({ ...prepared, id: -1, kind: 'refused', total: request.alerts.length });
    await this.#checkTeams(caller, prepared.teams, request.alerts.length);
    for (const [reason, count] of prepared.normalized) this.options.metrics.normalized(reason, count);
    if (prepared.writes.length > 0) {
      // With a thread, it writes these too (its heads stay right: ADR 0042); else the store's connection.
      const thread = this.#startedThread();
      const alerts = prepared.writes;
      try {
        if (!thread) throw new IngestThreadGone('no thread');
        await this.#handOver(caller, () => thread.stage(alerts, options.now));
      } catch (error) {
        if (!(error instanceof IngestThreadGone)) throw error;
        await this.#commit(alerts);
      }
    }
    this.options.metrics.received(request.source, prepared.writes.length);
    return { accepted: prepared.writes.length };
  }

  /**
   * `POST /api/v2/alerts`: a request body as it came (JSON of Alertmanager's `PostableAlerts`). On a SQLite
   * file its parsing, checks and write run in the ingest's thread (ADR 0042, 0046); otherwise here,
   * through `ingest`. Either way, one bad alert refuses the whole batch and the answer waits for the commit.
   */
  async ingestBody(
    caller: Caller,
    request: { team?: string; source: AlertSource; body: Uint8Array | undefined },
  ): Promise<{ accepted: number }> {
    const body = request.body ?? new Uint8Array();
    const thread = this.#startedThread();
    if (!thread) return this.ingest(caller, { ...request, alerts: this.#parse(body) });
    const options = this.#prepareOptions(request);
    let outcome: BatchOutcome;
    try {
      outcome = await this.#handOver(caller, () =>
        thread.prepare(body, options, this.#approved(caller, request.team)),
      );
    } catch (error) {
      if (!(error instanceof IngestThreadGone)) throw error;
      return this.ingest(caller, { ...request, alerts: this.#parse(body) });
    }
    for (const [reason, count] of outcome.normalized) this.options.metrics.normalized(reason, count);
    this.options.metrics.received(request.source, outcome.count);
    return { accepted: outcome.count };
  }

  /**
   * Starts the ingest's thread if it will have one, and resolves once it takes bodies (true) or when there
   * is none (false). Bodies are not held for it: until it is ready they are ingested on the event loop.
   */
  async threadReady(timeoutMs = 30_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (this.#startedThread()) return true;
      if (this.#thread === null || this.#thread?.gone || Date.now() > until) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Ends the ingest's thread, if it started one. */
  async close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = null;
    await thread?.stop();
  }

  #prepareOptions(request: { team?: string; source: AlertSource }): PrepareOptions {
    return {
      ...(request.team !== undefined ? { team: request.team } : {}),
      teamLabel: this.options.teamLabel,
      source: request.source,
      now: this.options.now(),
      resolveTimeoutMs: this.options.resolveTimeoutMs,
    };
  }

  /** The thread when it is running; started at the first body (a server that never ingests starts none). */
  #startedThread(): IngestThread | undefined {
    if (this.#thread === null) return undefined;
    if (this.#thread === undefined) {
      const file = this.options.thread === false ? undefined : this.options.repository.sqliteFile;
      if (!file || !this.options.repository.lease) {
        this.#thread = null;
        return undefined;
      }
      // The lease ends as soon as anyone else waits for the store's connection.
      this.options.repository.onContended?.(() => this.#thread?.release());
      this.#thread = new IngestThread({
        ...file,
        onPrepared: (reply) => this.#onPrepared(reply),
        onEnded: (held, gone) => {
          for (const id of held) this.#take(id)?.reject(gone);
        },
        onReady: () => this.options.metrics.thread?.(true),
        onGone: () => this.options.metrics.thread?.(false),
      });
    }
    return this.#thread.ready ? this.#thread : undefined;
  }

  /** A batch handed to the thread (`send` returns its id), resolved once a commit takes it. */
  #handOver(caller: Caller, send: () => number): Promise<BatchOutcome> {
    return new Promise((resolve, reject) => {
      this.#atThread.set(send(), { caller, resolve, reject });
      this.#leaseSoon();
    });
  }

  #take(id: number): AtThread | undefined {
    const waiting = this.#atThread.get(id);
    this.#atThread.delete(id);
    return waiting;
  }

  /**
   * The teams a body of `caller` may bind to without coming back to be checked (ADR 0046): those checked
   * lately (they exist) that the caller may write, the path's team only on a per-team path.
   */
  #approved(caller: Caller, team: string | undefined): string[] {
    const now = this.options.now();
    const fresh = (name: string) =>
      (this.#known.get(name) ?? 0) > now && can(caller.principal, 'write', name);
    if (team !== undefined) return fresh(team) ? [team] : [];
    const approved: string[] = [];
    for (const name of this.#known.keys()) {
      if (approved.length === APPROVED_TEAMS) break;
      if (fresh(name)) approved.push(name);
    }
    return approved;
  }

  /** A body the thread sent back: refused, or bound to teams to check first. */
  #onPrepared(reply: PreparedReply): void {
    const waiting = this.#atThread.get(reply.id);
    if (!waiting) return;
    // Nothing left for a lease to commit: the connection goes back.
    if (this.#thread?.held === 0) this.#thread.release();
    if (!reply.ok) {
      this.#take(reply.id);
      waiting.reject(this.#refused(reply));
      return;
    }
    this.#checkTeams(waiting.caller, reply.teams, reply.count).then(
      () => {
        const thread = this.#thread;
        if (!thread || thread.gone) {
          this.#take(reply.id);
          waiting.reject(new IngestThreadGone('the alert ingest thread ended'));
          return;
        }
        thread.approve([reply.id]);
        this.#leaseSoon();
      },
      (error: unknown) => {
        this.#thread?.discard([reply.id]);
        this.#take(reply.id);
        waiting.reject(error);
      },
    );
  }

  /**
   * Leases the thread the store's connection while it holds batches (ADR 0046): it commits them as they
   * become ready, each commit told to the listeners and its requests answered here, until someone else
   * waits for the connection or nothing is left at the thread. A new lease is taken after the turn (others
   * waiting for the connection go first).
   */
  #leaseSoon(): void {
    const thread = this.#thread;
    if (this.#leasing || !thread || thread.gone || thread.held === 0) return;
    this.#leasing = true;
    void this.#lease(thread).finally(() => {
      this.#leasing = false;
      if (thread.held > 0) setImmediate(() => this.#leaseSoon());
    });
  }

  async #lease(thread: IngestThread): Promise<void> {
    const { repository } = this.options;
    let commits = 0;
    try {
      await repository.lease!(
        (epoch, committed) => {
          // The batches left may have been taken while the connection was being had.
          if (thread.held === 0) return Promise.resolve();
          return thread.lease(epoch, (made) => {
            commits++;
            committed(made.written);
            for (const outcome of made.committed) this.#take(outcome.id)?.resolve(outcome);
            for (const failed of made.failed)
              this.#take(failed.id)?.reject(new IngestCommitFailed(failed.message, failed.code));
            if (thread.held === 0) thread.release();
          });
        },
        // More batches wait: the listeners run after the turn (ADR 0043).
        () => thread.held > 0,
      );
    } catch (error) {
      // A thread that ended answers for its batches itself (onEnded).
      if (error instanceof IngestThreadGone || commits > 0) return;
      // The store's connection could not be had: what the thread holds is dropped, and refused.
      const ids = [...this.#atThread.keys()];
      thread.discard(ids);
      for (const id of ids) this.#take(id)?.reject(error);
    }
  }

  /** A body parsed and checked on the event loop, as the thread does it. */
  #parse(body: Uint8Array): readonly InboundAlert[] {
    const parsed = parseJsonBody(body, { depth: false });
    if (parsed instanceof InputError) {
      this.options.metrics.rejected('malformed', 1);
      throw parsed;
    }
    const problem = postableProblem(parsed.value);
    if (problem) {
      this.options.metrics.rejected('malformed', 1);
      throw new AlertRejectedError(`body${problem.path} ${problem.message}`, [problem], ErrorCodes.malformed);
    }
    return asInboundAlerts(parsed.value);
  }

  /** The error for a refused batch, its rejections counted. */
  #refused(reply: Extract<PreparedReply, { ok: false }>): InputError {
    const { metrics } = this.options;
    if (reply.kind === 'malformed') {
      metrics.rejected('malformed', 1);
      return new AlertRejectedError(
        reply.message,
        reply.details,
        (reply.code as ErrorCode | undefined) ?? ErrorCodes.malformed,
      );
    }
    for (const reason of reply.reasons) metrics.rejected(reason, 1);
    const { details } = reply;
    return new AlertRejectedError(
      `${details.length} of ${reply.total} alerts refused, none stored: ${details
        .slice(0, 5)
        .map((d) => `${d.path} ${d.message}`)
        .join('; ')}`,
      details,
    );
  }

  /** Ingest needs `write` (operator or above) in every team the batch binds to; teams must exist. */
  async #checkTeams(caller: Caller, teams: readonly string[], count: number): Promise<void> {
    const { metrics } = this.options;
    for (const team of teams) {
      if (!can(caller.principal, 'write', team)) {
        metrics.rejected('forbidden', count);
        throw new NotAllowedError(
          `${caller.principal.username} may not post alerts to team ${team} (operator or team-admin required)`,
        );
      }
      if (!(await this.#teamExists(team))) {
        metrics.rejected('unknown_team', count);
        throw new NotFoundError(`team ${team} not found`);
      }
    }
  }

  /** Team existence, remembered for a few seconds: a storm of posts does not read the team each time. */
  async #teamExists(team: string): Promise<boolean> {
    const now = this.options.now();
    const until = this.#known.get(team);
    if (until !== undefined && until > now) return true;
    const exists = await this.options.teamExists(team);
    if (exists) this.#known.set(team, now + 5_000);
    else this.#known.delete(team);
    return exists;
  }

  /** Alerts written on the store's connection (no thread), grouped with those that arrive meanwhile. */
  #commit(alerts: AlertWrite[]): Promise<AlertsIngested> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ alerts, resolve, reject });
      if (this.#writing) return;
      // The first write waits for the end of this turn of the event loop: every request whose body
      // arrived in it joins the same transaction. (SQLite writes synchronously: without this wait a write
      // would never be in flight when the next request is read, and nothing would ever be grouped.)
      this.#writing = true;
      // Writes that leave the event loop free (a thread's, ADR 0038) start at once: the requests read
      // while it runs form the next group.
      if (this.options.repository.writesOffThread) void this.#drain();
      else setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        await this.#write(batch);
      }
    } finally {
      this.#writing = false;
    }
  }

  async #write(batch: Pending[]): Promise<void> {
    const updatedAt = new Date(this.options.now()).toISOString();
    try {
      const change = await this.options.repository.upsert(
        batch.flatMap((pending) => pending.alerts),
        updatedAt,
      );
      for (const pending of batch) pending.resolve(change);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One request's alerts must not fail another's: each alone, in its own transaction.
      for (const pending of batch) await this.#write([pending]);
    }
  }
}
