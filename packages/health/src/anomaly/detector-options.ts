import { DAY_MS, WEEK_MS } from './seasonal-band.ts';

export type BaselineAlgorithm = 'ewma' | 'mad' | 'seasonal' | 'auto';
export type DeviationDirection = 'up' | 'down' | 'both';

/** Complete detector options: resolved once from a Baseline's spec (or the defaults) and never partial. */
export interface DetectorOptions {
  algorithm: BaselineAlgorithm;
  /** The series' step: points are expected this far apart. */
  stepMs: number;
  /** The band's half width in spreads (robust standard deviations). */
  deviations: number;
  direction: DeviationDirection;
  /** A series deviates when `k` of its last `n` points (points present, gaps not counted) are outside. */
  sustained: { k: number; n: number };
  /**
   * A deviation is released after this long of points inside the band (at least n points): a series
   * hovering at the band's edge is one risk, not one every few minutes.
   */
  clearAfterMs: number;
  /** Sparse guard: points learned (since the start or the last reset) before any verdict. */
  minPoints: number;
  /** Flat guard: the spread is at least this fraction of the centre's magnitude... */
  minRelativeSpread: number;
  /** ...and at least this much in the series' own unit. */
  minAbsoluteSpread: number;
  /** Gap guard: a gap longer than this forgets the short-term state (EWMA, MAD window, sustained window). */
  resetAfterGapMs: number;
  /** EWMA span in points (α = 2 / (span + 1)). */
  ewmaSpan: number;
  /** Rolling median/MAD window in points. */
  madWindow: number;
  /** History before the weekly profile is used (and a gap longer than this forgets the profile too). */
  seasonalMinHistoryMs: number;
  /** History before the daily profile is used, while the weekly one is not ready (same for gaps). */
  dailyMinHistoryMs: number;
  /** Time constant of the seasonal profile's level. */
  seasonalLevelMs: number;
  /** Points (with their band) kept per series for the risk's details. */
  recentPoints: number;
}

/** Sensitivity names and the band half width (in spreads) each stands for (ADR 0021). */
export const SENSITIVITY_DEVIATIONS = { low: 4, medium: 3, high: 2.5 } as const;
export type Sensitivity = keyof typeof SENSITIVITY_DEVIATIONS;

/** The defaults, chosen on the labelled corpus (test/anomaly-corpus, ADR 0021). */
export function defaultDetectorOptions(stepMs: number): DetectorOptions {
  return {
    algorithm: 'auto',
    stepMs,
    deviations: SENSITIVITY_DEVIATIONS.medium,
    direction: 'both',
    sustained: { k: 3, n: 5 },
    clearAfterMs: 3_600_000,
    minPoints: 30,
    minRelativeSpread: 0.01,
    minAbsoluteSpread: 1e-9,
    resetAfterGapMs: Math.max(30 * stepMs, 3_600_000),
    ewmaSpan: 30,
    madWindow: 60,
    seasonalMinHistoryMs: 2 * WEEK_MS,
    dailyMinHistoryMs: 2 * DAY_MS,
    seasonalLevelMs: 3 * 3_600_000,
    recentPoints: 30,
  };
}
