import type { Band, BandEstimator } from './band.ts';

/** MAD × 1.4826 estimates the standard deviation of normally distributed noise. */
export const MAD_TO_SIGMA = 1.4826;

/**
 * Rolling median and median absolute deviation over the last `window` points: robust to the outliers it
 * is looking for (up to half the window can be spikes before the band moves). Kept as a ring (arrival
 * order) plus a sorted copy updated by insertion, so a point costs O(window) with no allocation; the MAD
 * is read off the sorted copy by merging the distances on each side of the median, also O(window).
 */
export class MadBand implements BandEstimator {
  readonly #ring: Float64Array;
  readonly #sorted: Float64Array;
  #head = 0;
  #size = 0;
  #count = 0;

  constructor(readonly window: number) {
    if (!Number.isInteger(window) || window < 3) throw new RangeError(`window must be ≥ 3, got ${window}`);
    this.#ring = new Float64Array(window);
    this.#sorted = new Float64Array(window);
  }

  get count(): number {
    return this.#count;
  }

  estimate(_t: number, out: Band): boolean {
    if (this.#size === 0) return false;
    const median = this.#median();
    out.centre = median;
    out.spread = MAD_TO_SIGMA * this.#mad(median);
    return true;
  }

  learn(_t: number, value: number): void {
    const sorted = this.#sorted;
    let size = this.#size;
    if (size === this.window) {
      // Remove the oldest value from the sorted copy.
      const oldest = this.#ring[this.#head]!;
      let at = lowerBound(sorted, size, oldest);
      for (; at < size - 1; at++) sorted[at] = sorted[at + 1]!;
      size -= 1;
    }
    let at = size;
    while (at > 0 && sorted[at - 1]! > value) {
      sorted[at] = sorted[at - 1]!;
      at -= 1;
    }
    sorted[at] = value;
    this.#size = size + 1;
    this.#ring[this.#head] = value;
    this.#head = (this.#head + 1) % this.window;
    this.#count += 1;
  }

  reset(): void {
    this.#head = 0;
    this.#size = 0;
    this.#count = 0;
  }

  #median(): number {
    const n = this.#size;
    const s = this.#sorted;
    const mid = n >> 1;
    return n % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  }

  /** The median of |x - median| over the window: a merge of the two sorted runs of distances. */
  #mad(median: number): number {
    const n = this.#size;
    const s = this.#sorted;
    // Distances grow leftwards from `left` and rightwards from `right`.
    let right = lowerBound(s, n, median);
    let left = right - 1;
    const wanted = n >> 1; // index of the upper median of the distances
    let previous = 0;
    let current = 0;
    for (let i = 0; i <= wanted; i++) {
      const leftDistance = left >= 0 ? median - s[left]! : Infinity;
      const rightDistance = right < n ? s[right]! - median : Infinity;
      previous = current;
      if (leftDistance <= rightDistance) {
        current = leftDistance;
        left -= 1;
      } else {
        current = rightDistance;
        right += 1;
      }
    }
    return n % 2 === 1 ? current : (previous + current) / 2;
  }
}

/** The first index in sorted[0..size) whose value is ≥ value. */
function lowerBound(sorted: Float64Array, size: number, value: number): number {
  let low = 0;
  let high = size;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
