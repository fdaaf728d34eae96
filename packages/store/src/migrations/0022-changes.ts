import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Changes (ADR 0026).
 *
 * `change_journal`: the persisted state machine of each Change, by the Change's uid: one row per step,
 * numbered (`seq`) and named by an idempotency key (unique per change), with the lease term that wrote
 * it. Rows are only ever appended, in a transaction that first checks the lease row (fencing).
 * `change_requests`: pause, resume and abort as asked through the API (who, why, when); the engine marks
 * one handled in the transaction that journals it.
 * `change_line_stops`: stop-the-line, per team or for the fleet (team `''`), with who stopped and released it.
 */
export function changes(dialect: Dialect): Migration {
  const isPostgres = dialect === 'postgres';
  const serial = (name: string) =>
    [
      name,
      isPostgres ? 'bigserial' : 'integer',
      (c: any) => (isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement()),
    ] as const;
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('change_journal')
        .addColumn('uid', 'varchar(64)', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('change_name', 'varchar(63)', (c) => c.notNull())
        .addColumn('step_key', 'varchar(512)', (c) => c.notNull())
        .addColumn('type', 'varchar(32)', (c) => c.notNull())
        .addColumn('batch', 'integer')
        .addColumn('entity', 'varchar(320)')
        .addColumn('at', 'varchar(32)', (c) => c.notNull())
        .addColumn('term', 'varchar(320)', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('change_journal_pk', ['uid', 'seq'])
        .addUniqueConstraint('change_journal_step', ['uid', 'step_key'])
        .execute();
      await db.schema
        .createIndex('change_journal_by_change')
        .on('change_journal')
        .columns(['team', 'change_name'])
        .execute();

      const [requestId, requestType, requestBuild] = serial('id');
      await db.schema
        .createTable('change_requests')
        .addColumn(requestId, requestType, requestBuild)
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('change_name', 'varchar(63)', (c) => c.notNull())
        .addColumn('uid', 'varchar(64)', (c) => c.notNull())
        .addColumn('action', 'varchar(16)', (c) => c.notNull())
        .addColumn('actor', 'varchar(253)', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('handled_at', 'varchar(32)')
        .execute();
      await db.schema
        .createIndex('change_requests_by_uid')
        .on('change_requests')
        .columns(['uid', 'id'])
        .execute();

      const [stopId, stopType, stopBuild] = serial('id');
      await db.schema
        .createTable('change_line_stops')
        .addColumn(stopId, stopType, stopBuild)
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('stopped_by', 'varchar(253)', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('stopped_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('released_by', 'varchar(253)')
        .addColumn('release_reason', 'text')
        .addColumn('released_at', 'varchar(32)')
        .execute();
      await db.schema
        .createIndex('change_line_stops_by_team')
        .on('change_line_stops')
        .columns(['team', 'released_at'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('change_line_stops').execute();
      await db.schema.dropTable('change_requests').execute();
      await db.schema.dropTable('change_journal').execute();
    },
  };
}
