export interface BackoffOptions {
  /** Delay after the first failure. */
  baseMs: number;
  /** The delay never grows past this. */
  maxMs: number;
}

/**
 * Exponential backoff per key: the n-th consecutive failure of a key waits `baseMs * 2^(n-1)`, capped at
 * `maxMs`; `forget` after a success starts the key over.
 */
export class PerKeyBackoff {
  readonly #failures = new Map<string, number>();

  constructor(private readonly options: BackoffOptions) {}

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  next(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2^failures overflows to Infinity long after the cap applies, so Math.min keeps it finite.
    return Math.min(this.options.maxMs, this.options.baseMs * 2 ** failures);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}
