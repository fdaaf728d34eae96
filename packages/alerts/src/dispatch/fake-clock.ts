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
    this.#pending.push(pending);
    return { cancel: () => (pending.cancelled = true) };
  }

  /** Moves to `time`, firing every timer due on the way (and those they set that are due too). */
  async advanceTo(time: number, settle: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    await settle();
    for (;;) {
      const live = this.#pending.filter((pending) => !pending.cancelled);
      this.#pending.splice(0, this.#pending.length, ...live);
      const next = live
        .filter((pending) => pending.at <= time)
        .sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!next) break;
      this.#pending.splice(this.#pending.indexOf(next), 1);
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
