import type { ResourceRepository, StoredChange } from '@gantry/store';

export type ChangeListener = (change: StoredChange) => void;

export interface ChangeFeedOptions {
  /** Safety-net poll, for writes made by another server when no notification arrives. */
  pollIntervalMs: number;
  batchSize: number;
  onError: (error: unknown) => void;
}

/**
 * One reader of the change table per process, fanned out in memory to every watch and controller.
 * This process's own writes are handed to it as they are stored (`written`); it reads when told that
 * something else was written (PostgreSQL NOTIFY from another server) and on a slow poll. Versions are
 * delivered in order, so each listener sees each change once; listeners must not modify what they get
 * (the object is shared with the writer and the other listeners).
 */
export class ChangeFeed {
  readonly #listeners = new Set<ChangeListener>();
  #lastSeen = 0;
  #reading: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly repository: ResourceRepository,
    private readonly options: ChangeFeedOptions,
  ) {}

  async start(): Promise<void> {
    this.#lastSeen = await this.repository.currentResourceVersion();
    this.#timer = setInterval(() => this.poke(), this.options.pollIntervalMs);
    this.#timer.unref();
  }

  stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    return this.#reading ?? Promise.resolve();
  }

  /** The newest version this feed has delivered. */
  get lastSeen(): number {
    return this.#lastSeen;
  }

  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Something may have been written: read and deliver. Coalesces overlapping calls. */
  poke(): void {
    if (this.#stopped) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = this.#drain()
      .catch(this.options.onError)
      .finally(() => {
        this.#reading = undefined;
        if (this.#again) {
          this.#again = false;
          this.poke();
        }
      });
  }

  /**
   * A write this process made, handed over as it was stored: delivered at once when it is the very next
   * version and no read is under way — the read it saves (a query and a parse per write) is most of what
   * the feed costs a writer. Anything else (a gap: another server's write not read yet; a read in flight)
   * is left to a read, which delivers it in order.
   */
  written(change: StoredChange): void {
    if (this.#stopped) return;
    if (this.#reading || change.resourceVersion !== this.#lastSeen + 1) {
      this.poke();
      return;
    }
    this.#deliver(change);
  }

  /** Resolves once everything written before the call has been delivered. */
  async sync(): Promise<void> {
    this.poke();
    while (this.#reading) await this.#reading;
  }

  async #drain(): Promise<void> {
    for (;;) {
      const changes = await this.repository.changesSince(this.#lastSeen, { limit: this.options.batchSize });
      for (const change of changes) this.#deliver(change);
      if (changes.length < this.options.batchSize || this.#stopped) return;
    }
  }

  #deliver(change: StoredChange): void {
    this.#lastSeen = change.resourceVersion;
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.options.onError(error);
      }
    }
  }
}
