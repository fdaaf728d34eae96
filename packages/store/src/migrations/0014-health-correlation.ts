import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The health center's correlation and escalation state (ADR 0019). `health_correlation_groups`: the open
 * correlation groups (key, why, the exception the port answered), keyed by a hash of (team, key) since
 * rule keys can be longer than an index allows. `health_correlation_members`: which group each firing
 * alert joined, with the episode (its `startsAt`). `health_escalations`: one row per exception being
 * escalated, with its next step and when it is due — the durable timers a restarted server resumes.
 */
export function healthCorrelation(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('health_correlation_groups')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('health_correlation_groups_by_team')
        .on('health_correlation_groups')
        .column('team')
        .execute();
      await db.schema
        .createTable('health_correlation_members')
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('health_correlation_members_pk', ['team', 'fingerprint'])
        .execute();
      await db.schema
        .createTable('health_escalations')
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('exception_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('policy', 'varchar(63)', (c) => c.notNull())
        .addColumn('episode', 'integer', (c) => c.notNull())
        .addColumn('episode_started_at', 'bigint', (c) => c.notNull())
        .addColumn('step', 'integer', (c) => c.notNull())
        .addColumn('round', 'integer', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('due_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('health_escalations_pk', ['team', 'exception_id'])
        .execute();
      await db.schema
        .createIndex('health_escalations_by_due')
        .on('health_escalations')
        .columns(['state', 'due_at'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('health_escalations').execute();
      await db.schema.dropTable('health_correlation_members').execute();
      await db.schema.dropTable('health_correlation_groups').execute();
    },
  };
}
