import { describe, expect, it } from 'vitest';
import { formatDuration, formatTimestamp } from './cel-json.ts';

describe('formatDuration', () => {
  it("writes Go's time.Duration strings", () => {
    expect(formatDuration(0n, 0)).toBe('0s');
    expect(formatDuration(5400n, 0)).toBe('1h30m0s');
    expect(formatDuration(61n, 500_000_000)).toBe('1m1.5s');
    expect(formatDuration(0n, 250_000_000)).toBe('250ms');
    expect(formatDuration(0n, 1_500)).toBe('1.5µs');
    expect(formatDuration(0n, 42)).toBe('42ns');
    expect(formatDuration(-2n, 0)).toBe('-2s');
  });
});

describe('formatTimestamp', () => {
  it('writes RFC 3339 in UTC with a trimmed fraction', () => {
    expect(formatTimestamp(1_704_067_200n, 0)).toBe('2024-01-01T00:00:00Z');
    expect(formatTimestamp(1_704_067_200n, 123_456_000)).toBe('2024-01-01T00:00:00.123456Z');
  });
});
