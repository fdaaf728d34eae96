import type { Band, BandEstimator } from './band.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;

export interface SeasonalBandOptions {
  /** The season: a week (168 hour-of-week slots) or a day (24 hour-of-day slots). */
  periodMs: number;
  /** The series' step: sets how fast each slot learns (about two periods of its points). */
  stepMs: number;
  /** History the series must cover before a verdict, and periods each slot must have seen (at least 2). */
  minHistoryMs: number;
  /** The time constant of the deseasonalised level (a trend or a shift moves it): default 1 day. */
  levelTimeConstantMs: number;
}

/**
 * A seasonal profile, additive in the manner of Holt-Winters: a slowly moving level, plus one offset per
 * hour slot of the period (hour-of-week or hour-of-day), plus one residual variance per slot (so a busy
 * Monday morning may be noisier than a Sunday night). Fixed memory per series (slots × 3 numbers and two
 * small arrays: about 4.6 KiB for a week), O(1) per point.
 *
 * It gives no verdict for a slot until the series spans `minHistoryMs` and the slot has been seen in two
 * different periods: one week cannot tell a weekly pattern from a one-off.
 */
export class SeasonalBand implements BandEstimator {
  readonly #slots: number;
  readonly #periodMs: number;
  readonly #offset: Float64Array;
  readonly #variance: Float64Array;
  /** Points a slot has learned: its first ones are averaged plainly, then exponentially (below). */
  readonly #points: Uint32Array;
  readonly #lastWeek: Int32Array;
  readonly #weeks: Uint8Array;
  readonly #slotGain: number;
  readonly #levelGain: number;
  readonly #minHistoryMs: number;
  readonly #minWeeks: number;
  #level = 0;
  #first = 0;
  #count = 0;

  constructor(options: SeasonalBandOptions) {
    this.#periodMs = options.periodMs;
    this.#slots = options.periodMs / HOUR_MS;
    this.#offset = new Float64Array(this.#slots);
    this.#variance = new Float64Array(this.#slots);
    this.#points = new Uint32Array(this.#slots);
    this.#lastWeek = new Int32Array(this.#slots);
    this.#weeks = new Uint8Array(this.#slots);
    const pointsPerSlotPeriod = Math.max(1, HOUR_MS / options.stepMs);
    // A slot sees `pointsPerSlotPeriod` points a period; remember about two periods of them.
    this.#slotGain = 1 / (2 * pointsPerSlotPeriod);
    this.#levelGain = 1 - Math.exp(-options.stepMs / options.levelTimeConstantMs);
    this.#minHistoryMs = options.minHistoryMs;
    this.#minWeeks = Math.max(2, Math.ceil(options.minHistoryMs / options.periodMs));
  }

  #slotOf(t: number): number {
    return Math.floor(t / HOUR_MS) % this.#slots;
  }

  get count(): number {
    return this.#count;
  }

  /** Whether the series is long enough for the seasonal profile, whatever the slot. */
  covers(t: number): boolean {
    return this.#count > 0 && t - this.#first >= this.#minHistoryMs;
  }

  estimate(t: number, out: Band): boolean {
    if (!this.covers(t)) return false;
    const slot = this.#slotOf(t);
    if (this.#weeks[slot]! < this.#minWeeks) return false;
    out.centre = this.#level + this.#interpolatedOffset(t, slot);
    out.spread = Math.sqrt(this.#variance[slot]!);
    return true;
  }

  /**
   * A slot's offset is its hour's mean, which is the value at the middle of the hour on a ramp: between
   * two middles the expectation is read off the line joining them, so a steep daily curve does not look
   * like an hourly staircase (whose steps would count as noise and widen the band).
   */
  #interpolatedOffset(t: number, slot: number): number {
    const fraction = (t % HOUR_MS) / HOUR_MS - 0.5;
    const neighbour = (slot + (fraction < 0 ? this.#slots - 1 : 1)) % this.#slots;
    const own = this.#offset[slot]!;
    if (this.#weeks[neighbour]! < this.#minWeeks) return own;
    const share = Math.abs(fraction);
    return own * (1 - share) + this.#offset[neighbour]! * share;
  }

  learn(t: number, value: number): void {
    const slot = this.#slotOf(t);
    const week = Math.floor(t / this.#periodMs);
    if (this.#count === 0) {
      this.#level = value;
      this.#first = t;
    }
    if (this.#weeks[slot] === 0) {
      this.#offset[slot] = value - this.#level;
      this.#lastWeek[slot] = week;
      this.#weeks[slot] = 1;
    } else if (this.#lastWeek[slot] !== week) {
      this.#lastWeek[slot] = week;
      if (this.#weeks[slot]! < 255) this.#weeks[slot]! += 1;
    }
    const offset = this.#offset[slot]!;
    const residual = value - (this.#level + this.#interpolatedOffset(t, slot));
    // A plain mean of the slot's first points (an exponential one would keep the first point's error for
    // weeks), then an exponential one with about two periods of memory.
    const points = (this.#points[slot] = this.#points[slot]! + 1);
    const gain = Math.max(this.#slotGain, 1 / points);
    this.#level += this.#levelGain * (value - offset - this.#level);
    this.#offset[slot] = offset + gain * (value - this.#level - offset);
    const variance = this.#variance[slot]!;
    this.#variance[slot] = variance + gain * (residual * residual - variance);
    this.#count += 1;
  }

  reset(): void {
    this.#offset.fill(0);
    this.#variance.fill(0);
    this.#points.fill(0);
    this.#lastWeek.fill(0);
    this.#weeks.fill(0);
    this.#level = 0;
    this.#first = 0;
    this.#count = 0;
  }
}
