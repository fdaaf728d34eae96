import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it('reads Prometheus durations, compound ones included', () => {
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
  });
  it('refuses anything else', () => {
    for (const text of ['', '5', 'm', '5 m', '1h x', '-1s'])
      expect(() => parseDuration(text)).toThrow(RangeError);
  });
});
