import type { Logger } from 'pino';
import type { LeaseRepository } from '@gantry/store';
import type { Clock, Timer } from './clock.ts';

export type LeaseStore = Pick<LeaseRepository, 'tryAcquire' | 'release'>;

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
 * Holds one lease in the database for as long as this server can renew it.
 *
 * Timing, with T the lease duration: the holder renews every T/3 (a failed attempt is retried after T/6);
 * if no renewal has succeeded for 2T/3 since it was sent, the holder steps down on its own, even while the
 * database hangs. Another server may take the lease only T after the last renewal, so the step-down leaves
 * T/3 for in-flight reconciles to finish (and for clock skew between servers) before anyone else starts.
 * Non-holders try every T/3, so a released lease moves within T/3 and a dead holder's within 4T/3.
 */
export class LeaderElector {
  readonly #renewIntervalMs: number;
  readonly #renewDeadlineMs: number;
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
    this.#renewIntervalMs = Math.floor(options.leaseDurationMs / 3);
    this.#renewDeadlineMs = Math.floor((options.leaseDurationMs * 2) / 3);
  }

  /** True only while a renewal younger than the renew deadline says this server holds the lease. */
  isLeader(): boolean {
    return this.#leading && this.options.clock.now() < this.#renewedAt + this.#renewDeadlineMs;
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
    if (acquired && clock.now() < sentAt + this.#renewDeadlineMs) {
      this.#renewedAt = sentAt;
      this.#deadlineTimer?.cancel();
      this.#deadlineTimer = clock.setTimeout(
        () => this.#stepDown('the lease could not be renewed in time'),
        sentAt + this.#renewDeadlineMs - clock.now(),
      );
      if (!this.#leading) this.#startLeading();
    } else if (!acquired && !failed && this.#leading) {
      this.#stepDown('another server holds the lease');
    }
    // An answer that came too late to count is neither: the next attempt renews or steps down.
    const delay = failed && this.#leading ? Math.floor(this.#renewIntervalMs / 2) : this.#renewIntervalMs;
    this.#tickTimer = clock.setTimeout(() => void this.#tick(), delay);
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
