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

export type HoldDecision = { ok: true } | { ok: false; message: string };

/**
 * The holds table. `acquire` is one transaction per team — PostgreSQL takes a transaction-scoped advisory
 * lock on the team, SQLite's writer lock (its first statement writes) serializes it — that reads the team's live holds, asks `decide`,
 * and inserts the hold only if it says yes: two drains by hand never both count without the other.
 */
export class DisruptionHoldRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async acquire(
    hold: StoredDisruptionHold,
    decide: (live: StoredDisruptionHold[]) => Promise<HoldDecision>,
  ): Promise<HoldDecision> {
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
      if (live.some((other) => other.entityKind === hold.entityKind && other.entity === hold.entity))
        return { ok: false, message: `${hold.entity} is held already` };
      const decision = await decide(live);
      if (!decision.ok) return decision;
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
      return decision;
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
