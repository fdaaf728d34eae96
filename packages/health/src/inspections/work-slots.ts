/**
 * At most `limit` holders at once, the others waiting in the order they asked: the inspection runs that
 * have started (claimed on their slot) take one to do their checks and record them.
 */
export class WorkSlots {
  #busy = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`limit must be at least 1, not ${limit}`);
  }

  /** Holders now, and how many wait (status and tests). */
  get busy(): number {
    return this.#busy;
  }
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with the function that gives the slot back (call it once, in a `finally`). */
  async acquire(): Promise<() => void> {
    if (this.#busy < this.limit) this.#busy += 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter: `busy` stays as it is.
      if (next) next();
      else this.#busy -= 1;
    };
  }
}
