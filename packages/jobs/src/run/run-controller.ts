import {
  termEventRecorder,
  type Clock,
  type ControllerMetrics,
  type EventRecorder,
  type LeaseStore,
  type Timer,
} from '@gantry/controllers';
import { JOBS_CHANNEL, type JobAgentMessage } from '@gantry/model';
import type { JobExecution } from '../execution.ts';
import {
  assertCurrent,
  isFencedWriteRefused,
  type FencedWriteRefused,
  type JobRepository,
  type LeaseRepository,
  type StoreTransaction,
  type WriteFence,
} from '@gantry/store';
import { handleReports, type JobReport, type ReportOutcome, type RunFacts } from './agent-reports.ts';
import { cancelStage, type CancelOutcome } from './cancel-stage.ts';
import { completeStage, type CompleteOutcome } from './complete-stage.ts';
import { dispatchStage, type DispatchOutcome } from './dispatch-stage.ts';
import { livenessStage, type LivenessOutcome } from './liveness-stage.ts';
import type { RunContext, RunControllerDeps, RunControllerTiming } from './run-context.ts';

export interface RunControllerOptions extends RunControllerTiming {
  /** This server's name in the lease. */
  holder: string;
  /** The lease that makes one server the dispatcher. */
  leaseName: string;
  leaseDurationMs: number;
  /** How often the leader looks at every running run, besides being woken. */
  resyncMs: number;
  /** The least time between two ticks when woken during one. */
  coalesceMs: number;
}

export const DEFAULT_RUN_CONTROLLER_OPTIONS: Omit<RunControllerOptions, 'holder'> = {
  leaseName: 'controller/jobs',
  leaseDurationMs: 15_000,
  resyncMs: 1_000,
  coalesceMs: 100,
  lostAfterMs: 60_000,
  resultGraceMs: 60_000,
};

export interface RunReconcileOutcome {
  runId: string;
  stages: [CancelOutcome, LivenessOutcome, DispatchOutcome, CompleteOutcome];
}

export type TickOutcome = { leading: false } | { leading: true; runs: RunReconcileOutcome[] };

interface Logger {
  warn(object: object, message: string): void;
}

/**
 * The job run controller: on the server holding the `controller/jobs` lease, reconciles every running
 * run through its stages (cancel → liveness → dispatch → complete) on each tick; on every server, applies
 * what agents report on the `jobs` channel. Level-triggered: each tick reads the runs' records afresh,
 * so a server that takes over the lease carries on where the last one stopped.
 */
