import type { Clock, Timer } from '@gantry/controllers';
import type { NotificationRepository } from '@gantry/store';

export interface NotificationRetentionDependencies {
  outbox: Pick<NotificationRepository, 'deleteFinishedBefore'>;
  clock: Clock;
  /** Called when a pass fails; the next pass runs at the next interval. */
  onError?: (error: unknown) => void;
  /** Called after a pass that deleted rows, with how many. */
  onDeleted?: (count: number) => void;
}

export interface NotificationRetentionOptions {
  /** How long a delivered, failed or superseded notification and its attempts are kept after it last changed. */
  retentionMs: number;
  /** How often a pass runs. Default 10 minutes. */
  intervalMs: number;
  /** Rows deleted per transaction, so a pass never holds the database for long. Default 1,000. */
  batchSize: number;
}

export const defaultNotificationRetentionOptions: NotificationRetentionOptions = {
  retentionMs: 7 * 24 * 3_600_000,
  intervalMs: 10 * 60_000,
  batchSize: 1_000,
};

/**
 * The outbox's retention (ADR 0014): finished notifications and their delivery log older than the
 * retention are deleted in batches. Pending and sending rows are never touched, whatever their age. It runs
 * on one server (the alert dispatch leader's term starts and stops it); two running at once would only
 * delete the same rows twice, which is harmless.
 */
export class NotificationRetention {
  readonly #deps: NotificationRetentionDependencies;
  readonly #options: NotificationRetentionOptions;
  #timer: Timer | undefined;
  #running: Promise<number> | undefined;
  #started = false;
  #stopping = false;

  constructor(deps: NotificationRetentionDependencies, options: Partial<NotificationRetentionOptions> = {}) {
    this.#deps = deps;
    this.#options = { ...defaultNotificationRetentionOptions, ...options };
  }

  /** Runs a pass now and then every interval. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#stopping = false;
    this.#schedule(0);
  }

  /** Stops the passes; waits for the one running (it ends after its current batch). */
  async stop(): Promise<void> {
    this.#started = false;
    this.#stopping = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One pass: batches until one deletes fewer than the batch size (or the loop was stopped); answers the total. */
  async runOnce(): Promise<number> {
    const before = new Date(this.#deps.clock.now() - this.#options.retentionMs).toISOString();
    let total = 0;
    for (;;) {
      const deleted = await this.#deps.outbox.deleteFinishedBefore(before, this.#options.batchSize);
      total += deleted;
      if (deleted < this.#options.batchSize || this.#stopping) break;
    }
    if (total > 0) this.#deps.onDeleted?.(total);
    return total;
  }

  #schedule(delayMs: number): void {
    this.#timer = this.#deps.clock.setTimeout(() => {
      this.#running = this.runOnce();
      void this.#running
        .catch((error: unknown) => this.#deps.onError?.(error))
        .finally(() => {
          this.#running = undefined;
          if (this.#started) this.#schedule(this.#options.intervalMs);
        });
    }, delayMs);
  }
}
