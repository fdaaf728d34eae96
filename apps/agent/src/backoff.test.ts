import { describe, expect, it } from 'vitest';
import { fullJitterDelay } from './backoff.ts';

describe('fullJitterDelay', () => {
  it('draws uniformly from zero to the doubling ceiling, capped', () => {
    expect(fullJitterDelay(0, () => 0.999, 1000, 60_000)).toBe(999);
    expect(fullJitterDelay(3, () => 0.5, 1000, 60_000)).toBe(4000);
    expect(fullJitterDelay(10, () => 0.5, 1000, 60_000)).toBe(30_000);
    expect(fullJitterDelay(1000, () => 0.999, 1000, 60_000)).toBe(59_940);
    expect(fullJitterDelay(5, () => 0, 1000, 60_000)).toBe(0);
  });

  it('spreads many agents reconnecting at once over the window', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const delays = Array.from({ length: 2000 }, () => fullJitterDelay(6, random, 1000, 60_000));
    const buckets = new Array<number>(6).fill(0);
    for (const delay of delays) buckets[Math.floor(delay / 10_000)]! += 1;
    for (const count of buckets) expect(count).toBeLessThan(2000 / 6 + 100);
  });
});
