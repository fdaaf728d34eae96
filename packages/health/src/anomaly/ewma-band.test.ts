import { describe, expect, it } from 'vitest';
import type { Band } from './band.ts';
import { EwmaBand } from './ewma-band.ts';

describe('EwmaBand', () => {
  it('says nothing before its first point, then starts at it with no spread', () => {
    const ewma = new EwmaBand(9);
    const band: Band = { centre: 0, spread: 0 };
    expect(ewma.estimate(0, band)).toBe(false);
    ewma.learn(0, 10);
    expect(ewma.estimate(1, band)).toBe(true);
    expect(band).toEqual({ centre: 10, spread: 0 });
  });

  it('converges on the mean and standard deviation of a stationary series', () => {
    const ewma = new EwmaBand(50);
    // Alternating 90 and 110: mean 100, standard deviation 10.
    for (let i = 0; i < 2000; i++) ewma.learn(i, i % 2 === 0 ? 90 : 110);
    const band: Band = { centre: 0, spread: 0 };
    ewma.estimate(2000, band);
    expect(band.centre).toBeCloseTo(100, 0);
    expect(band.spread).toBeGreaterThan(9.5);
    expect(band.spread).toBeLessThan(10.5);
  });

  it('follows a level shift within a few spans', () => {
    const ewma = new EwmaBand(9); // α = 0.2
    for (let i = 0; i < 100; i++) ewma.learn(i, 0);
    for (let i = 100; i < 130; i++) ewma.learn(i, 100);
    const band: Band = { centre: 0, spread: 0 };
    ewma.estimate(130, band);
    expect(band.centre).toBeGreaterThan(99);
  });

  it('forgets everything on reset', () => {
    const ewma = new EwmaBand(9);
    ewma.learn(0, 5);
    ewma.reset();
    expect(ewma.count).toBe(0);
    expect(ewma.estimate(1, { centre: 0, spread: 0 })).toBe(false);
  });

  it('refuses a span below 1', () => {
    expect(() => new EwmaBand(0)).toThrow(RangeError);
  });
});
