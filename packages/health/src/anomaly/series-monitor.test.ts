import { describe, expect, it } from 'vitest';
import { defaultDetectorOptions, type DetectorOptions } from './detector-options.ts';
import { SeriesMonitor, Verdict } from './series-monitor.ts';

const STEP = 60_000;
const options = (overrides: Partial<DetectorOptions> = {}): DetectorOptions => ({
  ...defaultDetectorOptions(STEP),
  algorithm: 'ewma',
  minPoints: 10,
  ...overrides,
});
/** 100 ± 1, alternating: a series with a little noise. */
const noisy = (i: number) => 100 + (i % 2 === 0 ? 1 : -1);

function feed(monitor: SeriesMonitor, from: number, to: number, value: (i: number) => number): Verdict[] {
  const verdicts: Verdict[] = [];
  for (let i = from; i < to; i++) verdicts.push(monitor.push(i * STEP, value(i)));
  return verdicts;
}

describe('SeriesMonitor', () => {
  it('sparse guard: no verdict before minPoints points', () => {
    const monitor = new SeriesMonitor(options());
    const verdicts = feed(monitor, 0, 12, noisy);
    expect(verdicts.slice(0, 10).every((v) => v === Verdict.None)).toBe(true);
    expect(verdicts.slice(10)).toEqual([Verdict.Inside, Verdict.Inside]);
    expect(monitor.lower).toBeLessThan(100);
    expect(monitor.upper).toBeGreaterThan(100);
  });

  it('flat guard: a noise-free constant never alerts, and a move off it does', () => {
    for (const level of [0, 5, 1e6]) {
      const monitor = new SeriesMonitor(options());
      feed(monitor, 0, 200, () => level);
      expect(monitor.deviating).toBe(false);
      expect(monitor.upper).toBeGreaterThan(level); // the band never collapses to a line
      feed(monitor, 200, 205, () => level + Math.max(1, level * 0.1));
      expect(monitor.deviating, `level ${level}`).toBe(true);
    }
  });

  it('sustained rule: a single spike is not a deviation; k of the last n points are', () => {
    const monitor = new SeriesMonitor(options({ sustained: { k: 3, n: 5 } }));
    feed(monitor, 0, 50, noisy);
    expect(monitor.push(50 * STEP, 1000)).toBe(Verdict.Above);
    feed(monitor, 51, 60, noisy);
    expect(monitor.deviating).toBe(false);
    // Two outside, one inside, one outside: 3 of the last 5.
    feed(monitor, 60, 62, () => 200);
    expect(monitor.deviating).toBe(false);
    monitor.push(62 * STEP, 100);
    monitor.push(63 * STEP, 200);
    expect(monitor.deviating).toBe(true);
    expect(monitor.deviatingSince).toBe(63 * STEP);
    expect(monitor.peakDegree()).toBeGreaterThan(1);
  });

  it('k = 1 of n = 1 makes every spike count, when asked', () => {
    const monitor = new SeriesMonitor(options({ sustained: { k: 1, n: 1 } }));
    feed(monitor, 0, 50, noisy);
    monitor.push(50 * STEP, 1000);
    expect(monitor.deviating).toBe(true);
  });

  it('releases a deviation only after clearAfter of points inside', () => {
    const monitor = new SeriesMonitor(options({ clearAfterMs: 10 * STEP }));
    feed(monitor, 0, 50, noisy);
    feed(monitor, 50, 55, () => 300);
    expect(monitor.deviating).toBe(true);
    feed(monitor, 55, 64, noisy);
    expect(monitor.deviating).toBe(true);
    feed(monitor, 64, 65, noisy);
    expect(monitor.deviating).toBe(false);
  });

  it('direction: a drop is not a deviation for an `up` baseline, and is for `down`', () => {
    for (const [direction, expected] of [
      ['up', false],
      ['down', true],
      ['both', true],
    ] as const) {
      const monitor = new SeriesMonitor(options({ direction }));
      feed(monitor, 0, 50, noisy);
      feed(monitor, 50, 55, () => 0);
      expect(monitor.deviating, direction).toBe(expected);
    }
  });

  it('gap guard: missing points are not deviations, a long gap forgets the state', () => {
    const monitor = new SeriesMonitor(options({ resetAfterGapMs: 30 * STEP }));
    feed(monitor, 0, 50, noisy);
    // Ten minutes missing, then normal: nothing happens.
    expect(feed(monitor, 60, 65, noisy).every((v) => v === Verdict.Inside)).toBe(true);
    expect(monitor.deviating).toBe(false);
    // Deviating, then a two-hour gap: the series comes back at a new level and learns it from scratch.
    feed(monitor, 65, 70, () => 500);
    expect(monitor.deviating).toBe(true);
    const after = feed(monitor, 190, 200, () => 500);
    expect(monitor.deviating).toBe(false);
    expect(after.every((v) => v === Verdict.None)).toBe(true);
    // NaN (Prometheus's "no value") and points out of order are ignored.
    expect(monitor.push(201 * STEP, Number.NaN)).toBe(Verdict.None);
    expect(monitor.push(150 * STEP, 1)).toBe(Verdict.None);
    expect(monitor.lastTime).toBe(199 * STEP);
  });

  it('an outlier teaches the band only up to its edge', () => {
    const monitor = new SeriesMonitor(options());
    feed(monitor, 0, 50, noisy);
    const upperBefore = monitor.upper;
    monitor.push(50 * STEP, 1e9);
    monitor.push(51 * STEP, 100);
    expect(monitor.upper).toBeLessThan(upperBefore * 1.1);
  });

  it('keeps the recent points with their bands, oldest first', () => {
    const monitor = new SeriesMonitor(options({ recentPoints: 5 }));
    feed(monitor, 0, 20, noisy);
    monitor.push(20 * STEP, 300);
    const recent = monitor.recent();
    expect(recent.map((p) => p.t)).toEqual([16, 17, 18, 19, 20].map((i) => i * STEP));
    expect(recent[4]).toMatchObject({ value: 300, deviation: true });
    expect(recent[4]!.band!.upper).toBeLessThan(300);
    expect(recent[0]!.deviation).toBe(false);
  });

  it('mad and seasonal algorithms run under the same guards', () => {
    const mad = new SeriesMonitor(options({ algorithm: 'mad' }));
    feed(mad, 0, 50, noisy);
    feed(mad, 50, 55, () => 300);
    expect(mad.deviating).toBe(true);
    // `seasonal` has no verdict at all before two days of history; `auto` falls back on the EWMA band.
    const seasonal = new SeriesMonitor(options({ algorithm: 'seasonal' }));
    const auto = new SeriesMonitor(options({ algorithm: 'auto' }));
    for (const monitor of [seasonal, auto]) {
      feed(monitor, 0, 50, noisy);
      feed(monitor, 50, 55, () => 300);
    }
    expect(seasonal.deviating).toBe(false);
    expect(auto.deviating).toBe(true);
  });
});
