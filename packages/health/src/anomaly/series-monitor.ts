import type { Band } from './band.ts';
import type { DetectorOptions } from './detector-options.ts';
import { EwmaBand } from './ewma-band.ts';
import { MadBand } from './mad-band.ts';
import { DAY_MS, SeasonalBand, WEEK_MS } from './seasonal-band.ts';

/** A point's verdict. `None`: no band yet (sparse guard, seasonal history missing, just after a gap). */
export const Verdict = { None: 0, Inside: 1, Above: 2, Below: 3 } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** One checked point, as the risk's details and the series API show it. */
export interface CheckedPoint {
  /** Milliseconds since the epoch. */
  t: number;
  value: number;
  /** The band the point was checked against; absent when there was none. */
  band?: { lower: number; centre: number; upper: number };
  /** Outside the band on a watched side. */
  deviation: boolean;
}

const FIELDS = 6; // t, value, lower, centre, upper, verdict

/**
 * One series against its baseline: the band estimators its algorithm needs, the guards (sparse, flat,
 * gapped), the sustained rule (k of the last n points outside, on the watched side) and the last points
 * with their bands. `push` allocates nothing; the band it used is left in `lower`/`centre`/`upper`.
 */
export class SeriesMonitor {
  lower = Number.NaN;
  centre = Number.NaN;
  upper = Number.NaN;
  /** |value − centre| / half width of the band: 1 at the band's edge; 0 without a band. */
  degree = 0;
  /** Set once k of the last n points are outside; released after `clearAfterMs` of points inside. */
  deviating = false;
  /** When the series last started to deviate (ms), while it does. */
  deviatingSince = 0;

  readonly #options: DetectorOptions;
  /** Points in a row inside the band that release a deviation. */
  readonly #clearAfter: number;
  readonly #ewma: EwmaBand | undefined;
  readonly #mad: MadBand | undefined;
  readonly #weekly: SeasonalBand | undefined;
  readonly #daily: SeasonalBand | undefined;
  readonly #band: Band = { centre: 0, spread: 0 };
  readonly #window: Uint8Array;
  #windowHead = 0;
  #windowSize = 0;
  #outside = 0;
  /** Points in a row inside the band (or outside on the side not watched). */
  #insideRun = 0;
  readonly #recent: Float64Array;
  #recentHead = 0;
  #recentSize = 0;
  #lastT = Number.NEGATIVE_INFINITY;

  constructor(options: DetectorOptions) {
    this.#options = options;
    this.#clearAfter = Math.max(options.sustained.n, Math.ceil(options.clearAfterMs / options.stepMs));
    const { algorithm } = options;
    const seasonal = algorithm === 'seasonal' || algorithm === 'auto';
    // `auto` falls back on the EWMA band, not the MAD one: on the corpus the median's lag on a daily curve
    // cost it ten times the false alarms in the first two days (ADR 0021).
    this.#ewma = algorithm === 'ewma' || algorithm === 'auto' ? new EwmaBand(options.ewmaSpan) : undefined;
    this.#mad = algorithm === 'mad' ? new MadBand(options.madWindow) : undefined;
    const profile = (periodMs: number, minHistoryMs: number) =>
      new SeasonalBand({
        periodMs,
        stepMs: options.stepMs,
        minHistoryMs,
        levelTimeConstantMs: options.seasonalLevelMs,
      });
    this.#weekly = seasonal ? profile(WEEK_MS, options.seasonalMinHistoryMs) : undefined;
    this.#daily = seasonal ? profile(DAY_MS, options.dailyMinHistoryMs) : undefined;
    this.#window = new Uint8Array(options.sustained.n);
    this.#recent = new Float64Array(Math.max(1, options.recentPoints) * FIELDS);
  }

  /** The time of the last point taken; -Infinity before the first. */
  get lastTime(): number {
    return this.#lastT;
  }

