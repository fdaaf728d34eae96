import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Whether an alert's stored `endsAt` was filled in by Gantry (now + the resolve timeout, for an alert posted
 * without one) rather than given: Alertmanager's `Timeout` flag, which its merge of a resend with the stored
 * alert reads (a given endsAt that is later holds off an earlier one, a filled-in one does not). An integer
 * (0 or 1) on both dialects, not a boolean on PostgreSQL: SQLite has no boolean and better-sqlite3 binds
 * none, so one row shape serves both. Nothing recorded the flag before: rows stored earlier count as
 * given (0).
 */
export function alertEndsTimeout(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('alerts')
        .addColumn('ends_timeout', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('alerts').dropColumn('ends_timeout').execute();
    },
  };
}
