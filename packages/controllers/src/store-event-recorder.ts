import type { Logger } from 'pino';
import type { EventRepository, GantryEventRow } from '@gantry/store';
import type { Clock, Timer } from './clock.ts';
import type { EventRecorder, GantryEvent } from './event-recorder.ts';

export interface StoreEventRecorderOptions {
  events: Pick<EventRepository, 'fold'>;
  clock: Clock;
  logger: Logger;
  /** How long events are gathered before one write (default 200 ms). */
  flushIntervalMs?: number;
  /** After a failed write, how long until the next try (default 5 s). */
  retryIntervalMs?: number;
  /**
   * The most distinct events held while the database does not answer (default 10 000): beyond it the
   * oldest are dropped, counted and logged, so a long outage costs bounded memory.
   */
  maxPending?: number;
}

/**
 * The EventRecorder of a running server: events are folded in memory (same regarded object, type,
 * reason and message → one record with a count) and written in one transaction per interval. Recording
 * never waits and never throws; a failed write is logged and retried with the events kept, up to
 * `maxPending`. `close()` writes what is left.
 */
export class StoreEventRecorder implements EventRecorder {
  readonly #options: Required<Omit<StoreEventRecorderOptions, 'events' | 'clock' | 'logger'>>;
  #pending = new Map<string, GantryEventRow>();
  #timer: Timer | undefined;
  #writes: Promise<void> = Promise.resolve();
  #dropped = 0;
  #closed = false;

  constructor(private readonly deps: StoreEventRecorderOptions) {
    this.#options = {
      flushIntervalMs: deps.flushIntervalMs ?? 200,
      retryIntervalMs: deps.retryIntervalMs ?? 5000,
      maxPending: deps.maxPending ?? 10_000,
    };
  }

  /** Distinct events waiting to be written. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Events dropped since start because the database was away too long. */
  get dropped(): number {
    return this.#dropped;
  }

  record(event: GantryEvent): void {
    const at = new Date(this.deps.clock.now()).toISOString();
    const { regarding } = event;
    const row: GantryEventRow = {
      team: regarding.team,
      cluster: regarding.cluster ? `${regarding.team}/${regarding.cluster}` : '',
      namespace: regarding.namespace ?? '',
      objectKind: regarding.kind,
      objectName: regarding.name,
      type: event.type,
      reason: event.reason,
      message: event.message,
      actor: event.actor,
      count: 1,
      firstSeen: at,
      lastSeen: at,
    };
    this.#add(row);
    if (!this.#closed) this.#schedule(this.#options.flushIntervalMs);
    else void this.flush();
  }

  /** Writes everything recorded so far; resolves when written or the write failed (and was logged). */
  flush(): Promise<void> {
    this.#writes = this.#writes.then(() => this.#write());
    return this.#writes;
  }

  /** Stops the timer and writes what is left (on shutdown, before the store closes). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.flush();
  }

  #add(row: GantryEventRow): void {
    const key = foldKey(row);
    const known = this.#pending.get(key);
    if (known) {
      known.count += row.count;
      if (row.firstSeen < known.firstSeen) known.firstSeen = row.firstSeen;
      if (row.lastSeen >= known.lastSeen) {
        known.lastSeen = row.lastSeen;
        known.actor = row.actor;
      }
      return;
    }
    if (this.#pending.size >= this.#options.maxPending) {
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#pending.delete(oldest);
      if (this.#dropped++ === 0)
        this.deps.logger.warn(
          { maxPending: this.#options.maxPending },
          'events are not being written: dropping the oldest',
        );
    }
    this.#pending.set(key, row);
  }

  #schedule(delayMs: number): void {
    if (this.#timer) return;
    this.#timer = this.deps.clock.setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, delayMs);
  }

  async #write(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await this.deps.events.fold([...batch.values()]);
    } catch (error) {
      this.deps.logger.error({ err: error, events: batch.size }, 'writing events failed; will retry');
      // Put the batch back ahead of what came since, folding repeats, within the bound.
      const since = this.#pending;
      this.#pending = new Map();
      for (const row of [...batch.values(), ...since.values()]) this.#add(row);
      if (!this.#closed) this.#schedule(this.#options.retryIntervalMs);
    }
  }
}

function foldKey(row: GantryEventRow): string {
  return JSON.stringify([
    row.team,
    row.cluster,
    row.namespace,
    row.objectKind,
    row.objectName,
    row.type,
    row.reason,
    row.message,
  ]);
}
