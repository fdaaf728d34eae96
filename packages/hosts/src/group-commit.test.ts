import { describe, expect, it } from 'vitest';
import { GroupCommit, type Schedule } from './group-commit.ts';

/** Timers that fire only when the test says. */
function manualSchedule() {
  const timers: { run: () => void; ms: number; cancelled: boolean }[] = [];
  const schedule: Schedule = (run, ms) => {
    const timer = { run, ms, cancelled: false };
    timers.push(timer);
    return () => (timer.cancelled = true);
  };
  const fire = () => {
    for (const timer of timers.splice(0)) if (!timer.cancelled) timer.run();
  };
  return { schedule, fire, pending: () => timers.filter((t) => !t.cancelled).length };
}

describe('GroupCommit', () => {
  it('writes what arrives within the tick together, then what arrived during a write at once, in order', async () => {
    const timers = manualSchedule();
    const batches: number[][] = [];
    let release: (() => void) | undefined;
    const commit = new GroupCommit<number>({
      maxItems: 3,
      tickMs: 2,
      schedule: timers.schedule,
      commit: async (items) => {
        batches.push(items);
        await new Promise<void>((resolve) => (release = resolve));
      },
    });
    const done: number[] = [];
    const add = (n: number) => void commit.add(n).then(() => done.push(n));
    add(1);
    add(2);
    expect(batches).toEqual([]); // waiting for the tick
    expect(timers.pending()).toBe(1);
    timers.fire();
    expect(batches).toEqual([[1, 2]]);
    // While [1, 2] is written: 3, 4, 5, 6 wait; no timer is needed.
    for (const n of [3, 4, 5, 6]) add(n);
    expect(commit.backlog).toBe(4);
    expect(timers.pending()).toBe(0);
    release!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toEqual([1, 2]);
    // At most maxItems per batch, in arrival order.
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    release!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2], [3, 4, 5], [6]]);
    release!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('writes a full batch without waiting for the tick; on close, waits for the write and drops the rest', async () => {
    const timers = manualSchedule();
    const batches: number[][] = [];
    let release: (() => void) | undefined;
    const commit = new GroupCommit<number>({
      maxItems: 2,
      tickMs: 2,
      schedule: timers.schedule,
      commit: async (items) => {
        batches.push(items);
        await new Promise<void>((resolve) => (release = resolve));
      },
    });
    void commit.add(1);
    void commit.add(2);
    expect(batches).toEqual([[1, 2]]);
    const late = commit.add(3);
    const closed = commit.close();
    await late; // resolved, not written
    release!();
    await closed;
    expect(batches).toEqual([[1, 2]]);
    await commit.add(4); // after close: ignored
    expect(batches).toEqual([[1, 2]]);
  });
});
