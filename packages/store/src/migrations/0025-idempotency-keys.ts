import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Idempotency keys (ADR 0029): the answer to a create sent with an `Idempotency-Key`, by the principal that
 * sent it and the key, written in the create's own transaction; `fingerprint` names the request (path and
 * body) so that the same key for another request is refused. Rows are deleted once `expires_at` (epoch
 * milliseconds) has passed.
 */
export function idempotencyKeys(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('principal', 'varchar(320)', (c) => c.notNull())
        .addColumn('key', 'varchar(255)', (c) => c.notNull())
        .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['principal', 'key'])
        .execute();
      await db.schema
        .createIndex('idempotency_keys_by_expiry')
        .on('idempotency_keys')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('idempotency_keys').execute();
    },
  };
}
