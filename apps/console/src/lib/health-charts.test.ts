import { describe, expect, it } from 'vitest';
import type { BaselineSeriesView, HealthStats } from '@gantry/client';
import {
  baselineChartOption,
  formatAvailability,
  formatDuration,
  groupLabel,
  statsChartOption,
} from './health-charts';

describe('formatDuration', () => {
  it('picks the unit by size and says — for an absent figure', () => {
    expect(formatDuration(undefined)).toBe('—');
    expect(formatDuration(44_600)).toBe('45s');
    expect(formatDuration(12 * 60_000 + 5_000)).toBe('12m');
    expect(formatDuration(3 * 3_600_000)).toBe('3h');
    expect(formatDuration(3 * 3_600_000 + 5 * 60_000)).toBe('3h 5m');
    expect(formatDuration(2 * 86_400_000 + 4 * 3_600_000)).toBe('2d 4h');
    expect(formatDuration(2 * 86_400_000)).toBe('2d');
  });
});

describe('formatAvailability', () => {
  it('rounds down to two decimals, never showing 100% for less', () => {
    expect(formatAvailability(0.99996)).toBe('99.99%');
    expect(formatAvailability(1)).toBe('100.00%');
    expect(formatAvailability(undefined)).toBe('—');
  });
});

describe('statsChartOption', () => {
  it('draws MTTD, MTTA and MTTR per group in minutes, gaps where a figure is absent', () => {
    const stats: HealthStats = {
      from: '2026-11-03T00:00:00.000Z',
      to: '2026-12-03T00:00:00.000Z',
      by: 'application',
      metrics: ['count', 'mttd', 'mtta', 'mttr'],
      rangeMs: 30 * 86_400_000,
      groups: [
        { key: 'web', failures: 2, mttdMs: 60_000, mttaMs: 90_000, mttrMs: 1_800_000 },
        { key: '', failures: 1, mttrMs: 600_000 },
      ],
      total: { key: '', failures: 3 },
    };
    const option = statsChartOption(stats);
    expect(option.xAxis).toMatchObject({ data: ['web', '(none)'] });
    expect(option.series).toEqual([
      { name: 'MTTD', type: 'bar', data: [1, null] },
      { name: 'MTTA', type: 'bar', data: [1.5, null] },
      { name: 'MTTR', type: 'bar', data: [30, 10] },
    ]);
    expect(groupLabel(stats.total, true)).toBe('all');
  });
});

describe('baselineChartOption', () => {
  it('stacks the band from its lower edge, marks deviating points and shades the episodes', () => {
    const band = { lower: 8, centre: 10, upper: 12 };
    const view: BaselineSeriesView = {
      team: 'ops',
      baseline: 'latency',
      series: '{job="api"}',
      labels: { job: 'api' },
      algorithm: 'ewma',
      stepSeconds: 60,
      from: '2026-12-03T10:00:00.000Z',
      to: '2026-12-03T10:04:00.000Z',
      points: [
        { t: '2026-12-03T10:00:00.000Z', value: 10, deviation: false },
        { t: '2026-12-03T10:01:00.000Z', value: 11, band, deviation: false },
        { t: '2026-12-03T10:02:00.000Z', value: 20, band, deviation: true },
      ],
      deviations: [{ start: '2026-12-03T10:02:00.000Z' }],
      deviating: true,
    };
    const option = baselineChartOption(view);
    const series = option.series as {
      name: string;
      data: unknown[];
      stack?: string;
      markArea?: { data: unknown };
    }[];
    const byName = new Map(series.map((item) => [item.name, item]));
    expect(byName.get('band-lower')).toMatchObject({ stack: 'band' });
    expect(byName.get('band-lower')!.data).toEqual([
      ['2026-12-03T10:00:00.000Z', null],
      ['2026-12-03T10:01:00.000Z', 8],
      ['2026-12-03T10:02:00.000Z', 8],
    ]);
    expect(byName.get('band')!.data.map((point) => (point as unknown[])[1])).toEqual([null, 4, 4]);
    expect(byName.get('deviation')!.data).toEqual([['2026-12-03T10:02:00.000Z', 20]]);
    // An episode still open is shaded up to the end of the range.
    expect(byName.get('value')!.markArea!.data).toEqual([
      [{ xAxis: '2026-12-03T10:02:00.000Z' }, { xAxis: '2026-12-03T10:04:00.000Z' }],
    ]);
  });
});
