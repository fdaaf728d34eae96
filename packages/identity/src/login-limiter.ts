import { RateLimitedError } from '@gantry/model';

export interface LoginLimits {
  /** Failed attempts allowed per window, per user name and per source address. */
  maxFailuresPerUser: number;
  maxFailuresPerSource: number;
  windowMs: number;
}

/**
 * Counts failed logins in a sliding window, per user name and per source address, and refuses further
 * attempts until the oldest failure leaves the window. In memory: each server limits on its own.
 */
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly limits: LoginLimits,
    private readonly now: () => number,
  ) {}

  check(username: string, source: string): void {
    this.#check(`user:${username}`, this.limits.maxFailuresPerUser);
    this.#check(`source:${source}`, this.limits.maxFailuresPerSource);
  }

  recordFailure(username: string, source: string): void {
    for (const key of [`user:${username}`, `source:${source}`]) {
      const list = this.#recent(key);
      list.push(this.now());
      this.#failures.set(key, list);
    }
  }

  recordSuccess(username: string): void {
    this.#failures.delete(`user:${username}`);
  }

  #recent(key: string): number[] {
    const cutoff = this.now() - this.limits.windowMs;
    const list = (this.#failures.get(key) ?? []).filter((at) => at > cutoff);
    if (list.length === 0) this.#failures.delete(key);
    return list;
  }

  #check(key: string, max: number): void {
    const list = this.#recent(key);
    if (list.length >= max) {
      const retryAfter = Math.max(1, Math.ceil((list[0]! + this.limits.windowMs - this.now()) / 1000));
      throw new RateLimitedError(`too many failed logins; try again in ${retryAfter} s`, retryAfter);
    }
  }
}
