import { describe, expect, it } from 'vitest';
import type { Clock } from '@gantry/controllers';
import { createHealingLoop } from './healing-loop.ts';

/** A clock whose timers fire when the test advances it. */
class TimerClock implements Clock {
  current = Date.parse('2026-03-02T08:00:00Z');
  timers: { at: number; callback: () => void; cancelled: boolean }[] = [];
  now() {
    return this.current;
  }
  setTimeout(callback: () => void, delayMs: number) {
    const timer = { at: this.current + delayMs, callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }
  async advance(ms: number) {
    this.current += ms;
    for (;;) {
      const due = this.timers.find((t) => !t.cancelled && t.at <= this.current);
      if (!due) break;
      due.cancelled = true;
      due.callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

describe('healing loop', () => {
  it('runs a pass at start and every interval, one at a time; an error does not stop it', async () => {
    const clock = new TimerClock();
    const errors: unknown[] = [];
    let passes = 0;
    let release: (() => void) | undefined;
    const controller = {
      reconcile: () => {
        passes += 1;
        if (passes === 2) return Promise.reject(new Error('database gone'));
        if (passes === 3)
          return new Promise<never>((resolve) => (release = () => resolve(undefined as never)));
        return Promise.resolve({ matched: 0, created: 0, advanced: 0, superseded: 0 });
      },
    };
    const loop = createHealingLoop({ controller, clock, intervalMs: 10_000, onError: (e) => errors.push(e) });
    loop.start();
    await clock.advance(0);
    expect(passes).toBe(1);
    await clock.advance(10_000);
    expect(passes).toBe(2);
    expect(errors).toHaveLength(1);
    await clock.advance(10_000);
    expect(passes).toBe(3); // a slow pass
    loop.wake();
    await clock.advance(30_000);
    expect(passes).toBe(3); // nothing overlaps it
    release!();
    await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(0);
    expect(passes).toBe(4); // the wake-up asked for during the pass runs right after it
    await loop.stop();
    await clock.advance(60_000);
    expect(passes).toBe(4);
  });
});
