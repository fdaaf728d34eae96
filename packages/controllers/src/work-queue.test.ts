import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from './clock.ts';
import { WorkQueue, type WorkHandler } from './work-queue.ts';

/** Lets every pending promise callback run (setImmediate is left real: it is a turn, not a sleep). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Gate {
  promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

function queueWith(handler: WorkHandler, concurrency = 1) {
  return new WorkQueue(handler, { concurrency, backoff: { baseMs: 5, maxMs: 1000 }, clock: systemClock() });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WorkQueue', () => {
  it('keeps a key waiting at most once however often it is added', async () => {
    const first = gate();
    const seen: string[] = [];
    const queue = queueWith(async (key) => {
      seen.push(key);
      if (key === 'a') await first.promise;
    });
    queue.add('a');
    queue.add('b');
    queue.add('b');
    queue.add('c');
    queue.add('b');
    expect(queue.depth).toBe(2);
    first.open();
    await settle();
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(queue.depth).toBe(0);
  });

  it('never hands one key to two workers, and processes it again if it was added meanwhile', async () => {
    const gates = [gate(), gate()];
    let running = 0;
    let mostAtOnce = 0;
    let calls = 0;
    const queue = queueWith(async () => {
      const mine = gates[calls++];
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await mine?.promise;
      running -= 1;
    }, 4);
    queue.add('a');
    await settle();
    queue.add('a');
    queue.add('a');
    await settle();
    expect(calls).toBe(1);
    expect(queue.processing.has('a')).toBe(true);
    gates[0]!.open();
    await settle();
    expect(calls).toBe(2);
    gates[1]!.open();
    await settle();
    expect(calls).toBe(2);
    expect(mostAtOnce).toBe(1);
  });

  it('processes different keys concurrently up to the concurrency', async () => {
    const release = gate();
    let running = 0;
    let mostAtOnce = 0;
    const queue = queueWith(async () => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await release.promise;
      running -= 1;
    }, 2);
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    await settle();
    expect(running).toBe(2);
    expect(queue.depth).toBe(2);
    release.open();
    await settle();
    expect(mostAtOnce).toBe(2);
    expect(queue.depth).toBe(0);
  });

  it('backs a failing key off exponentially up to the cap, and starts over after forget', async () => {
    const times: number[] = [];
    let failing = true;
    const queue: WorkQueue = queueWith(async (key) => {
      times.push(Date.now());
      if (failing) queue.addRateLimited(key);
      else queue.forget(key);
    });
    const start = Date.now();
    queue.add('a');
    await settle();
    await vi.advanceTimersByTimeAsync(5000);
    const gaps = times.map((time, i) => time - (times[i - 1] ?? start));
    expect(gaps.slice(0, 10)).toEqual([0, 5, 10, 20, 40, 80, 160, 320, 640, 1000]);
    expect(gaps.slice(10).every((gap) => gap === 1000)).toBe(true);

    failing = false;
    await vi.advanceTimersByTimeAsync(1000); // one more run, which succeeds and forgets
    expect(queue.failures('a')).toBe(0);
    const runs = times.length;
    failing = true;
    queue.add('a');
    await settle();
    await vi.advanceTimersByTimeAsync(5);
    expect(times.length).toBe(runs + 2);
    expect(queue.failures('a')).toBe(2);
  });

  it('retries a handler that throws with backoff, and reports the error', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const queue = new WorkQueue(
      () => {
        calls += 1;
        return Promise.reject(new Error('boom'));
      },
      {
        concurrency: 1,
        backoff: { baseMs: 100, maxMs: 1000 },
        clock: systemClock(),
        onError: (_key, error) => errors.push(error),
      },
    );
    queue.add('a');
    await settle();
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await queue.shutdown();
  });

  it('adds a key after a delay, the earliest of several delays winning', async () => {
    const seen: string[] = [];
    const queue = queueWith(async (key) => {
      seen.push(key);
    });
    queue.addAfter('a', 1000);
    queue.addAfter('a', 300);
    queue.addAfter('a', 2000);
    await vi.advanceTimersByTimeAsync(299);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(seen).toEqual(['a']);
  });

  it('takes a delayed key at once when the clock was set past its time before its timer fired', async () => {
    const seen: string[] = [];
    let offset = 0;
    const queue = new WorkQueue(
      async (key) => {
        seen.push(key);
      },
      { concurrency: 1, backoff: { baseMs: 5, maxMs: 1000 }, clock: systemClock(() => Date.now() + offset) },
    );
    queue.addAfter('a', 10 * 60_000);
    // The injected clock jumps 11 minutes; the timer, on real time, is still 10 minutes away.
    offset = 11 * 60_000;
    queue.addAfter('a', 1000);
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(seen).toEqual(['a']);
  });

  it('on shutdown waits for in-flight work and drops waiting and delayed keys', async () => {
    const release = gate();
    const seen: string[] = [];
    const queue = queueWith(async (key) => {
      seen.push(key);
      await release.promise;
    });
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 10);
    await settle();
    let done = false;
    const shutdown = queue.shutdown().then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    release.open();
    await shutdown;
    await vi.advanceTimersByTimeAsync(100);
    queue.add('d');
    await settle();
    expect(seen).toEqual(['a']);
    expect(queue.depth).toBe(0);
  });

  it('reports its depth', async () => {
    const depths: number[] = [];
    const release = gate();
    const queue = new WorkQueue(() => release.promise, {
      concurrency: 1,
      backoff: { baseMs: 5, maxMs: 10 },
      clock: systemClock(),
      onDepth: (depth) => depths.push(depth),
    });
    queue.add('a');
    queue.add('b');
    queue.add('c');
    expect(queue.depth).toBe(2);
    release.open();
    await settle();
    expect(depths.at(-1)).toBe(0);
    expect(Math.max(...depths)).toBe(2);
  });
});
