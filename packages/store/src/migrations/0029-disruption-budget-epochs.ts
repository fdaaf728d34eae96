import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The disruption budget's epoch per team (ADR 0033, amended): every taker of the shared budget — the change
 * engine's journal step that takes entities out, a drain by hand's hold — moves the team's epoch forward
 * in the transaction that makes its holding visible, and only if it is still the epoch it read before
 * counting. Two takers on two servers that counted at the same time cannot both commit: the second
 * counts again and sees the first.
 */
export function disruptionBudgetEpochs(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('disruption_budget_epochs')
        .addColumn('team', 'varchar(63)', (c) => c.primaryKey())
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('disruption_budget_epochs').execute();
    },
  };
}
