import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The series state of Gantry's alert rules (pending since, firing since, kept firing since, resolved at),
 * one row per rule, so that a restart or a new leader carries on with `for` and `keep_firing_for` where
 * the last evaluator left off (ADR 0015).
 */
export function alertRuleState(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('alert_rule_state')
        .addColumn('kind', 'varchar(64)', (c) => c.notNull())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('name', 'varchar(63)', (c) => c.notNull())
        .addColumn('series', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('alert_rule_state_pk', ['kind', 'team', 'name'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('alert_rule_state').execute();
    },
  };
}
