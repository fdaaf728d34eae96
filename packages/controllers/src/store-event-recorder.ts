import type { Logger } from 'pino';
import { isFencedWriteRefused, type EventRepository, type GantryEventRow } from '@gantry/store';
import type { Clock, Timer } from './clock.ts';
import type { EventRecorder, EventTerm, GantryEvent } from './event-recorder.ts';

/** An event waiting to be written, with the term it was recorded in (if any). */
interface PendingEvent {
  row: GantryEventRow;
  term: EventTerm | undefined;
}

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
 *
 * An event recorded in a leader's term (`record(event, term)`) is written with the term's fence, in a
 * transaction of its term's events (ADR 0028): once another server took the lease, the store refuses them,
 * they are dropped (not retried) and the refusal is handed to the term (`term.refused`), which counts it,
 * logs it once and ends the term. Events of different terms never fold into one record before the write.
 */
export class StoreEventRecorder implements EventRecorder {
  readonly #options: Required<Omit<StoreEventRecorderOptions, 'events' | 'clock' | 'logger'>>;
  #pending = new Map<string, PendingEvent>();
  #timer: Timer | undefined;
  #writes: Promise<void> = Promise.resolve();
  #dropped = 0;
  #closed = false;
  readonly #refusedTerms = new WeakSet<EventTerm>();

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

  record(event: GantryEvent, term?: EventTerm): void {
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
    this.#add({ row, term: term?.fence ? term : undefined });
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

  #add(event: PendingEvent): void {
    const { row } = event;
    const key = foldKey(event);
    const known = this.#pending.get(key)?.row;
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
    this.#pending.set(key, event);
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
    // One transaction per term (and one for the events of no term), each checked against its own fence.
    const groups = new Map<EventTerm | undefined, GantryEventRow[]>();
    for (const { row, term } of batch.values()) {
      const rows = groups.get(term);
      if (rows) rows.push(row);
      else groups.set(term, [row]);
    }
    const failed: PendingEvent[] = [];
    for (const [term, rows] of groups) {
      try {
        await this.deps.events.fold(rows, term?.fence);
      } catch (error) {
        if (term && isFencedWriteRefused(error)) {
          // The term is over: its events describe what a deposed leader did; never retried.
          this.deps.logger.debug({ err: error, events: rows.length }, "a term's events were refused");
          if (term.refused) term.refused(error);
          else this.#refusedWithoutOwner(term, error);
          continue;
        }
        this.deps.logger.error({ err: error, events: rows.length }, 'writing events failed; will retry');
        for (const row of rows) failed.push({ row, term });
      }
    }
    if (failed.length === 0) return;
    // Put the failed events back ahead of what came since, folding repeats, within the bound.
    const since = this.#pending;
    this.#pending = new Map();
    for (const event of [...failed, ...since.values()]) this.#add(event);
    if (!this.#closed) this.#schedule(this.#options.retryIntervalMs);
  }

  /** A refusal for a term with nobody to hand it to: logged once per term. */
  #refusedWithoutOwner(term: EventTerm, error: unknown): void {
    if (this.#refusedTerms.has(term)) return;
    this.#refusedTerms.add(term);
    this.deps.logger.warn({ err: error }, 'events recorded in a term that is over were refused');
  }
}

function foldKey({ row, term }: PendingEvent): string {
  const fence = term?.fence;
  return JSON.stringify([
    fence ? [fence.lease, fence.holder, fence.transitions] : null,
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
