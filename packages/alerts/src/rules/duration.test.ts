import { describe, expect, it } from 'vitest';
import { parseRuleDuration } from './duration.ts';

describe('parseRuleDuration', () => {
  it('reads Prometheus durations, compound ones included', () => {
    expect(parseRuleDuration('0s')).toBe(0);
    expect(parseRuleDuration('250ms')).toBe(250);
    expect(parseRuleDuration('90s')).toBe(90_000);
    expect(parseRuleDuration('1h30m')).toBe(5_400_000);
    expect(parseRuleDuration('1d')).toBe(86_400_000);
    expect(parseRuleDuration('2w')).toBe(1_209_600_000);
  });
  it('refuses anything else', () => {
    for (const text of ['', '5', 'm', '5 m', '1h x', '-1s'])
      expect(() => parseRuleDuration(text)).toThrow(RangeError);
  });
});
