import type { Kysely, Transaction } from 'kysely';
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

/**
 * What `acquireIf` did: inserted the hold; or found the team's budget epoch moved since the caller read it
 * (another taker committed: count again); or found the entity held already.
 */
export type HoldAttempt =
  { ok: true } | { ok: false; reason: 'EpochMoved' } | { ok: false; reason: 'Held'; holder: string };

/** A hold's identity among the team's: `entityKind/entity`. */
export function holdKey(hold: Pick<StoredDisruptionHold, 'entityKind' | 'entity'>): string {
  return `${hold.entityKind}/${hold.entity}`;
}

/** The team's disruption budget epoch (0 before its first take): read before counting what is out. */
export async function readBudgetEpoch(
  db: Kysely<Database> | Transaction<Database>,
  team: string,
): Promise<number> {
  const row = await db
    .selectFrom('disruption_budget_epochs')
    .select('epoch')
    .where('team', '=', team)
    .executeTakeFirst();
  return row ? Number(row.epoch) : 0;
}

/**
 * In the transaction that makes a take of the budget visible (a hold, a change's journal step): moves the
 * team's epoch from `expected`, the one read before counting, to the next; false when another take moved
 * it first, and nothing may be written. One conditional upsert of one row: on PostgreSQL the row is locked
 * until commit, so a concurrent take waits and then finds the epoch moved; SQLite serializes writers.
 */
export async function advanceBudgetEpoch(
  tx: Transaction<Database>,
  team: string,
  expected: number,
): Promise<boolean> {
  const result = await tx
    .insertInto('disruption_budget_epochs')
    .values({ team, epoch: expected + 1 })
    .onConflict((oc) =>
      oc
        .column('team')
        .doUpdateSet({ epoch: expected + 1 })
        .where('disruption_budget_epochs.epoch', '=', expected),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * The holds table and the team's budget epoch (ADR 0033, amended). A taker reads the epoch, counts what is
 * out (the changes' entities in flight, the live holds), asks the budgets, and writes its hold with
 * `acquireIf` only if the epoch is still the one it read — moving it in the same transaction. Every taker
 * (the change engine's journal step too) moves the epoch, so two takers that counted at once never both
 * land: the later counts again and sees the earlier.
 */
export class DisruptionHoldRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The team's budget epoch now: read it before counting, pass it to `acquireIf`. */
  epoch(team: string): Promise<number> {
    return readBudgetEpoch(this.db, team);
  }

  async acquireIf(hold: StoredDisruptionHold, epoch: number): Promise<HoldAttempt> {
    try {
      return await this.db.transaction().execute(async (tx): Promise<HoldAttempt> => {
        // The first statement writes: the epoch row is locked (PostgreSQL) or the writer lock taken (SQLite).
        if (!(await advanceBudgetEpoch(tx, hold.team, epoch))) return { ok: false, reason: 'EpochMoved' };
        await tx
          .deleteFrom('disruption_holds')
          .where('team', '=', hold.team)
          .where('expires_at', '<=', hold.acquiredAt)
          .execute();
        const same = await tx
          .selectFrom('disruption_holds')
          .select('holder')
          .where('team', '=', hold.team)
          .where('entity_kind', '=', hold.entityKind)
          .where('entity', '=', hold.entity)
          .executeTakeFirst();
        // Nothing of this transaction may stay: the epoch moves only with a take.
        if (same) throw new HeldAlready(same.holder);
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
    } catch (error) {
      if (error instanceof HeldAlready) return { ok: false, reason: 'Held', holder: error.holder };
      throw error;
    }
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

class HeldAlready extends Error {
  constructor(readonly holder: string) {
    super(`held by ${holder}`);
  }
}
