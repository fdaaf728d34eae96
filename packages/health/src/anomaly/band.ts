/**
 * What a detector expects of the next point: a centre and a spread (a robust standard deviation). The
 * series monitor turns it into a band (centre ± deviations × spread, the spread floored for flat series).
 * Detectors write into a caller-owned `Band`, so a check allocates nothing per point.
 */
export interface Band {
  centre: number;
  spread: number;
}

/** One way of learning a series' normal range, point by point. */
export interface BandEstimator {
  /** Points learned since the last reset. */
  readonly count: number;
  /** Writes the expectation for a point at `t` into `out`; false while it cannot say (not enough history). */
  estimate(t: number, out: Band): boolean;
  /** Learns a point. The monitor passes a point outside the band clipped to the band's edge. */
  learn(t: number, value: number): void;
  /** Forgets what was learned (after a long gap the old state says nothing about the series). */
  reset(): void;
}
