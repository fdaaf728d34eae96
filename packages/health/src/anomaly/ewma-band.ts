import type { Band, BandEstimator } from './band.ts';

/**
 * Exponentially weighted mean and variance (West's incremental form): two numbers per series, O(1) per
 * point. `span` is the window it resembles: α = 2 / (span + 1), so the last `span` points carry about
 * 86 % of the weight. Follows trends and level shifts within a few spans; blind to seasonality.
 */
export class EwmaBand implements BandEstimator {
  readonly #alpha: number;
  #mean = 0;
  #variance = 0;
  #count = 0;

  constructor(span: number) {
    if (!(span >= 1)) throw new RangeError(`span must be at least 1, got ${span}`);
    this.#alpha = 2 / (span + 1);
  }

  get count(): number {
    return this.#count;
  }

  estimate(_t: number, out: Band): boolean {
    if (this.#count === 0) return false;
    out.centre = this.#mean;
    out.spread = Math.sqrt(this.#variance);
    return true;
  }

  learn(_t: number, value: number): void {
    if (this.#count === 0) {
      this.#mean = value;
      this.#variance = 0;
    } else {
      const diff = value - this.#mean;
      const increment = this.#alpha * diff;
      this.#mean += increment;
      this.#variance = (1 - this.#alpha) * (this.#variance + diff * increment);
    }
    this.#count += 1;
  }

  reset(): void {
    this.#mean = 0;
    this.#variance = 0;
    this.#count = 0;
  }
}
