import { PerKeyBackoff, type BackoffOptions } from './backoff.ts';
import type { Clock, Timer } from './clock.ts';

/** Processes one key. It should not throw: the caller decides between `forget`, `addAfter` and `addRateLimited`. */
export type WorkHandler = (key: string) => Promise<void>;

export interface WorkQueueOptions {
  /** How many keys are processed at once (never the same key twice at once). */
  concurrency: number;
  backoff: BackoffOptions;
  clock: Clock;
  /** Told the number of keys waiting whenever it may have changed. */
  onDepth?: (depth: number) => void;
  /** A handler that throws anyway: the key is retried with backoff, and the error reported here. */
  onError?: (key: string, error: unknown) => void;
}

/**
 * A work queue keyed by string, in the style of client-go's: a key waits at most once however often it
 * is added; a key being processed is never handed to a second worker, and if it is added meanwhile it is
 * processed once more afterwards; delayed adds and per-key exponential backoff run on the injected clock.
 */
export class WorkQueue {
  /** Keys waiting for a worker, oldest first (a Set keeps insertion order). */
  readonly #waiting = new Set<string>();
  readonly #processing = new Set<string>();
  /** Keys added while being processed: they go back in line when their worker finishes. */
  readonly #dirty = new Set<string>();
  readonly #delayed = new Map<string, { at: number; timer: Timer }>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #backoff: PerKeyBackoff;
  #shuttingDown = false;

  constructor(
    private readonly handler: WorkHandler,
    private readonly options: WorkQueueOptions,
  ) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
      throw new RangeError(`concurrency must be a positive integer, not ${options.concurrency}`);
    this.#backoff = new PerKeyBackoff(options.backoff);
  }

  /** Keys waiting for a worker (not those being processed or delayed). */
  get depth(): number {
    return this.#waiting.size;
  }

  get processing(): ReadonlySet<string> {
    return this.#processing;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  add(key: string): void {
    if (this.#shuttingDown) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#waiting.has(key)) return;
    this.#waiting.add(key);
    this.#depthChanged();
    this.#pump();
  }

  /** Adds `key` after `delayMs`; of several pending delays for one key, the earliest wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const now = this.options.clock.now();
    const at = now + delayMs;
    const pending = this.#delayed.get(key);
    if (pending && pending.at <= at) {
      // Due by the clock already, its timer not yet fired: the clock was set forward (an injected clock
      // moved, the wall clock stepped). The key is due now, not after the timer's original delay.
      if (pending.at <= now) {
        pending.timer.cancel();
        this.#delayed.delete(key);
        this.add(key);
      }
      return;
    }
    pending?.timer.cancel();
    const timer = this.options.clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.#delayed.set(key, { at, timer });
  }

  /** Adds `key` after its next backoff delay: call after a failure. */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.addAfter(key, this.#backoff.next(key));
  }

  /** Resets the backoff of `key`: call after a success. */
  forget(key: string): void {
    this.#backoff.forget(key);
  }

  /** Consecutive failures of `key` since it was last forgotten. */
  failures(key: string): number {
    return this.#backoff.failures(key);
  }

  /** Hands out no more keys, drops waiting and delayed ones, and resolves when in-flight work is done. */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) timer.cancel();
    this.#delayed.clear();
    this.#waiting.clear();
    this.#dirty.clear();
    this.#depthChanged();
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  #pump(): void {
    while (!this.#shuttingDown && this.#processing.size < this.options.concurrency) {
      const next = this.#waiting.values().next();
      if (next.done) return;
      const key = next.value;
      this.#waiting.delete(key);
      this.#processing.add(key);
      this.#depthChanged();
      const work = this.#process(key);
      this.#inFlight.add(work);
      void work.finally(() => this.#inFlight.delete(work));
    }
  }

  async #process(key: string): Promise<void> {
    try {
      await this.handler(key);
    } catch (error) {
      this.addRateLimited(key);
      this.options.onError?.(key, error);
    } finally {
      this.#processing.delete(key);
      if (this.#dirty.delete(key)) this.add(key);
      this.#pump();
    }
  }

  #depthChanged(): void {
    this.options.onDepth?.(this.#waiting.size);
  }
}
