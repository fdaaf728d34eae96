import type { Logger } from 'pino';
import {
  isFencedWriteRefused,
  type LeaseRepository,
  type ResourceRepository,
  type StoredChange,
  type WriteFence,
} from '@gantry/store';
import type { BackoffOptions } from './backoff.ts';
import type { Clock, Timer } from './clock.ts';
import { leaseName, parseQueueKey, queueKey, type Controller, type ReconcileResult } from './controller.ts';
import type { ControllerMetrics, ReconcileOutcome } from './controller-metrics.ts';
import { LeaderElector, type LeaseStore } from './leader-election.ts';
import { leaseTermCheck, readTermFence, TermScope } from './term-scope.ts';
import { WorkQueue } from './work-queue.ts';

/** Where changes come from: the process's ChangeFeed. */
export interface ChangeSource {
  subscribe(
    listener: (
      change: Pick<StoredChange, 'kind' | 'team' | 'name'> & Partial<Pick<StoredChange, 'type' | 'object'>>,
    ) => void,
  ): () => void;
}

export interface ControllerRuntimeDeps {
  changes: ChangeSource;
  objects: Pick<ResourceRepository, 'list'>;
  /** `get` reads the lease row when a term starts: its `transitions` is the term's fence (ADR 0028). */
  leases: LeaseStore & Pick<LeaseRepository, 'get'>;
}

/** Complete options: `ControllerManager` resolves the defaults once. */
export interface ControllerRuntimeOptions {
  holder: string;
  leaseDurationMs: number;
  resyncIntervalMs: number;
  backoff: BackoffOptions;
  listPageSize: number;
  clock: Clock;
  logger: Logger;
  metrics: ControllerMetrics;
}

const DEFAULT_CONCURRENCY = 2;
const FIRST_LIST_RETRY_MS = 1000;

/** What exists only while this server leads: dropped whole when leadership ends. */
interface Term {
  queue: WorkQueue;
  /** The controller's caches and the fence; ending it aborts the term's signal. */
  scope: TermScope;
  resyncTimer: Timer | undefined;
  listFailures: number;
  /** A refused write is logged once per term. */
  refusalLogged: boolean;
}

/**
 * Runs one controller on this server whenever this server holds its lease: each term starts with a fresh
 * queue filled from a full list of the kind (level-triggered: whatever was missed is looked at again),
 * then follows the change feed, and lists everything again every resync interval.
 */
export class ControllerRunner {
  readonly #elector: LeaderElector;
  readonly #logger: Logger;
  #term: Term | undefined;
  #unsubscribe: (() => void) | undefined;
  /** Term starts and ends (the elector's, and restarts after a refused write) run one after another. */
  #termChanges: Promise<void> = Promise.resolve();

