import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The alert journal (ADR 0042, SQLite): a write of the alert ingest's thread that changes a stored alert
 * (a resend moving its endsAt, new annotations) appends it here, one row per commit with the changes as
 * JSON, instead of rewriting the alert's row and its four index entries; the thread folds the journal
 * into `alerts` in the background, latest change per alert only, and every reader of `alerts` folds what
 * is left first. `id` is the first sequence number of the row's changes. PostgreSQL has the table and
 * never writes it (its ingest writes `alerts` directly).
 */
export function alertJournal(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('alert_journal')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('entries', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('alert_journal').execute();
    },
  };
}
