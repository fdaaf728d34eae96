import type { Logger } from 'pino';
import type { LeaseRepository } from '@gantry/store';
import type { Clock, Timer } from './clock.ts';

/** `get`, when given, lets a non-holder wake up when the lease it saw expires instead of polling for it. */
export type LeaseStore = Pick<LeaseRepository, 'tryAcquire' | 'release'> &
  Partial<Pick<LeaseRepository, 'get'>>;

/** What follows from the lease duration T (ADR 0029). */
export interface LeaseTimings {
  /** The holder renews this often: T/4. */
  renewIntervalMs: number;
  /** A holder's failed renewal is retried after T/8. */
  retryMs: number;
  /** A holder whose last successful renewal was sent this long ago steps down: 3T/4. */
  renewDeadlineMs: number;
  /** A non-holder tries this long after the lease it read expires: T/40, at least 50 ms. */
  takeoverMarginMs: number;
}

export function leaseTimings(leaseDurationMs: number): LeaseTimings {
  return {
    renewIntervalMs: Math.floor(leaseDurationMs / 4),
    retryMs: Math.floor(leaseDurationMs / 8),
    renewDeadlineMs: Math.floor((leaseDurationMs * 3) / 4),
    takeoverMarginMs: Math.max(50, Math.floor(leaseDurationMs / 40)),
  };
}

export interface LeaderElectionOptions {
  leaseName: string;
  /** This server's name in the lease. */
  holder: string;
  /** How long the lease lasts without renewal: the failover time when a holder dies. */
  leaseDurationMs: number;
  clock: Clock;
  logger: Logger;
  /** Called when this server becomes the holder (after any previous `onStoppedLeading` has finished). */
  onStartedLeading: () => void | Promise<void>;
  /** Called when it stops being the holder; must resolve only once no work of the term is running. */
  onStoppedLeading: (reason: string) => void | Promise<void>;
}

/**
 * How long a server that was refused `leaseName` waits before trying again (ADR 0029): until the lease it
 * reads expires, plus the margin, or T/4 if that is sooner (a holder that renews pushes the expiry on; one
 * that releases sets it to 0). Without `leases.get`, T/4. For loops that take a lease at their own tick.
 */
export async function untilLeaseExpiry(
  leases: LeaseStore,
  leaseName: string,
  clock: Pick<Clock, 'now'>,
  timings: LeaseTimings,
): Promise<number> {
  const { renewIntervalMs, takeoverMarginMs } = timings;
  if (!leases.get) return renewIntervalMs;
  const lease = await leases.get(leaseName);
  if (!lease) return takeoverMarginMs;
  const untilExpiry = lease.expiresAt + takeoverMarginMs - clock.now();
  return Math.min(renewIntervalMs, Math.max(takeoverMarginMs, untilExpiry));
}

/**
 * Holds one lease in the database for as long as this server can renew it.
 *
 * Timing, with T the lease duration (`leaseTimings`, ADR 0029): the holder renews every T/4 (a failed
 * attempt is retried after T/8); if no renewal has succeeded for 3T/4 since it was sent, the holder steps
 * down on its own, even while the database hangs. Another server may take the lease only T after the last
 * renewal, so the step-down leaves T/4 for in-flight reconciles to finish (and for clock skew between
 * servers) before anyone else starts. A non-holder reads the lease after a refused attempt and tries again
 * when it expires (plus T/40), or after T/4 if that is sooner: a released lease moves within T/4 and a dead
 * holder's within T + T/40 of its last renewal, so within T + T/40 of its death.
 */
export class LeaderElector {
  readonly #timings: LeaseTimings;
  #leading = false;
  /** When the last successful renewal was sent. */
  #renewedAt = 0;
  #mayHold = false;
  #stopped = true;
  #tickTimer: Timer | undefined;
  #deadlineTimer: Timer | undefined;
  #ticking: Promise<void> | undefined;
  /** Start and stop callbacks run one after another, never overlapping. */
  #transitions: Promise<void> = Promise.resolve();

  constructor(
    private readonly leases: LeaseStore,
    private readonly options: LeaderElectionOptions,
  ) {
    this.#timings = leaseTimings(options.leaseDurationMs);
  }

