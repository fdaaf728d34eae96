import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The alert dispatcher's notification log (ADR 0013): per group and receiver, what was last sent (the
 * fingerprints firing, resolved and flapping), what the receiver still has to be told resolved, and
 * when. Keyed by a hash of (team, group key, receiver), since group keys can be longer than an index allows.
 */
export function alertDispatch(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('alert_notification_log')
        .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('group_key', 'text', (c) => c.notNull())
        .addColumn('receiver', 'varchar(63)', (c) => c.notNull())
        .addColumn('sequence', 'integer', (c) => c.notNull())
        .addColumn('firing', 'text', (c) => c.notNull())
        .addColumn('resolved', 'text', (c) => c.notNull())
        .addColumn('flapping', 'text', (c) => c.notNull())
        .addColumn('owed', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('alert_notification_log_by_team')
        .on('alert_notification_log')
        .column('team')
        .execute();
      await db.schema
        .createIndex('alert_notification_log_by_expiry')
        .on('alert_notification_log')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('alert_notification_log').execute();
    },
  };
}
