/**
 * Flap detection (Gantry's addition to Alertmanager): an alert that changes between firing and resolved
 * at least `transitions` times within `windowMs` is flapping. A flapping alert is held as firing and
 * reported once with `flapping: true`; it stops flapping when it has kept one state for `quietMs`, and
 * from then on its real state is notified (a resolve included).
 */
export interface FlapOptions {
  /** State changes within the window that make an alert flap; 0 turns detection off. Default 6 (three fire/resolve cycles). */
  transitions: number;
  /** Default 30 minutes. */
  windowMs: number;
  /** How long a flapping alert must keep one state to settle. Default 10 minutes. */
  quietMs: number;
}

export const FLAP_DEFAULTS: FlapOptions = { transitions: 6, windowMs: 30 * 60_000, quietMs: 10 * 60_000 };

/** What a history is worth keeping across a leader change (FlapStateStore). */
export interface FlapSnapshot {
  status: 'firing' | 'resolved';
  /** Times (ms) of the transitions within the window. */
  changes: number[];
  flapping: boolean;
}

interface History extends FlapSnapshot {
  /** The status and time of the first observation in this tracker's life (to merge a restored history). */
  firstStatus: 'firing' | 'resolved';
  since: number;
}

/**
 * An alert seen in one status only so far, as one number: `since * 2`, plus 1 when resolved. Nearly every
 * alert is one of these; a History object (with its array) is made at its first transition. With 100,000
 * alerts held that is about 10 MB less heap.
 */
type Settled = number;

const settled = (status: 'firing' | 'resolved', since: number): Settled =>
  since * 2 + (status === 'resolved' ? 1 : 0);

const settledStatus = (value: Settled): 'firing' | 'resolved' =>
  Math.abs(value % 2) === 1 ? 'resolved' : 'firing';

function expand(value: History | Settled): History {
  if (typeof value !== 'number') return value;
  const status = settledStatus(value);
  const since = (value - (status === 'resolved' ? 1 : 0)) / 2;
  return { status, changes: [], flapping: false, firstStatus: status, since };
}

export class FlapTracker {
  readonly #histories = new Map<string, History | Settled>();
  readonly #onChange: ((fingerprint: string, snapshot: FlapSnapshot, at: number) => void) | undefined;

  /** `onChange` hears every transition and every settling (what a FlapStateStore saves). */
  constructor(
    private readonly options: FlapOptions,
    onChange?: (fingerprint: string, snapshot: FlapSnapshot, at: number) => void,
  ) {
    this.#onChange = onChange;
  }

  /** Records the status seen at `at`; a change of status counts as a transition. */
  observe(fingerprint: string, status: 'firing' | 'resolved', at: number): void {
    const held = this.#histories.get(fingerprint);
    if (held === undefined) {
      this.#histories.set(fingerprint, settled(status, at));
      return;
    }
    if (typeof held === 'number' ? settledStatus(held) === status : held.status === status) return;
    const history = expand(held);
    if (history !== held) this.#histories.set(fingerprint, history);
    history.status = status;
    history.changes.push(at);
    this.#prune(history, at);
    if (this.options.transitions > 0 && history.changes.length >= this.options.transitions) {
      history.flapping = true;
    }
    this.#onChange?.(fingerprint, snapshot(history), at);
  }

  /** Whether the alert flaps at `now` (settling it when it has been quiet long enough). */
  isFlapping(fingerprint: string, now: number): boolean {
    const history = this.#histories.get(fingerprint);
    if (history === undefined || typeof history === 'number' || !history.flapping) return false;
    const last = history.changes.at(-1) ?? 0;
    if (now - last >= this.options.quietMs) {
      history.flapping = false;
      history.changes = [];
      this.#onChange?.(fingerprint, snapshot(history), now);
      return false;
    }
    return true;
  }

  /**
   * Takes a history saved by a previous leader. Observations made here before it was read are laid over
   * it: their first status is a transition if it differs from the saved one.
   */
  restore(fingerprint: string, saved: FlapSnapshot, now: number): void {
    const stored = this.#histories.get(fingerprint);
    const held = stored === undefined ? undefined : expand(stored);
    const history: History = held
      ? {
          status: held.status,
          // A set: a transition of this term may already be in what was saved.
          changes: [
            ...new Set([
              ...saved.changes,
              ...(saved.status !== held.firstStatus ? [held.since] : []),
              ...held.changes,
            ]),
          ].sort((a, b) => a - b),
          flapping: saved.flapping || held.flapping,
          firstStatus: saved.status,
          since: held.since,
        }
      : { ...saved, changes: [...saved.changes], firstStatus: saved.status, since: now };
    this.#prune(history, now);
    if (this.options.transitions > 0 && history.changes.length >= this.options.transitions)
      history.flapping = true;
    this.#histories.set(fingerprint, history);
  }

  /** The alert's history now, if one is kept. */
  snapshot(fingerprint: string): FlapSnapshot | undefined {
    const history = this.#histories.get(fingerprint);
    return history === undefined ? undefined : snapshot(expand(history));
  }

  /** Forgets histories with no change within the window that are not flapping. */
  sweep(now: number): void {
    for (const [fingerprint, history] of this.#histories) {
      if (typeof history === 'number') {
        this.#histories.delete(fingerprint);
        continue;
      }
      this.#prune(history, now);
      if (!history.flapping && history.changes.length === 0) this.#histories.delete(fingerprint);
    }
  }

  #prune(history: History, now: number): void {
    const from = now - this.options.windowMs;
    while (history.changes.length > 0 && history.changes[0]! < from) history.changes.shift();
  }
}

function snapshot(history: History): FlapSnapshot {
  return { status: history.status, changes: [...history.changes], flapping: history.flapping };
}

/** A saved flap history of one alert. */
export interface FlapRecord extends FlapSnapshot {
  team: string;
  fingerprint: string;
  /** When it last changed (ms): a record older than the window and the quiet time is worth nothing. */
  updatedAt: number;
}

/**
 * Where the dispatcher keeps flap histories so that a new leader (a restart, a failover) goes on counting
 * (the store's AlertDispatchRepository, table `alert_flap_state`).
 */
export interface FlapStateStore {
  listFlaps(team: string): Promise<FlapRecord[]>;
  /** Creates or replaces the record of (team, fingerprint). */
  saveFlap(record: FlapRecord): Promise<void>;
  /** Forgets records last changed before `before`; answers how many. */
  purgeFlaps(before: number): Promise<number>;
}

/** Flap histories in memory: for tests. */
export class MemoryFlapStateStore implements FlapStateStore {
  readonly #records = new Map<string, FlapRecord>();

  listFlaps(team: string): Promise<FlapRecord[]> {
    return Promise.resolve(
      [...this.#records.values()].filter((r) => r.team === team).map((r) => structuredClone(r)),
    );
  }

  saveFlap(record: FlapRecord): Promise<void> {
    this.#records.set(`${record.team}\u0000${record.fingerprint}`, structuredClone(record));
    return Promise.resolve();
  }

  purgeFlaps(before: number): Promise<number> {
    let purged = 0;
    for (const [key, record] of this.#records)
      if (record.updatedAt < before) {
        this.#records.delete(key);
        purged++;
      }
    return Promise.resolve(purged);
  }
}
