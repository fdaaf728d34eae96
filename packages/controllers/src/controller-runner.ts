import type { Logger } from 'pino';
import type { ResourceRepository, StoredChange } from '@gantry/store';
import type { BackoffOptions } from './backoff.ts';
import type { Clock, Timer } from './clock.ts';
import { leaseName, parseQueueKey, queueKey, type Controller, type ReconcileResult } from './controller.ts';
import type { ControllerMetrics, ReconcileOutcome } from './controller-metrics.ts';
import { LeaderElector, type LeaseStore } from './leader-election.ts';
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
  leases: LeaseStore;
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
  abort: AbortController;
  resyncTimer: Timer | undefined;
  listFailures: number;
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
      onStartedLeading: () => this.#startTerm(),
      onStoppedLeading: () => this.#endTerm(),
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

  #startTerm(): void {
    const { name } = this.controller;
    const queue = new WorkQueue((key) => this.#reconcile(key), {
      concurrency: this.controller.concurrency ?? DEFAULT_CONCURRENCY,
      backoff: this.options.backoff,
      clock: this.options.clock,
      onDepth: (depth) => this.options.metrics.queueDepth.set({ controller: name }, depth),
      onError: (key, error) => this.#logger.error({ err: error, key }, 'reconcile handler failed'),
    });
    const term: Term = { queue, abort: new AbortController(), resyncTimer: undefined, listFailures: 0 };
    this.#term = term;
    this.options.metrics.leader.set({ controller: name }, 1);
    try {
      this.controller.onLeading?.({
        enqueue: (key) => queue.add(queueKey(key)),
        signal: term.abort.signal,
        logger: this.#logger,
      });
    } catch (error) {
      this.#logger.error({ err: error }, "starting the controller's own sources failed");
    }
    void this.#resync(term);
  }

  async #endTerm(): Promise<void> {
    const term = this.#term;
    this.#term = undefined;
    this.options.metrics.leader.set({ controller: this.controller.name }, 0);
    if (!term) return;
    term.resyncTimer?.cancel();
    term.abort.abort();
    await term.queue.shutdown();
  }

  /** Enqueues every object of the kind, then schedules the next resync (or a retry, sooner, if listing failed). */
  async #resync(term: Term): Promise<void> {
    let delay = this.options.resyncIntervalMs;
    try {
      let after: { team: string; name: string } | undefined;
      do {
        if (term.abort.signal.aborted) return;
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
    if (term.abort.signal.aborted) return;
    term.resyncTimer = this.options.clock.setTimeout(() => void this.#resync(term), delay);
  }

  async #reconcile(key: string): Promise<void> {
    const term = this.#term;
    // Never reconcile without a lease younger than the renew deadline; the next term lists everything anyway.
    if (!term || term.abort.signal.aborted || !this.#elector.isLeader()) return;
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
        { logger, signal: term.abort.signal, now: () => this.options.clock.now() },
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
      term.queue.addRateLimited(key);
      outcome = 'error';
      logger.warn(
        { err: error, failures: term.queue.failures(key) },
        'reconcile failed; retrying with backoff',
      );
    }
    this.options.metrics.reconciles.inc({ controller: name, result: outcome });
    this.options.metrics.reconcileDuration.observe(
      { controller: name },
      (performance.now() - started) / 1000,
    );
  }
}
