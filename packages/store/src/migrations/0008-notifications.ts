import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The notification outbox and its delivery log (ADR 0014). `notifications` holds one row per group
 * notification and channel, unique per team on its dedup key so that two servers enqueuing the same
 * notification make one row; workers claim due rows with a lease. `notification_attempts` keeps every
 * attempt: when, how long, the answer, the error class.
 */
export function notifications(dialect: Dialect): Migration {
  const isPostgres = dialect === 'postgres';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('notifications')
        .addColumn('seq', isPostgres ? 'bigserial' : 'integer', (c) =>
          isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('id', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('channel', 'varchar(63)', (c) => c.notNull())
        .addColumn('group_key', 'text', (c) => c.notNull())
        .addColumn('dedup_key', 'varchar(512)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('alert_count', 'integer', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('due_at', 'bigint', (c) => c.notNull())
        .addColumn('claimed_by', 'varchar(253)')
        .addColumn('claim_token', 'varchar(64)')
        .addColumn('lease_until', 'bigint')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('delivered_at', 'varchar(32)')
        .addColumn('last_error', 'text')
        .addUniqueConstraint('notifications_dedup', ['team', 'dedup_key'])
        .execute();
      await db.schema
        .createIndex('notifications_due')
        .on('notifications')
        .columns(['state', 'due_at'])
        .execute();
      await db.schema
        .createIndex('notifications_by_team')
        .on('notifications')
        .columns(['team', 'seq'])
        .execute();
      await db.schema
        .createIndex('notifications_by_group')
        .on('notifications')
        .columns(['team', 'channel', 'state'])
        .execute();
      await db.schema
        .createTable('notification_attempts')
        .addColumn('notification_seq', 'bigint', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('at', 'varchar(32)', (c) => c.notNull())
        .addColumn('latency_ms', 'real', (c) => c.notNull())
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('error_class', 'varchar(32)')
        .addColumn('error', 'text')
        .addColumn('response', 'text')
        .addColumn('server', 'varchar(253)', (c) => c.notNull())
        .addPrimaryKeyConstraint('notification_attempts_pk', ['notification_seq', 'attempt'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('notification_attempts').execute();
      await db.schema.dropTable('notifications').execute();
    },
  };
}
