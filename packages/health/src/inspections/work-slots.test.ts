import { describe, expect, it } from 'vitest';
import { WorkSlots } from './work-slots.ts';

/** Lets every pending promise callback run. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('WorkSlots', () => {
  it('lets `limit` holders in at once and the others in the order they asked', async () => {
    const slots = new WorkSlots(2);
    const order: string[] = [];
    const releases = new Map<string, () => void>();
    const take = (name: string) =>
      slots.acquire().then((release) => {
        order.push(name);
        releases.set(name, release);
      });
    const all = ['a', 'b', 'c', 'd', 'e'].map(take);
    await settled();
    expect(order).toEqual(['a', 'b']);
    expect([slots.busy, slots.waiting]).toEqual([2, 3]);
    releases.get('b')!();
    releases.get('b')!(); // a second call gives nothing back twice
    await settled();
    expect(order).toEqual(['a', 'b', 'c']);
    releases.get('a')!();
    releases.get('c')!();
    await settled();
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect([slots.busy, slots.waiting]).toEqual([2, 0]);
    releases.get('d')!();
    releases.get('e')!();
    await Promise.all(all);
    expect([slots.busy, slots.waiting]).toEqual([0, 0]);
  });

  it('refuses a limit below one', () => {
    expect(() => new WorkSlots(0)).toThrow(RangeError);
  });
});
