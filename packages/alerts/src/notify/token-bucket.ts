/**
 * A token bucket on an injected clock: `burst` tokens, refilled at `perMinute`. `take` spends a token if
 * there is one; otherwise `readyAt` says when the next one will be there. Nothing is dropped: a caller
 * that finds the bucket empty leaves its notification queued until then.
 */
export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private perMinute: number,
    private burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  /** Applies a changed policy, keeping the tokens already earned (up to the new burst). */
  configure(perMinute: number, burst: number, now: number): void {
    if (perMinute === this.perMinute && burst === this.burst) return;
    this.#refill(now);
    this.perMinute = perMinute;
    this.burst = burst;
    this.#tokens = Math.min(this.#tokens, burst);
  }

  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** When a token will be available (now if one is). */
  readyAt(now: number): number {
    this.#refill(now);
    if (this.#tokens >= 1) return now;
    return now + Math.ceil(((1 - this.#tokens) * 60_000) / this.perMinute);
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.perMinute) / 60_000);
    this.#updatedAt = now;
  }
}
