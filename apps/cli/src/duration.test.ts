import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it('reads kubectl-style durations into milliseconds', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('5m0s')).toBe(300_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('0')).toBe(0);
  });

  it('refuses a number without a unit, an unknown unit or trailing text', () => {
    for (const bad of ['', '30', '5d', 'm', '5m junk', '-5m', '5 m']) {
      expect(() => parseDuration(bad), bad).toThrow(/invalid duration .*e\.g\. 30s, 5m, 1h30m/);
    }
  });
});

describe('formatDuration', () => {
  it('writes the shortest form back', () => {
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(500)).toBe('500ms');
  });
});
