import { describe, expect, it } from 'vitest';
import { PerKeyBackoff } from './backoff.ts';

describe('PerKeyBackoff', () => {
  it('doubles per consecutive failure up to the cap, per key', () => {
    const backoff = new PerKeyBackoff({ baseMs: 5, maxMs: 60_000 });
    const delays = Array.from({ length: 16 }, () => backoff.next('a'));
    expect(delays.slice(0, 5)).toEqual([5, 10, 20, 40, 80]);
    expect(delays.at(-1)).toBe(60_000);
    expect(backoff.next('b')).toBe(5);
    backoff.forget('a');
    expect(backoff.failures('a')).toBe(0);
    expect(backoff.next('a')).toBe(5);
  });

  it('stays finite after very many failures', () => {
    const backoff = new PerKeyBackoff({ baseMs: 5, maxMs: 1000 });
    for (let i = 0; i < 2000; i++) backoff.next('a');
    expect(backoff.next('a')).toBe(1000);
  });
});
