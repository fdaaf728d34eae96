import { describe, expect, it } from 'vitest';
import { DueQueue } from './due-queue.ts';

describe('DueQueue', () => {
  it('takes what is due, earliest first, and keys due together in the order they were set', () => {
    const queue = new DueQueue<string>();
    queue.set('c', 30);
    queue.set('a', 10);
    queue.set('b', 20);
    queue.set('a2', 10);
    expect(queue.next()).toBe(10);
    expect(queue.takeDue(9)).toEqual([]);
    expect(queue.takeDue(20)).toEqual(['a', 'a2', 'b']);
    expect(queue.next()).toBe(30);
    expect(queue.size).toBe(1);
  });

  it('moves a key set again and forgets a deleted one; a key that never falls due is only held', () => {
    const queue = new DueQueue<string>();
    queue.set('a', 10);
    queue.set('b', 20);
    queue.set('a', 40);
    queue.delete('b');
    queue.set('never', Number.POSITIVE_INFINITY);
    expect(queue.next()).toBe(40);
    expect(queue.takeDue(39)).toEqual([]);
    expect(queue.takeDue(1_000)).toEqual(['a']);
    expect(queue.next()).toBeUndefined();
    expect(queue.size).toBe(1);
    queue.set('never', 50);
    expect(queue.takeDue(50)).toEqual(['never']);
  });

  it('agrees with a plain scan through many moves, deletes and takes (its heap rebuilt on the way)', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor(seed / 65_536) % n;
    };
    const queue = new DueQueue<number>();
    const model = new Map<number, { at: number; order: number }>();
    let order = 0;
    let now = 0;
    for (let step = 0; step < 20_000; step++) {
      const key = random(50);
      const action = random(10);
      if (action < 6) {
        const at = now + random(20);
        if (model.get(key)?.at !== at) model.set(key, { at, order: order++ });
        queue.set(key, at);
      } else if (action < 8) {
        model.delete(key);
        queue.delete(key);
      } else {
        now += random(30);
        const due = [...model]
          .filter(([, entry]) => entry.at <= now)
          .sort(([, a], [, b]) => a.at - b.at || a.order - b.order)
          .map(([k]) => k);
        for (const k of due) model.delete(k);
        expect(queue.takeDue(now)).toEqual(due);
      }
      const earliest = Math.min(...[...model.values()].map((entry) => entry.at));
      expect(queue.next()).toBe(Number.isFinite(earliest) ? earliest : undefined);
      expect(queue.size).toBe(model.size);
    }
  });
});
