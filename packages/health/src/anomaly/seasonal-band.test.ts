import { describe, expect, it } from 'vitest';
import type { Band } from './band.ts';
import { DAY_MS, HOUR_MS, SeasonalBand, WEEK_MS } from './seasonal-band.ts';

const STEP = 5 * 60_000;
/** Busy on weekdays' working hours, quiet otherwise: a shape no non-seasonal band can follow. */
const weekly = (t: number) => {
  const day = Math.floor(t / DAY_MS) % 7;
  const hour = Math.floor(t / HOUR_MS) % 24;
  return day < 5 && hour >= 8 && hour < 18 ? 500 : 100;
};

describe('SeasonalBand', () => {
  it('gives no verdict before two weeks of history, then expects the weekly shape', () => {
    const band: Band = { centre: 0, spread: 0 };
    const profile = new SeasonalBand({
      periodMs: WEEK_MS,
      stepMs: STEP,
      minHistoryMs: 2 * WEEK_MS,
      levelTimeConstantMs: 3 * HOUR_MS,
    });
    let t = 0;
    for (; t < 2 * WEEK_MS - STEP; t += STEP) {
      expect(profile.estimate(t, band)).toBe(false);
      profile.learn(t, weekly(t) + ((t / STEP) % 3) - 1);
    }
    for (; t < 3 * WEEK_MS; t += STEP) profile.learn(t, weekly(t) + ((t / STEP) % 3) - 1);
    // Tuesday 10:30 of the fourth week: busy; Sunday 03:30: quiet.
    const busy = 3 * WEEK_MS + 1 * DAY_MS + 10.5 * HOUR_MS;
    const quiet = 3 * WEEK_MS + 6 * DAY_MS + 3.5 * HOUR_MS;
    expect(profile.estimate(busy, band)).toBe(true);
    expect(band.centre).toBeGreaterThan(480);
    expect(band.centre).toBeLessThan(520);
    expect(band.spread).toBeLessThan(20);
    expect(profile.estimate(quiet, band)).toBe(true);
    expect(band.centre).toBeGreaterThan(80);
    expect(band.centre).toBeLessThan(120);
  });

  it('a daily profile is ready after two days and interpolates between hours on a ramp', () => {
    const band: Band = { centre: 0, spread: 0 };
    const profile = new SeasonalBand({
      periodMs: DAY_MS,
      stepMs: STEP,
      minHistoryMs: 2 * DAY_MS,
      levelTimeConstantMs: 3 * HOUR_MS,
    });
    const ramp = (t: number) => 100 + 10 * ((t % DAY_MS) / HOUR_MS); // +10 an hour, all day
    const at = 4 * DAY_MS + 6 * HOUR_MS + 15 * 60_000; // 06:15 on the fifth day
    for (let t = 0; t < at; t += STEP) profile.learn(t, ramp(t));
    expect(profile.estimate(at, band)).toBe(true);
    expect(Math.abs(band.centre - ramp(at))).toBeLessThan(2); // a staircase would be 2.5 off
  });

  it('forgets on reset', () => {
    const profile = new SeasonalBand({
      periodMs: DAY_MS,
      stepMs: STEP,
      minHistoryMs: 2 * DAY_MS,
      levelTimeConstantMs: HOUR_MS,
    });
    for (let t = 0; t < 3 * DAY_MS; t += STEP) profile.learn(t, 5);
    profile.reset();
    expect(profile.count).toBe(0);
    expect(profile.estimate(3 * DAY_MS, { centre: 0, spread: 0 })).toBe(false);
  });
});