  constructor(
    readonly controller: Controller,
    private readonly deps: ControllerRuntimeDeps,
    private readonly options: ControllerRuntimeOptions,
  ) {
    this.#logger = options.logger.child({ controller: controller.name });
    this.#elector = new LeaderElector(deps.leases, {
      leaseName: leaseName(controller),
      holder: options.holder,
      leaseDurationMs: options.leaseDurationMs,
      clock: options.clock,
      logger: this.#logger,
      onStartedLeading: () => this.#serially(() => this.#startTerm()),
      onStoppedLeading: () => this.#serially(() => this.#endTerm()),
    });
    options.metrics.leader.set({ controller: controller.name }, 0);
    options.metrics.queueDepth.set({ controller: controller.name }, 0);
  }

  /** Whether this server currently holds the controller's lease. */
  get leading(): boolean {
    return this.#elector.isLeader();
  }

  async start(): Promise<void> {
    this.#unsubscribe ??= this.deps.changes.subscribe((change) => {
      if (change.kind !== this.controller.kind) return;
      if (
        change.type &&
        change.object &&
        this.controller.ignore?.({ type: change.type, object: change.object })
      )
        return;
      this.#term?.queue.add(queueKey(change));
    });
    await this.#elector.start();
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#elector.stop();
  }

  #serially(step: () => Promise<void>): Promise<void> {
    const next = this.#termChanges.then(step);
    this.#termChanges = next.catch((error: unknown) =>
      this.#logger.error({ err: error }, 'starting or ending a term failed'),
    );
    return next;
  }

  /**
   * Starts a term: learns its fence from the lease row (retrying while this server still leads), then a
   * fresh scope and queue, the controller's own sources and a full list. A lease row naming another
   * holder means the lease has moved already: no work starts, and the elector steps down at its next try.
   */
  async #startTerm(refused?: WriteFence): Promise<void> {
    const { name } = this.controller;
    const fence = await this.#readFence();
    if (!fence) return;
    if (refused && fence.transitions === refused.transitions) {
      // The store refused this very term: wait for the elector's next step rather than retry in a loop.
      this.#logger.warn({ fence }, 'the lease row still names the refused term; no term starts');
      return;
    }
    const queue = new WorkQueue((key) => this.#reconcile(key), {
      concurrency: this.controller.concurrency ?? DEFAULT_CONCURRENCY,
      backoff: this.options.backoff,
      clock: this.options.clock,
      onDepth: (depth) => this.options.metrics.queueDepth.set({ controller: name }, depth),
      onError: (key, error) => this.#logger.error({ err: error, key }, 'reconcile handler failed'),
    });
    const scope: TermScope = new TermScope({
      fence,
      check: leaseTermCheck(this.deps.leases),
      onCleanupError: (error) => this.#logger.warn({ err: error }, 'ending a term: a cleanup failed'),
      // A refusal met outside a reconcile (a cluster watch's write, an event of the term): same handling.
      onRefused: (error) => this.#fenced(term, this.#logger, error),
    });
    const term: Term = { queue, scope, resyncTimer: undefined, listFailures: 0, refusalLogged: false };
    this.#term = term;
    this.options.metrics.leader.set({ controller: name }, 1);
    try {
      this.controller.onLeading?.({
        enqueue: (key) => queue.add(queueKey(key)),
        signal: scope.signal,
        logger: this.#logger,
        scope,
      });
    } catch (error) {
      this.#logger.error({ err: error }, "starting the controller's own sources failed");
    }
    void this.#resync(term);
  }

  #readFence(): Promise<WriteFence | undefined> {
    return readTermFence({
      leases: this.deps.leases,
      lease: leaseName(this.controller),
      holder: this.options.holder,
      leaseDurationMs: this.options.leaseDurationMs,
      stillLeading: () => this.#elector.isLeader(),
      clock: this.options.clock,
      logger: this.#logger,
    });
  }

  async #endTerm(): Promise<void> {
    const term = this.#term;
    this.#term = undefined;
    this.options.metrics.leader.set({ controller: this.controller.name }, 0);
    if (!term) return;
    term.resyncTimer?.cancel();
    term.scope.end();
    await term.queue.shutdown();
  }

  /**
   * The store refused a write of `term`: another server has led since it began. The term stops at once
   * (its signal aborts, its caches go); once its reconciles are done a new term starts if this server
   * still holds the lease (it may have taken it back), reading the fence again, else none does.
   */
  #fenced(term: Term, logger: Logger, error: unknown): void {
    this.options.metrics.fencedWrites.inc({ controller: this.controller.name });
    if (!term.refusalLogged) {
      term.refusalLogged = true;
      logger.warn({ err: error }, "a write was refused: this term is over; stopping the term's work");
    }
    if (term.scope.ended) return;
    term.resyncTimer?.cancel();
    term.scope.end();
    void this.#serially(async () => {
      if (this.#term !== term) return;
      await this.#endTerm();
      if (this.#elector.isLeader()) await this.#startTerm(term.scope.fence);
    });
  }

  /** Enqueues every object of the kind, then schedules the next resync (or a retry, sooner, if listing failed). */
  async #resync(term: Term): Promise<void> {
    let delay = this.options.resyncIntervalMs;
    try {
      let after: { team: string; name: string } | undefined;
      do {
        if (term.scope.ended) return;
        const page = await this.deps.objects.list({
          kind: this.controller.kind,
          limit: this.options.listPageSize,
          ...(after ? { after } : {}),
        });
        for (const object of page.items) term.queue.add(queueKey({ team: object.team, name: object.name }));
        after = page.next;
      } while (after);
      term.listFailures = 0;
    } catch (error) {
      term.listFailures += 1;
      delay = Math.min(this.options.resyncIntervalMs, FIRST_LIST_RETRY_MS * 2 ** (term.listFailures - 1));
      this.#logger.warn({ err: error, retryInMs: delay }, 'listing objects to reconcile failed');
    }
    if (term.scope.ended) return;
    term.resyncTimer = this.options.clock.setTimeout(() => void this.#resync(term), delay);
  }

  async #reconcile(key: string): Promise<void> {
    const term = this.#term;
    // Never reconcile without a lease younger than the renew deadline; the next term lists everything anyway.
    if (!term || term.scope.ended || !this.#elector.isLeader()) return;
    const { name, kind } = this.controller;
    const objectKey = parseQueueKey(key);
    const logger = this.#logger.child({
      kind,
      ...(objectKey.team ? { team: objectKey.team } : {}),
      name: objectKey.name,
    });
    const started = performance.now();
    let outcome: ReconcileOutcome;
    try {
      const result: ReconcileResult = await this.controller.reconcile(
        { logger, signal: term.scope.signal, now: () => this.options.clock.now(), term: term.scope },
        objectKey,
      );
      term.queue.forget(key);
      if (result.requeueAfterMs !== undefined) {
        term.queue.addAfter(key, result.requeueAfterMs);
        outcome = 'requeue';
      } else {
        outcome = 'success';
      }
    } catch (error) {
      if (isFencedWriteRefused(error)) {
        outcome = 'fenced';
        this.#fenced(term, logger, error);
      } else {
        outcome = 'error';
        term.queue.addRateLimited(key);
        logger.warn(
          { err: error, failures: term.queue.failures(key) },
          'reconcile failed; retrying with backoff',
        );
      }
    }
    this.options.metrics.reconciles.inc({ controller: name, result: outcome });
    this.options.metrics.reconcileDuration.observe(
      { controller: name },
      (performance.now() - started) / 1000,
    );
  }
}
