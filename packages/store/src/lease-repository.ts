import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface Lease {
  name: string;
  holder: string;
  expiresAt: number;
  renewedAt: number;
  transitions: number;
}

/**
 * Leases in the database: a holder keeps a lease by renewing it before it expires; anyone may take an
 * expired one. Each step is one conditional statement, so two servers never both believe they hold it.
 */
export class LeaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Acquires or renews `name` for `holder` until `now + ttlMs`; true when `holder` holds it afterwards. */
  async tryAcquire(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    const expiresAt = now + ttlMs;
    const renewed = await this.db
      .updateTable('leases')
      .set({ expires_at: expiresAt, renewed_at: now })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .executeTakeFirst();
    if (Number(renewed.numUpdatedRows) === 1) return true;
    const taken = await this.db
      .updateTable('leases')
      .set((eb) => ({
        holder,
        expires_at: expiresAt,
        renewed_at: now,
        transitions: eb('transitions', '+', 1),
      }))
      .where('name', '=', name)
      .where('expires_at', '<', now)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) === 1) return true;
    const inserted = await this.db
      .insertInto('leases')
      .values({ name, holder, expires_at: expiresAt, renewed_at: now, transitions: 0 })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** Gives the lease up early so another server can take it at once. */
  async release(name: string, holder: string): Promise<void> {
    await this.db
      .updateTable('leases')
      .set({ expires_at: 0 })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .execute();
  }

  async get(name: string): Promise<Lease | undefined> {
    const row = await this.db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
    return row
      ? {
          name: row.name,
          holder: row.holder,
          expiresAt: Number(row.expires_at),
          renewedAt: Number(row.renewed_at),
          transitions: row.transitions,
        }
      : undefined;
  }

  async list(): Promise<Lease[]> {
    const rows = await this.db.selectFrom('leases').selectAll().orderBy('name').execute();
    return rows.map((row) => ({
      name: row.name,
      holder: row.holder,
      expiresAt: Number(row.expires_at),
      renewedAt: Number(row.renewed_at),
      transitions: row.transitions,
    }));
  }
}
