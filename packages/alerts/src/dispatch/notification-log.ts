/**
 * What each group last sent to each receiver: the state behind group_interval and repeat_interval
 * deduplication and behind "a resolve is always delivered". It survives restarts and leader changes
 * (the store's AlertDispatchRepository implements it on SQLite and PostgreSQL).
 */
export interface NotificationLogEntry {
  team: string;
  groupKey: string;
  receiver: string;
  /** Increases by one with every notification sent for this group and receiver. */
  sequence: number;
  /** Fingerprints the last notification reported firing, and resolved. */
  firing: string[];
  resolved: string[];
  /** Fingerprints reported flapping by the last notification. */
  flapping: string[];
  /** Fingerprints the receiver was told fire and has not been told resolved (silenced ones included). */
  owed: string[];
  /** When the last notification was sent (ms). */
  sentAt: number;
  /** After this the entry may be forgotten (ms). */
  expiresAt: number;
}

export interface NotificationLog {
  /** Every entry of a team, read when a dispatcher starts leading. */
  list(team: string): Promise<NotificationLogEntry[]>;
  /** Creates or replaces the entry of (team, groupKey, receiver). */
  record(entry: NotificationLogEntry): Promise<void>;
  /** Forgets entries whose `expiresAt` has passed; answers how many. */
  purge(now: number): Promise<number>;
}

/** The notification log in memory: for tests and a single server without a database. */
export class MemoryNotificationLog implements NotificationLog {
  readonly #entries = new Map<string, NotificationLogEntry>();

  list(team: string): Promise<NotificationLogEntry[]> {
    return Promise.resolve(
      [...this.#entries.values()]
        .filter((entry) => entry.team === team)
        .map((entry) => structuredClone(entry)),
    );
  }

  record(entry: NotificationLogEntry): Promise<void> {
    this.#entries.set(`${entry.team}\u0000${entry.groupKey}\u0000${entry.receiver}`, structuredClone(entry));
    return Promise.resolve();
  }

  purge(now: number): Promise<number> {
    let purged = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
        purged++;
      }
    }
    return Promise.resolve(purged);
  }
}
