/** Starts a timer; returns the function that cancels it. */
export type Schedule = (run: () => void, ms: number) => () => void;

export const realSchedule: Schedule = (run, ms) => {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export interface GroupCommitOptions<T> {
  /** Writes one batch; must not throw (it handles its own failures). */
  commit: (items: T[]) => Promise<void>;
  /** Most items in one batch. */
  maxItems: number;
  /** How long the first item of an idle queue waits for others to join it. */
  tickMs: number;
  schedule?: Schedule;
}

interface Waiting<T> {
  item: T;
  done: () => void;
}

/**
 * Group commit: items that arrive while a batch is being written, or within `tickMs` of the first one
 * when idle, are written together by the next `commit`, one batch at a time and in arrival order (so the
 * items of one sender stay in order across batches). `add` resolves once its batch's commit has returned.
 */
export class GroupCommit<T> {
  readonly #options: GroupCommitOptions<T>;
  readonly #schedule: Schedule;
  #queue: Waiting<T>[] = [];
  #cancelTimer: (() => void) | undefined;
  #writing: Promise<void> | undefined;
  #closed = false;

  constructor(options: GroupCommitOptions<T>) {
    this.#options = options;
    this.#schedule = options.schedule ?? realSchedule;
  }

  /** Items waiting for a batch (not counting the one being written). */
  get backlog(): number {
    return this.#queue.length;
  }

  add(item: T): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise<void>((done) => {
      this.#queue.push({ item, done });
      if (this.#writing) return;
      if (this.#queue.length >= this.#options.maxItems) this.#write();
      else this.#cancelTimer ??= this.#schedule(() => this.#write(), this.#options.tickMs);
    });
  }

  /** Stops taking items; waits for the batch being written. Items still queued are not written (their
   * `add` resolves; the hub does not acknowledge them, so their agents send them again). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    const dropped = this.#queue;
    this.#queue = [];
    for (const waiting of dropped) waiting.done();
    await this.#writing;
  }

  #write(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (this.#writing || this.#queue.length === 0 || this.#closed) return;
    const batch = this.#queue.splice(0, this.#options.maxItems);
    this.#writing = this.#options
      .commit(batch.map((waiting) => waiting.item))
      .catch(() => undefined)
      .finally(() => {
        this.#writing = undefined;
        for (const waiting of batch) waiting.done();
        // What arrived during the write has waited already: it goes at once.
        if (this.#queue.length > 0) this.#write();
      });
  }
}
