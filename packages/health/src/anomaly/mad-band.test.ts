import { describe, expect, it } from 'vitest';
import type { Band } from './band.ts';
import { MAD_TO_SIGMA, MadBand } from './mad-band.ts';

/** The median and MAD by the book, to compare with the incremental ones. */
function reference(values: number[]): { median: number; mad: number } {
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  const centre = median(values);
  return { median: centre, mad: median(values.map((v) => Math.abs(v - centre))) };
}

describe('MadBand', () => {
  it('gives the median and the scaled MAD of the window, odd and even sizes, with duplicates', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 20;
    for (const window of [5, 6, 31, 60]) {
      const mad = new MadBand(window);
      const all: number[] = [];
      for (let i = 0; i < 500; i++) {
        const value = i % 7 === 0 ? 3 : Math.round(next()); // duplicates on purpose
        mad.learn(i, value);
        all.push(value);
        const band: Band = { centre: 0, spread: 0 };
        mad.estimate(i, band);
        const expected = reference(all.slice(-window));
        expect(band.centre).toBeCloseTo(expected.median, 9);
        expect(band.spread).toBeCloseTo(MAD_TO_SIGMA * expected.mad, 9);
      }
    }
  });

  it('is not moved by outliers in less than half its window', () => {
    const mad = new MadBand(21);
    for (let i = 0; i < 21; i++) mad.learn(i, i % 10 === 0 ? 1e6 : 50 + (i % 3));
    const band: Band = { centre: 0, spread: 0 };
    mad.estimate(21, band);
    expect(band.centre).toBeGreaterThanOrEqual(50);
    expect(band.centre).toBeLessThanOrEqual(52);
    expect(band.spread).toBeLessThan(3);
  });

  it('forgets on reset and refuses a window below 3', () => {
    const mad = new MadBand(3);
    mad.learn(0, 1);
    mad.reset();
    expect(mad.estimate(1, { centre: 0, spread: 0 })).toBe(false);
    expect(() => new MadBand(2)).toThrow(RangeError);
  });
});