export class JobRunController {
  readonly #sent = new Set<string>();
  readonly #goneSince = new Map<string, number>();
  readonly #facts = new Map<string, RunFacts>();
  #timer: Timer | undefined;
  #ticking: Promise<TickOutcome> | undefined;
  #again = false;
  #soon = false;
  #lastTickEnd = Number.NEGATIVE_INFINITY;
  #stopped = true;
  #leading = false;
  /** When the last successful acquire or renewal was sent. */
  #renewedAt = Number.NEGATIVE_INFINITY;
  /** The current term's fence (ADR 0028): read from the lease row when a term starts. */
  #fence: WriteFence | undefined;
  /** The events of the current term: written with its fence, a refusal ends the term (ADR 0028). */
  #events: EventRecorder | undefined;
  #refusalLogged = false;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly deps: RunControllerDeps & {
      leases: LeaseStore & Partial<Pick<LeaseRepository, 'get'>>;
      clock: Clock;
      logger?: Logger;
      /** Where refused writes are counted (`controller="jobs"`). */
      metrics?: Pick<ControllerMetrics, 'fencedWrites'>;
      /** Told when output or an end of a run was stored (followers wait for it). */
      notify?: (runId: string) => void;
    },
    private readonly options: RunControllerOptions,
  ) {}

  /** Listens for agents' reports and starts the loop. */
  start(): void {
    if (!this.#stopped) return;
    this.listen();
    this.#stopped = false;
    this.wake();
  }

  /** Listens for agents' reports only (every server does; tests drive `tick` themselves). */
  listen(): void {
    this.#unsubscribe ??= this.deps.port.onReports(JOBS_CHANNEL, async (reports, tx) => {
      const { afterCommit } = await this.applyReports(reports, tx);
      return afterCommit;
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.deps.clusters?.stop?.();
    await this.#ticking?.catch(() => undefined);
    if (this.#leading) {
      this.#leading = false;
      await this.deps.leases.release(this.options.leaseName, this.options.holder).catch(() => undefined);
    }
  }

  /** Looks at the runs now (a run was created, cancelled, or a target ended), or right after the current tick. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    // A burst of reports (targets ending one after another) is one reconcile every `coalesceMs`, not one
    // each: the next tick starts no sooner than that after the last one ended.
    const wait = this.#lastTickEnd + this.options.coalesceMs - this.deps.clock.now();
    if (wait > 0) {
      if (!this.#soon) {
        this.#soon = true;
        this.#timer?.cancel();
        this.#timer = this.deps.clock.setTimeout(() => this.#run(), wait);
      }
      return;
    }
    this.#run();
  }

  #run(): void {
    if (this.#stopped || this.#ticking) return;
    this.#soon = false;
    this.#timer?.cancel();
    this.#ticking = this.tick().finally(() => {
      this.#ticking = undefined;
      this.#lastTickEnd = this.deps.clock.now();
      if (this.#stopped) return;
      if (this.#again) {
        this.#again = false;
        this.wake();
      } else {
        this.#timer = this.deps.clock.setTimeout(() => this.wake(), this.options.resyncMs);
      }
    });
    this.#ticking.catch((error: unknown) => this.deps.logger?.warn({ err: error }, 'job run tick failed'));
  }

  /** One pass: take or keep the lease, then reconcile every running run. */
  async tick(): Promise<TickOutcome> {
    const now = this.deps.clock.now();
    const leading = await this.deps.leases.tryAcquire(
      this.options.leaseName,
      this.options.holder,
      this.options.leaseDurationMs,
      now,
    );
    // A new term starts from the records: what this server sent before may not have reached anyone. A term
    // also ended when the lease could have expired since the last renewal (this server was paused for
    // longer than the lease): another may have led in between, though this server holds it again now.
    if (!leading || !this.#leading || now > this.#renewedAt + this.options.leaseDurationMs) {
      this.#sent.clear();
      this.#goneSince.clear();
      this.#fence = undefined;
      this.#events = undefined;
      this.#refusalLogged = false;
    }
    this.#leading = leading;
    if (!leading) return { leading: false };
    this.#renewedAt = now;
    // The term's fence: its state writes carry it, and every send to agents or clusters is preceded by a
    // check of it (ADR 0028). A row that names another holder already starts no term's work.
    if (!this.#fence && this.deps.leases.get) {
      const row = await this.deps.leases.get(this.options.leaseName);
      if (row?.holder !== this.options.holder) {
        this.#leading = false;
        return { leading: false };
      }
      const fence: WriteFence = {
        lease: this.options.leaseName,
        holder: this.options.holder,
        transitions: row.transitions,
      };
      this.#fence = fence;
      this.#events = termEventRecorder(this.deps.recorder, {
        fence,
        // An event refused after the reconcile that recorded it: the term ends unless it has already.
        refused: (error) => {
          if (this.#fence === fence) this.#refused(error);
        },
      });
    }
    const fence = this.#fence;
    const runs: RunReconcileOutcome[] = [];
    for (const id of await this.deps.jobs.activeRunIds()) {
      try {
        const outcome = await this.reconcile(id, fence);
        if (outcome) runs.push(outcome);
      } catch (error) {
        if (isFencedWriteRefused(error)) {
          this.#refused(error);
          return { leading: false };
        }
        this.deps.logger?.warn({ err: error, run: id }, 'job run reconcile failed');
      }
    }
    return { leading: true, runs };
  }

  /**
   * A write or a send of this term was refused: another server has led since it began. The term ends
   * here (counted, logged once per term); the next tick starts a new one only if the lease is this
   * server's again, from the records, as any new leader does.
   */
  #refused(error: FencedWriteRefused): void {
    this.deps.metrics?.fencedWrites.inc({ controller: 'jobs' });
    if (!this.#refusalLogged) {
      this.#refusalLogged = true;
      this.deps.logger?.warn(
        { err: error },
        "a write was refused: this term is over; stopping the term's work",
      );
    }
    this.#leading = false;
  }

  async reconcile(runId: string, fence?: WriteFence): Promise<RunReconcileOutcome | undefined> {
    const run = await this.deps.jobs.get(runId, { withCounts: false });
    if (!run || run.state !== 'Running') return undefined;
    const execution = (await this.#runFacts(runId))!.execution;
    const context = (): RunContext => ({
      run,
      targets,
      execution,
      now: this.deps.clock.now(),
      deps: fence && this.#events ? { ...this.deps, recorder: this.#events } : this.deps,
      timing: this.options,
      sent: this.#sent,
      goneSince: this.#goneSince,
      ...(fence ? { fence } : {}),
      confirm: async () => {
        if (fence && this.deps.leases.get) assertCurrent(fence, await this.deps.leases.get(fence.lease));
      },
      report: (from, message) =>
        void this.report(from, message).catch((error: unknown) =>
          this.deps.logger?.warn({ err: error, run: runId }, 'a cluster job report could not be applied'),
        ),
    });
    let targets = await this.deps.jobs.targets(runId);
    const cancel = await cancelStage(context());
    const liveness = await livenessStage(context());
    if (cancel.dropped + liveness.lost.length + liveness.timedOut.length > 0)
      targets = await this.deps.jobs.targets(runId);
    const dispatch = await dispatchStage(context());
    const complete = await completeStage(context());
    if (complete.finished) this.#facts.delete(runId);
    return { runId, stages: [cancel, liveness, dispatch, complete] };
  }

  /** Applies one report from an agent (or a cluster runner); wakes the loop when a target ended. */
  async report(
    from: { team: string; host: string },
    body: unknown | JobAgentMessage,
  ): Promise<ReportOutcome> {
    const { outcomes, afterCommit } = await this.applyReports([{ from, body }]);
    afterCommit();
    return outcomes[0]!;
  }

  /**
   * Applies a batch of reports (one group commit of the agent transport) in `tx`, or in a transaction
   * of its own. `afterCommit` wakes the loop when a target ended and tells the output's followers: call
   * it once the transaction has committed.
   */
  async applyReports(
    reports: readonly JobReport[],
    tx?: StoreTransaction,
  ): Promise<{ outcomes: ReportOutcome[]; afterCommit: () => void }> {
    const jobs = tx ? this.deps.jobs.within(tx) : this.deps.jobs;
    const outcomes = await jobs.inTransaction((bound) =>
      handleReports(bound, (id) => this.#runFacts(id, bound), reports, this.deps.clock.now()),
    );
    const afterCommit = () => {
      const told = new Set<string>();
      let ended = false;
      for (const outcome of outcomes) {
        if (outcome.handled !== 'output' && outcome.handled !== 'finished') continue;
        ended ||= outcome.handled === 'finished';
        if (!told.has(outcome.runId)) {
          told.add(outcome.runId);
          this.deps.notify?.(outcome.runId);
        }
      }
      if (ended) this.wake();
    };
    return { outcomes, afterCommit };
  }

  /** Forgets what it knows about a run's cancel state (the service calls it after a cancel request). */
  cancelled(runId: string): void {
    const facts = this.#facts.get(runId);
    if (facts) facts.cancelRequested = true;
    this.wake();
  }

  /** What reports need of a run, cached; read through `jobs` (inside a report batch: its transaction). */
  async #runFacts(runId: string, jobs: JobRepository = this.deps.jobs): Promise<RunFacts | undefined> {
    const known = this.#facts.get(runId);
    if (known) return known;
    const run = await jobs.get(runId, { withCounts: false });
    if (!run) return undefined;
    const facts: RunFacts = {
      team: run.team,
      execution: (await jobs.execution(runId)) as JobExecution,
      cancelRequested: run.cancelRequested,
    };
    if (this.#facts.size > 10_000) this.#facts.clear();
    this.#facts.set(runId, facts);
    return facts;
  }
}
