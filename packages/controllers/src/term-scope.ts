import type { Logger } from 'pino';
import { assertCurrent, FencedWriteRefused, type LeaseRepository, type WriteFence } from '@gantry/store';
import type { Clock } from './clock.ts';

/** Reads the lease row and throws `FencedWriteRefused` unless it still names `fence`'s term. */
export type TermCheck = (fence: WriteFence) => Promise<void>;

/** The check the runtime gives its terms: one primary-key read of the lease row. */
export function leaseTermCheck(leases: Pick<LeaseRepository, 'get'>): TermCheck {
  return async (fence) => {
    const lease = await leases.get(fence.lease);
    assertCurrent(fence, lease);
  };
}

/**
 * The fence of a term that just started: the lease row, read once, naming this holder. Retries a failed
 * read (from 1 s, doubling, at most a third of the lease) while `stillLeading()`; undefined when the row
 * already names another holder (the lease moved on: no term's work should start) or leadership ended.
 */
export async function readTermFence(options: {
  leases: Pick<LeaseRepository, 'get'>;
  lease: string;
  holder: string;
  leaseDurationMs: number;
  stillLeading: () => boolean;
  clock: Clock;
  logger: Logger;
}): Promise<WriteFence | undefined> {
  const { leases, lease, holder, clock, logger } = options;
  for (let failures = 0; options.stillLeading(); failures += 1) {
    try {
      const row = await leases.get(lease);
      if (row?.holder === holder) return { lease, holder, transitions: row.transitions };
      logger.warn({ lease, holder: row?.holder }, 'the lease has moved already; no term starts');
      return undefined;
    } catch (error) {
      const delay = Math.min(options.leaseDurationMs / 3, 1000 * 2 ** failures);
      logger.warn({ err: error, retryInMs: delay }, 'reading the lease to start a term failed');
      await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
    }
  }
  return undefined;
}

/**
 * Everything a controller keeps for one term of leadership (ADR 0028): made when the term starts, dropped
 * whole when it ends, so that nothing learned in one term — a newest revision, a cluster's labels, a
 * cursor — is believed in a later one, after another server may have changed the world. Controllers get
 * every cache from here (`cache`), never from their own closures or fields, and pass `fence` with every
 * write they make because they lead, so that the store refuses it once the term is over.
 */
export class TermScope {
  readonly #caches = new Map<string, unknown>();
  readonly #cleanups: (() => void)[] = [];
  readonly #abort = new AbortController();

  /** The term's fencing token; absent only where nothing is fenced (unit tests of a controller alone). */
  readonly fence: WriteFence | undefined;
  readonly #onCleanupError: (error: unknown) => void;
  readonly #check: TermCheck | undefined;
  readonly #onRefused: ((error: FencedWriteRefused) => void) | undefined;

  constructor(
    options: {
      fence?: WriteFence;
      /** How `confirm` checks the fence; without one (or without a fence) `confirm` checks only `ended`. */
      check?: TermCheck;
      onCleanupError?: (error: unknown) => void;
      /** What `refused` reports to: the owner of the term counts, logs and ends it (see `termElector`). */
      onRefused?: (error: FencedWriteRefused) => void;
    } = {},
  ) {
    this.fence = options.fence;
    this.#onRefused = options.onRefused;
    this.#check = options.check;
    this.#onCleanupError = options.onCleanupError ?? (() => undefined);
  }

  /**
   * Confirms, just before acting outside the database (applying to a cluster, running on a host), that
   * the term is still the lease's current one; throws `FencedWriteRefused` when it is not. The store
   * cannot fence what it does not write, so this narrows a deposed leader's window to the one call that
   * follows; what that call did is then recorded (or refused) through fenced writes.
   */
  async confirm(): Promise<void> {
    if (this.fence && this.ended) throw new FencedWriteRefused(this.fence, undefined, 'the term has ended');
    if (this.fence && this.#check) await this.#check(this.fence);
  }

  /**
   * A write of this term was refused (or `confirm` threw): the term is over. Hands the refusal to the
   * term's owner, which counts it, logs it once per term and ends the term; without an owner the term just
   * ends. Loops call it where they catch `FencedWriteRefused`, instead of retrying.
   */
  refused(error: FencedWriteRefused): void {
    if (this.#onRefused) this.#onRefused(error);
    else this.end();
  }

  /** Aborted when the term ends. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Whether the term has ended. */
  get ended(): boolean {
    return this.#abort.signal.aborted;
  }

  /**
   * The term's one instance of `name`, made on first use. After the term ended it returns a fresh, unshared
   * instance, so late work of an old term never fills a cache anyone reads.
   */
  cache<T>(name: string, create: () => T): T {
    if (this.ended) return create();
    if (!this.#caches.has(name)) this.#caches.set(name, create());
    return this.#caches.get(name) as T;
  }

  /** Runs `cleanup` when the term ends (at once if it has), e.g. to stop watches the term opened. */
  onEnd(cleanup: () => void): void {
    if (this.ended) cleanup();
    else this.#cleanups.push(cleanup);
  }

  /** Ends the term: aborts its signal, runs the cleanups (last registered first) and drops every cache. */
  end(): void {
    if (this.ended) return;
    this.#abort.abort();
    for (const cleanup of this.#cleanups.splice(0).reverse()) {
      try {
        cleanup();
      } catch (error) {
        // A cleanup that throws must not keep the others from running; the term ends regardless.
        this.#onCleanupError(error);
      }
    }
    this.#caches.clear();
  }
}
