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
import { IngestCommitFailed, IngestThread, IngestThreadGone } from './ingest-thread.ts';
import type { PreparedReply } from './ingest-thread-wire.ts';
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
    Partial<Pick<AlertRepository, 'writesOffThread' | 'sqliteFile' | 'writeExclusive'>>;
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
 * A body that arrives while this many are waiting for the thread is parsed and prepared on the event loop
 * and handed over ready (ADR 0042): the two threads share the work when the ingest's thread is the
 * busier.
 */
const STAGE_WHEN_PREPARING = 3;

/** An ingest refused on the way in: 400, or 404 for a team that does not exist. */
export class AlertRejectedError extends InputError {}

/** A request waiting for its commit: alerts to write here, or a batch its thread prepared. */
interface Pending {
  alerts?: AlertWrite[];
  /** Held by the thread under `id`: made there from `body`, or here (`alerts`, handed over). */
  prepared?: { id: number; body?: Uint8Array; alerts?: AlertWrite[]; options: PrepareOptions };
  resolve(change: AlertsIngested): void;
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
      await this.#commit(thread ? { prepared: { id: thread.stage(alerts), alerts, options } } : { alerts });
    }
    this.options.metrics.received(request.source, prepared.writes.length);
    return { accepted: prepared.writes.length };
  }

  /**
   * `POST /api/v2/alerts`: a request body as it came (JSON of Alertmanager's `PostableAlerts`). On a SQLite
   * file its parsing, checks and write run in the ingest's thread (ADR 0042); otherwise here, through
   * `ingest`. Either way, one bad alert refuses the whole batch and the answer waits for the commit.
   */
  async ingestBody(
    caller: Caller,
    request: { team?: string; source: AlertSource; body: Uint8Array | undefined },
  ): Promise<{ accepted: number }> {
    const body = request.body ?? new Uint8Array();
    const options = this.#prepareOptions(request);
    const thread = this.#startedThread();
    // No thread, or one with bodies waiting already: this one is made here (and written by the thread).
    if (!thread || thread.preparing >= STAGE_WHEN_PREPARING)
      return this.ingest(caller, { ...request, alerts: this.#parse(body) });
    let reply: PreparedReply;
    try {
      reply = await thread.prepare(body, options);
    } catch (error) {
      if (!(error instanceof IngestThreadGone)) throw error;
      return this.ingest(caller, { ...request, alerts: this.#parse(body) });
    }
    if (!reply.ok) throw this.#refused(reply);
    try {
      await this.#checkTeams(caller, reply.teams, reply.count);
    } catch (error) {
      thread.discard([reply.id]);
      throw error;
    }
    for (const [reason, count] of reply.normalized) this.options.metrics.normalized(reason, count);
    if (reply.count > 0) await this.#commit({ prepared: { id: reply.id, body, options } });
    else thread.discard([reply.id]);
    this.options.metrics.received(request.source, reply.count);
    return { accepted: reply.count };
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
      if (!file || !this.options.repository.writeExclusive) {
        this.#thread = null;
        return undefined;
      }
      this.#thread = new IngestThread({
        ...file,
        onReady: () => this.options.metrics.thread?.(true),
        onGone: () => this.options.metrics.thread?.(false),
      });
    }
    return this.#thread.ready ? this.#thread : undefined;
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

  #commit(work: Pick<Pending, 'alerts' | 'prepared'>): Promise<AlertsIngested> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...work, resolve, reject });
      if (this.#writing) return;
      // The first write waits for the end of this turn of the event loop: every request whose body
      // arrived in it joins the same transaction. (SQLite writes synchronously: without this wait a write
      // would never be in flight when the next request is read, and nothing would ever be grouped.)
      this.#writing = true;
      // Writes that leave the event loop free (a thread's, ADR 0038 and 0042) start at once: the requests
      // read while it runs form the next group.
      if (work.prepared || this.options.repository.writesOffThread) void this.#drain();
      else setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        const prepared = batch.filter((pending) => pending.prepared);
        if (prepared.length > 0) await this.#writePrepared(prepared);
        const here = batch.filter((pending) => !pending.prepared);
        if (here.length > 0) await this.#write(here);
      }
    } finally {
      this.#writing = false;
    }
  }

  async #write(batch: Pending[]): Promise<void> {
    const updatedAt = new Date(this.options.now()).toISOString();
    try {
      const change = await this.options.repository.upsert(
        batch.flatMap((pending) => pending.alerts ?? []),
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

  /**
   * Batches the thread prepared, in one transaction of the thread's while the store's connection is held.
   * A commit SQLite refuses is tried again batch by batch (one request must not fail another); if the
   * thread ended, each batch is made again here from its body and written on the store's connection.
   */
  async #writePrepared(batch: Pending[]): Promise<void> {
    const { repository } = this.options;
    const thread = this.#thread;
    const updatedAt = new Date(this.options.now()).toISOString();
    const ids = batch.map((pending) => pending.prepared!.id);
    try {
      if (!thread) throw new IngestThreadGone('the alert ingest thread was stopped');
      const change = await repository.writeExclusive!(
        (epoch) => thread.commit(ids, updatedAt, epoch),
        // More batches wait for a commit: the next one goes to the thread before the listeners run.
        () => this.#queue.length > 0,
      );
      for (const pending of batch) pending.resolve(change);
    } catch (error) {
      if (error instanceof IngestThreadGone) {
        for (const pending of batch) {
          const { body, alerts, options } = pending.prepared!;
          const again = alerts ? undefined : prepareAlerts(this.#parse(body!), options);
          await this.#write([{ ...pending, alerts: alerts ?? (again?.ok ? again.writes : []) }]);
        }
        return;
      }
      if (batch.length === 1) {
        thread?.discard(ids);
        batch[0]!.reject(
          error instanceof IngestCommitFailed ? Object.assign(error, { code: error.code }) : error,
        );
        return;
      }
      for (const pending of batch) await this.#writePrepared([pending]);
    }
  }
}
