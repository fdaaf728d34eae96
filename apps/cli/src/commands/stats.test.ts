import { describe, expect, it } from 'vitest';
import { parseSince, statsTable } from './stats.ts';

describe('gantry stats helpers', () => {
  it('reads --since in days, hours and minutes', () => {
    expect(parseSince('90d')).toBe(90 * 86_400_000);
    expect(parseSince('2d12h')).toBe(60 * 3_600_000);
    expect(parseSince('36h')).toBe(36 * 3_600_000);
    expect(() => parseSince('a week')).toThrow(/invalid duration/);
  });

  it('prints a row per group, dashes for what is absent, the total last', () => {
    const table = statsTable({
      from: '2026-06-01T00:00:00.000Z',
      to: '2026-06-02T00:00:00.000Z',
      by: 'application',
      metrics: ['count', 'mttr', 'availability'],
      rangeMs: 86_400_000,
      groups: [
        {
          key: 'checkout',
          failures: 2,
          acknowledged: 1,
          resolved: 2,
          mttrMs: 90_000,
          downtimeMs: 5_400_000,
          availability: 0.9375,
        },
      ],
      total: {
        key: '',
        failures: 2,
        acknowledged: 1,
        resolved: 2,
        downtimeMs: 5_400_000,
        availability: 0.9375,
      },
    });
    expect(table.headers[0]).toBe('APPLICATION');
    expect(table.rows).toEqual([
      ['checkout', '2', '1', '2', '-', '-', '1m30s', '-', '1h30m', '93.750%'],
      ['(total)', '2', '1', '2', '-', '-', '-', '-', '1h30m', '93.750%'],
    ]);
  });
});
