import type { Clock, Timer } from '@gantry/controllers';

interface Pending {
  at: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told: timers run in time order as `advanceTo` passes them, with
 * `settle` awaited after each (e.g. the dispatcher's `idle`), so asynchronous work started by one timer
 * finishes before the next fires. For tests and the acceptance harness; never sleeps.
 */
export class ManualClock implements Clock {
  #now: number;
  #order = 0;
  readonly #pending: Pending[] = [];

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): Timer {
    const pending: Pending = {
      at: this.#now + Math.max(0, delayMs),
      order: this.#order++,
      callback,
      cancelled: false,
    };
    // Kept sorted by due time, then by order of setting: binary search for the insertion point.
    let low = 0;
    let high = this.#pending.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#pending[middle]!.at <= pending.at) low = middle + 1;
      else high = middle;
    }
    this.#pending.splice(low, 0, pending);
    return { cancel: () => (pending.cancelled = true) };
  }

  /** Moves to `time`, firing every timer due on the way (and those they set that are due too). */
  async advanceTo(time: number, settle: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    await settle();
    for (;;) {
      const next = this.#pending[0];
      if (!next || next.at > time) break;
      this.#pending.shift();
      if (next.cancelled) continue;
      this.#now = Math.max(this.#now, next.at);
      next.callback();
      await settle();
    }
    this.#now = Math.max(this.#now, time);
  }

  advance(ms: number, settle?: () => Promise<void>): Promise<void> {
    return this.advanceTo(this.#now + ms, settle);
  }
}