  /** True only while a renewal younger than the renew deadline says this server holds the lease. */
  isLeader(): boolean {
    return this.#leading && this.options.clock.now() < this.#renewedAt + this.#timings.renewDeadlineMs;
  }

  /** Starts campaigning; resolves after the first attempt (so a lone server leads once this resolves). */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    await this.#tick();
  }

  /** Stops campaigning, waits for the current term's work to end, then releases the lease for the next holder. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#tickTimer?.cancel();
    await this.#ticking;
    if (this.#leading) this.#stepDown('shutting down');
    await this.#transitions;
    if (this.#mayHold) {
      try {
        await this.leases.release(this.options.leaseName, this.options.holder);
      } catch (error) {
        this.options.logger.warn(
          { err: error, lease: this.options.leaseName },
          'could not release the lease; the next holder waits for it to expire',
        );
      }
    }
  }

  #tick(): Promise<void> {
    this.#tickTimer = undefined;
    const ticking = this.#attempt().finally(() => {
      this.#ticking = undefined;
    });
    this.#ticking = ticking;
    return ticking;
  }

  async #attempt(): Promise<void> {
    const { clock, leaseName, holder, leaseDurationMs, logger } = this.options;
    const sentAt = clock.now();
    let acquired = false;
    let failed = false;
    try {
      acquired = await this.leases.tryAcquire(leaseName, holder, leaseDurationMs, sentAt);
    } catch (error) {
      failed = true;
      logger.warn({ err: error, lease: leaseName }, 'lease attempt failed');
    }
    if (acquired) this.#mayHold = true;
    if (this.#stopped) return;
    const { renewDeadlineMs, renewIntervalMs, retryMs } = this.#timings;
    if (acquired && clock.now() < sentAt + renewDeadlineMs) {
      this.#renewedAt = sentAt;
      this.#deadlineTimer?.cancel();
      this.#deadlineTimer = clock.setTimeout(
        () => this.#stepDown('the lease could not be renewed in time'),
        sentAt + renewDeadlineMs - clock.now(),
      );
      if (!this.#leading) this.#startLeading();
    } else if (!acquired && !failed && this.#leading) {
      this.#stepDown('another server holds the lease');
    }
    // An answer that came too late to count is neither: the next attempt renews or steps down.
    const delay =
      failed && this.#leading ? retryMs : !acquired && !failed ? await this.#untilExpiry() : renewIntervalMs;
    if (this.#stopped) return;
    this.#tickTimer = clock.setTimeout(() => void this.#tick(), delay);
  }

  /**
   * A non-holder's wait before its next attempt: until the lease it reads expires plus a margin, or T/4 if
   * that is sooner (a holder that renews pushes the expiry on; one that releases sets it to 0).
   */
  async #untilExpiry(): Promise<number> {
    const { clock, leaseName, logger } = this.options;
    try {
      return await untilLeaseExpiry(this.leases, leaseName, clock, this.#timings);
    } catch (error) {
      logger.warn({ err: error, lease: leaseName }, 'lease read failed');
      return this.#timings.renewIntervalMs;
    }
  }

  #startLeading(): void {
    this.#leading = true;
    this.options.logger.info(
      { lease: this.options.leaseName, holder: this.options.holder },
      'acquired the lease: leading',
    );
    this.#transition(() => this.options.onStartedLeading());
  }

  #stepDown(reason: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#deadlineTimer?.cancel();
    this.#deadlineTimer = undefined;
    // Shutting down is routine; any other step-down means this server lost the database or the lease.
    this.options.logger[this.#stopped ? 'info' : 'warn'](
      { lease: this.options.leaseName, holder: this.options.holder, reason },
      'stopped leading',
    );
    this.#transition(() => this.options.onStoppedLeading(reason));
  }

  #transition(step: () => void | Promise<void>): void {
    this.#transitions = this.#transitions.then(step).catch((error: unknown) => {
      this.options.logger.error(
        { err: error, lease: this.options.leaseName },
        'leadership transition failed',
      );
    });
  }
}
