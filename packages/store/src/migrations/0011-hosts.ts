import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Hosts and their agents (ADR 0016): host records, one-time join tokens and agent credentials (both stored
 * as hashes of their secrets), messages queued for an agent on a named channel (so that a message sent on
 * one server reaches an agent connected to another), and receipts of agents' reports by message id (so a
 * report redelivered after a reconnect reaches the listeners once). Times are milliseconds since the epoch.
 */
export function hosts(dialect: Dialect): Migration {
  const isPostgres = dialect === 'postgres';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('hosts')
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('name', 'varchar(253)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('status_since', 'bigint', (c) => c.notNull())
        .addColumn('connected_server', 'varchar(253)', (c) => c.notNull().defaultTo(''))
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('facts', 'text')
        .addColumn('agent_version', 'varchar(50)', (c) => c.notNull())
        .addColumn('last_heartbeat', 'bigint')
        .addColumn('credential_id', 'varchar(40)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('hosts_pk', ['team', 'name'])
        .execute();
      await db.schema
        .createIndex('hosts_by_status')
        .on('hosts')
        .columns(['status', 'last_heartbeat'])
        .execute();
      await db.schema
        .createTable('join_tokens')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('secret_hash', 'varchar(128)', (c) => c.notNull())
        .addColumn('description', 'varchar(200)', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('max_uses', 'integer', (c) => c.notNull())
        .addColumn('uses', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'varchar(253)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('join_tokens_by_team').on('join_tokens').columns(['team']).execute();
      await db.schema
        .createTable('agent_credentials')
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('host', 'varchar(253)', (c) => c.notNull())
        .addColumn('secret_hash', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('agent_credentials_by_host')
        .on('agent_credentials')
        .columns(['team', 'host'])
        .execute();
      await db.schema
        .createTable('agent_messages')
        .addColumn('seq', isPostgres ? 'bigserial' : 'integer', (c) =>
          isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('id', 'varchar(100)', (c) => c.notNull().unique())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('host', 'varchar(253)', (c) => c.notNull())
        .addColumn('channel', 'varchar(63)', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('agent_messages_by_host')
        .on('agent_messages')
        .columns(['team', 'host', 'seq'])
        .execute();
      await db.schema
        .createTable('agent_receipts')
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('host', 'varchar(253)', (c) => c.notNull())
        .addColumn('id', 'varchar(100)', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('agent_receipts_pk', ['team', 'host', 'id'])
        .execute();
      await db.schema
        .createIndex('agent_receipts_by_time')
        .on('agent_receipts')
        .columns(['received_at'])
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const table of ['agent_receipts', 'agent_messages', 'agent_credentials', 'join_tokens', 'hosts'])
        await db.schema.dropTable(table).execute();
    },
  };
}
