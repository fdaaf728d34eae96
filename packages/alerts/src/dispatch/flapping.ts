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

interface History {
  status: 'firing' | 'resolved';
  changes: number[];
  flapping: boolean;
}

export class FlapTracker {
  readonly #histories = new Map<string, History>();

  constructor(private readonly options: FlapOptions) {}

  /** Records the status seen at `at`; a change of status counts as a transition. */
  observe(fingerprint: string, status: 'firing' | 'resolved', at: number): void {
    const history = this.#histories.get(fingerprint);
    if (!history) {
      this.#histories.set(fingerprint, { status, changes: [], flapping: false });
      return;
    }
    if (history.status === status) return;
    history.status = status;
    history.changes.push(at);
    this.#prune(history, at);
    if (this.options.transitions > 0 && history.changes.length >= this.options.transitions) {
      history.flapping = true;
    }
  }

  /** Whether the alert flaps at `now` (settling it when it has been quiet long enough). */
  isFlapping(fingerprint: string, now: number): boolean {
    const history = this.#histories.get(fingerprint);
    if (!history?.flapping) return false;
    const last = history.changes.at(-1) ?? 0;
    if (now - last >= this.options.quietMs) {
      history.flapping = false;
      history.changes = [];
      return false;
    }
    return true;
  }

  /** Forgets histories with no change within the window that are not flapping. */
  sweep(now: number): void {
    for (const [fingerprint, history] of this.#histories) {
      this.#prune(history, now);
      if (!history.flapping && history.changes.length === 0) this.#histories.delete(fingerprint);
    }
  }

  #prune(history: History, now: number): void {
    const from = now - this.options.windowMs;
    while (history.changes.length > 0 && history.changes[0]! < from) history.changes.shift();
  }
}
