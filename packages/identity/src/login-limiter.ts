import { RateLimitedError } from '@gantry/model';
import type { LoginThrottleRepository } from '@gantry/store';

/** Where the counters live: the database's LoginThrottleRepository (an in-memory one in unit tests). */
export type LoginCounters = Pick<
  LoginThrottleRepository,
  'get' | 'recordFailure' | 'block' | 'clear' | 'prune'
>;

export interface LoginLimits {
  /** Failures allowed for one user name from one source address before that pair is slowed down. */
  freeFailuresPerUserAtSource: number;
  /** Failures allowed from one source address, whatever the user names, before it is slowed down. */
  freeFailuresPerSource: number;
  /** The first delay; each further failure doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A counter whose last failure is older than this starts again. */
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  freeFailuresPerUserAtSource: 10,
  freeFailuresPerSource: 50,
  baseDelayMs: 5_000,
  maxDelayMs: 15 * 60_000,
  windowMs: 15 * 60_000,
};

/**
 * Throttles failed logins per source address and per user name at a source, never per user name alone:
 * someone guessing elsewhere cannot lock a user out, and the right password from a clean source always
 * works. Past the free failures, each failure makes the source wait twice as long as the last (429 with
 * Retry-After, answered before the password is checked). The counters are in the database, so every
 * server shares them (ADR 0010).
 */
export class LoginLimiter {
  constructor(
    private readonly counters: LoginCounters,
    private readonly limits: LoginLimits,
    private readonly now: () => number,
  ) {}

  #keys(username: string, source: string) {
    return {
      pair: { key: `user:${username}@${source}`, free: this.limits.freeFailuresPerUserAtSource },
      source: { key: `source:${source}`, free: this.limits.freeFailuresPerSource },
    };
  }

  /** Throws RateLimitedError while the source, or this user name at this source, must wait. */
  async check(username: string, source: string): Promise<void> {
    const { pair, source: bySource } = this.#keys(username, source);
    const now = this.now();
    const counters = await this.counters.get([pair.key, bySource.key]);
    const until = Math.max(0, ...counters.map((counter) => counter.blockedUntil));
    if (until > now) {
      const retryAfter = Math.max(1, Math.ceil((until - now) / 1000));
      throw new RateLimitedError(
        `too many failed logins from this address; try again in ${retryAfter} s`,
        retryAfter,
      );
    }
  }

  async recordFailure(username: string, source: string): Promise<void> {
    const now = this.now();
    await this.counters.prune(now - this.limits.windowMs);
    for (const { key, free } of Object.values(this.#keys(username, source))) {
      const failures = await this.counters.recordFailure(key, now, this.limits.windowMs);
      if (failures < free) continue;
      const delay = Math.min(
        this.limits.maxDelayMs,
        this.limits.baseDelayMs * 2 ** Math.min(30, failures - free),
      );
      await this.counters.block(key, now + delay);
    }
  }

  /** A success clears this user's count at this source; the source's own count stays. */
  async recordSuccess(username: string, source: string): Promise<void> {
    await this.counters.clear(this.#keys(username, source).pair.key);
  }
}
