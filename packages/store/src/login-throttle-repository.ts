import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface ThrottleCounter {
  key: string;
  failures: number;
  /** Milliseconds since the epoch. */
  lastFailureAt: number;
  blockedUntil: number;
}

/** Failed-login counters shared by every server; each change is one statement, safe under concurrency. */
export class LoginThrottleRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(keys: readonly string[]): Promise<ThrottleCounter[]> {
    if (keys.length === 0) return [];
    const rows = await this.db.selectFrom('login_throttle').selectAll().where('key', 'in', keys).execute();
    return rows.map((row) => ({
      key: row.key,
      failures: Number(row.failures),
      lastFailureAt: Number(row.last_failure_at),
      blockedUntil: Number(row.blocked_until),
    }));
  }

  /**
   * Counts one failure of `key` at `now` and answers the count; a count whose last failure is older than
   * `windowMs` starts again at 1.
   */
  async recordFailure(key: string, now: number, windowMs: number): Promise<number> {
    await this.db
      .insertInto('login_throttle')
      .values({ key, failures: 1, last_failure_at: now, blocked_until: 0 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql<number>`case when login_throttle.last_failure_at < ${now - windowMs} then 1 else login_throttle.failures + 1 end`,
          last_failure_at: now,
        }),
      )
      .execute();
    const [counter] = await this.get([key]);
    return counter?.failures ?? 1;
  }

  /** Refuses `key` until `until`, or later if it already is. */
  async block(key: string, until: number): Promise<void> {
    await this.db
      .updateTable('login_throttle')
      .set({ blocked_until: until })
      .where('key', '=', key)
      .where('blocked_until', '<', until)
      .execute();
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('key', '=', key).execute();
  }

  /** Forgets counters that are neither recent nor blocking. */
  async prune(olderThan: number): Promise<void> {
    await this.db
      .deleteFrom('login_throttle')
      .where('last_failure_at', '<', olderThan)
      .where('blocked_until', '<', olderThan)
      .execute();
  }
}
