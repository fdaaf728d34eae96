import { sql, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from './dialect.ts';
import type { Database } from './schema.ts';

/** An entity an actuator outside Changes has out now (ADR 0033). */
export interface StoredDisruptionHold {
  team: string;
  entityKind: string;
  entity: string;
  holder: string;
  acquiredAt: string;
  expiresAt: string;
}

/** What `acquireIf` did: inserted the hold, or found the live holds other than the caller counted. */
export type HoldAttempt = { ok: true } | { ok: false; live: StoredDisruptionHold[] };

/** A hold's identity among the team's: `entityKind/entity`. */
export function holdKey(hold: Pick<StoredDisruptionHold, 'entityKind' | 'entity'>): string {
  return `${hold.entityKind}/${hold.entity}`;
}

/**
 * The holds table. `acquireIf` is optimistic: the caller counts the team's live holds (with whatever else
 * it counts, read outside any transaction) and asks to insert its hold only if the live holds are still
 * those it counted; one transaction per team — PostgreSQL takes a transaction-scoped advisory lock on the
 * team, SQLite's writer lock (its first statement writes) serializes it — checks and inserts. Two drains
 * by hand never both count without the other: the second finds the first's hold and counts again.
 */
export class DisruptionHoldRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async acquireIf(hold: StoredDisruptionHold, counted: readonly string[]): Promise<HoldAttempt> {
    return this.db.transaction().execute(async (tx) => {
      if (this.dialect === 'postgres')
        await sql`select pg_advisory_xact_lock(hashtext(${`disruption-holds/${hold.team}`}))`.execute(tx);
      // The first statement writes: on SQLite it takes the writer lock for the whole transaction.
      await tx
        .deleteFrom('disruption_holds')
        .where('team', '=', hold.team)
        .where('expires_at', '<=', hold.acquiredAt)
        .execute();
      const live = await this.#live(tx, hold.team);
      const keys = live.map(holdKey).sort();
      const expected = [...counted].sort();
      if (keys.length !== expected.length || keys.some((key, i) => key !== expected[i]))
        return { ok: false, live };
      if (keys.includes(holdKey(hold))) return { ok: false, live };
      await tx
        .insertInto('disruption_holds')
        .values({
          team: hold.team,
          entity_kind: hold.entityKind,
          entity: hold.entity,
          holder: hold.holder,
          acquired_at: hold.acquiredAt,
          expires_at: hold.expiresAt,
        })
        .execute();
      return { ok: true };
    });
  }

  async release(team: string, entityKind: string, entity: string, holder: string): Promise<void> {
    await this.db
      .deleteFrom('disruption_holds')
      .where('team', '=', team)
      .where('entity_kind', '=', entityKind)
      .where('entity', '=', entity)
      .where('holder', '=', holder)
      .execute();
  }

  /** The team's holds not expired at `now` (ISO). */
  async live(team: string, now: string): Promise<StoredDisruptionHold[]> {
    return (await this.#live(this.db, team)).filter((hold) => hold.expiresAt > now);
  }

  async #live(db: Kysely<Database> | Transaction<Database>, team: string): Promise<StoredDisruptionHold[]> {
    const rows = await db.selectFrom('disruption_holds').selectAll().where('team', '=', team).execute();
    return rows.map((row) => ({
      team: row.team,
      entityKind: row.entity_kind,
      entity: row.entity,
      holder: row.holder,
      acquiredAt: row.acquired_at,
      expiresAt: row.expires_at,
    }));
  }
}
