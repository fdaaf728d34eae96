import type { Clock } from '@gantry/controllers';

/** A clock that moves only when told; its timers fire as it passes them. */
export class FakeClock implements Clock {
  #timers: { at: number; callback: () => void; id: number }[] = [];
  #next = 0;
  constructor(public current: number) {}
  now(): number {
    return this.current;
  }
  setTimeout(callback: () => void, delayMs: number) {
    const id = ++this.#next;
    this.#timers.push({ at: this.current + Math.max(0, delayMs), callback, id });
    return { cancel: () => (this.#timers = this.#timers.filter((timer) => timer.id !== id)) };
  }
  advance(ms: number): void {
    const until = this.current + ms;
    for (;;) {
      const due = this.#timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((timer) => timer !== due);
      this.current = Math.max(this.current, due.at);
      due.callback();
    }
    this.current = until;
  }
}
