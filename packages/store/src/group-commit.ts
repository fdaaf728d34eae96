/**
 * Group commit for small writes that arrive in bursts (the alert dispatcher flushing thousands of groups
 * as their timers fire): the writes submitted within one turn of the event loop, and those submitted while
 * a batch is being written, go to the database in one transaction. Each caller's promise settles after the
 * transaction holding its item committed. If a batch fails, its items are written again one by one, so one
 * bad item fails only its own caller.
 */
export class GroupCommit<I, O> {
  readonly #write: (items: readonly I[]) => Promise<O[]>;
  readonly #maxBatch: number;
  #queue: { item: I; resolve: (value: O) => void; reject: (error: unknown) => void }[] = [];
  #draining = false;

  /** `write` writes the items in one transaction and answers one result per item, in order. */
  constructor(write: (items: readonly I[]) => Promise<O[]>, maxBatch = 500) {
    this.#write = write;
    this.#maxBatch = maxBatch;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#draining) return;
      this.#draining = true;
      // After the current turn: the other writes its timers and callbacks submit join this batch.
      setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          const results = await this.#write(batch.map((entry) => entry.item));
          batch.forEach((entry, index) => entry.resolve(results[index]!));
        } catch {
          for (const entry of batch) {
            try {
              entry.resolve((await this.#write([entry.item]))[0]!);
            } catch (error) {
              entry.reject(error);
            }
          }
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