  /** Checks a point against the band learned so far, then learns it. Points must come in time order. */
  push(t: number, value: number): Verdict {
    if (!Number.isFinite(value) || t <= this.#lastT) return Verdict.None; // NaN is a gap; repeats ignored
    const options = this.#options;
    const gap = t - this.#lastT;
    if (gap > options.resetAfterGapMs && Number.isFinite(this.#lastT)) this.#forget(gap);
    this.#lastT = t;

    let verdict: Verdict = Verdict.None;
    if (this.#estimate(t)) {
      const centre = this.#band.centre;
      const spread = Math.max(
        this.#band.spread,
        options.minRelativeSpread * Math.abs(centre),
        options.minAbsoluteSpread,
      );
      const half = options.deviations * spread;
      this.centre = centre;
      this.lower = centre - half;
      this.upper = centre + half;
      this.degree = Math.abs(value - centre) / half;
      verdict = value > this.upper ? Verdict.Above : value < this.lower ? Verdict.Below : Verdict.Inside;
      const watched =
        (verdict === Verdict.Above && options.direction !== 'down') ||
        (verdict === Verdict.Below && options.direction !== 'up');
      this.#slide(watched, t);
      // An outlier teaches the band only up to its edge: one spike must not widen it for hours.
      const clipped = Math.min(Math.max(value, this.lower), this.upper);
      this.#ewma?.learn(t, clipped);
      this.#weekly?.learn(t, clipped);
      this.#daily?.learn(t, clipped);
    } else {
      this.lower = this.centre = this.upper = Number.NaN;
      this.degree = 0;
      this.#ewma?.learn(t, value);
      this.#weekly?.learn(t, value);
      this.#daily?.learn(t, value);
    }
    this.#mad?.learn(t, value); // the median is robust already, and must see a level shift to follow it
    this.#remember(t, value, verdict);
    return verdict;
  }

  /** The last points (oldest first) with their bands: for a risk's details and the console. */
  recent(): CheckedPoint[] {
    const points: CheckedPoint[] = [];
    const capacity = this.#recent.length / FIELDS;
    for (let i = 0; i < this.#recentSize; i++) {
      const at = ((this.#recentHead - this.#recentSize + i + capacity) % capacity) * FIELDS;
      points.push(this.#pointAt(at));
    }
    return points;
  }

  /** The largest degree among the recent points outside the band (at least the last one's). */
  peakDegree(): number {
    let peak = this.degree;
    const capacity = this.#recent.length / FIELDS;
    const last = Math.min(this.#recentSize, this.#options.sustained.n);
    for (let i = 0; i < last; i++) {
      const at = ((this.#recentHead - 1 - i + capacity) % capacity) * FIELDS;
      const r = this.#recent;
      const centre = r[at + 3]!;
      const half = r[at + 4]! - centre;
      const verdict = r[at + 5]!;
      if ((verdict === Verdict.Above || verdict === Verdict.Below) && half > 0)
        peak = Math.max(peak, Math.abs(r[at + 1]! - centre) / half);
    }
    return peak;
  }

  #estimate(t: number): boolean {
    const { algorithm, minPoints } = this.#options;
    const band = this.#band;
    switch (algorithm) {
      case 'ewma':
        return this.#ewma!.count >= minPoints && this.#ewma!.estimate(t, band);
      case 'mad':
        return this.#mad!.count >= minPoints && this.#mad!.estimate(t, band);
      case 'seasonal':
        return this.#weekly!.estimate(t, band) || this.#daily!.estimate(t, band);
      case 'auto': {
        if (this.#weekly!.estimate(t, band) || this.#daily!.estimate(t, band)) return true;
        return this.#ewma!.count >= minPoints && this.#ewma!.estimate(t, band);
      }
    }
  }

  #slide(outside: boolean, t: number): void {
    const { k, n } = this.#options.sustained;
    if (this.#windowSize === n) this.#outside -= this.#window[this.#windowHead]!;
    else this.#windowSize += 1;
    this.#window[this.#windowHead] = outside ? 1 : 0;
    this.#outside += outside ? 1 : 0;
    this.#windowHead = (this.#windowHead + 1) % n;
    this.#insideRun = outside ? 0 : this.#insideRun + 1;
    if (!this.deviating && this.#outside >= k) {
      this.deviating = true;
      this.deviatingSince = t;
    } else if (this.deviating && this.#insideRun >= this.#clearAfter) {
      this.deviating = false;
      this.deviatingSince = 0;
    }
  }

  /** A long gap: what was learned before says little about now (a restarted target, a new instance). */
  #forget(gap: number): void {
    this.#ewma?.reset();
    this.#mad?.reset();
    if (gap > this.#options.seasonalMinHistoryMs) this.#weekly?.reset();
    if (gap > this.#options.dailyMinHistoryMs) this.#daily?.reset();
    this.#window.fill(0);
    this.#windowHead = this.#windowSize = this.#outside = this.#insideRun = 0;
    this.deviating = false;
    this.deviatingSince = 0;
  }

  #remember(t: number, value: number, verdict: Verdict): void {
    const r = this.#recent;
    const at = this.#recentHead * FIELDS;
    r[at] = t;
    r[at + 1] = value;
    r[at + 2] = this.lower;
    r[at + 3] = this.centre;
    r[at + 4] = this.upper;
    r[at + 5] = verdict;
    const capacity = r.length / FIELDS;
    this.#recentHead = (this.#recentHead + 1) % capacity;
    if (this.#recentSize < capacity) this.#recentSize += 1;
  }

  #pointAt(at: number): CheckedPoint {
    const r = this.#recent;
    const verdict = r[at + 5]!;
    const direction = this.#options.direction;
    const point: CheckedPoint = {
      t: r[at]!,
      value: r[at + 1]!,
      deviation:
        (verdict === Verdict.Above && direction !== 'down') ||
        (verdict === Verdict.Below && direction !== 'up'),
    };
    if (verdict !== Verdict.None) point.band = { lower: r[at + 2]!, centre: r[at + 3]!, upper: r[at + 4]! };
    return point;
  }
}
