import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';

// Migrations take Kysely<any>: they must keep working when the Database interface moves on.
/* eslint-disable @typescript-eslint/no-explicit-any */
export function initial(dialect: Dialect): Migration {
  return { up: (db) => up(db, dialect === 'postgres'), down };
}

async function up(db: Kysely<any>, isPostgres: boolean): Promise<void> {
  await db.schema
    .createTable('resources')
    .addColumn('kind', 'varchar(63)', (c) => c.notNull())
    .addColumn('team', 'varchar(63)', (c) => c.notNull())
    .addColumn('name', 'varchar(63)', (c) => c.notNull())
    .addColumn('uid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('resource_version', 'bigint', (c) => c.notNull())
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('resources_pk', ['kind', 'team', 'name'])
    .execute();

  await db.schema
    .createTable('resource_labels')
    .addColumn('kind', 'varchar(63)', (c) => c.notNull())
    .addColumn('team', 'varchar(63)', (c) => c.notNull())
    .addColumn('name', 'varchar(63)', (c) => c.notNull())
    .addColumn('key', 'varchar(317)', (c) => c.notNull())
    .addColumn('value', 'varchar(63)', (c) => c.notNull())
    .addPrimaryKeyConstraint('resource_labels_pk', ['kind', 'team', 'name', 'key'])
    .execute();
  await db.schema
    .createIndex('resource_labels_by_value')
    .on('resource_labels')
    .columns(['kind', 'key', 'value'])
    .execute();

  // One row: the last resourceVersion handed out. Bumping it takes a row lock, which orders concurrent
  // writers so that versions commit in the order they were issued and a watch never skips one.
  await db.schema
    .createTable('resource_version')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('resource_version').values({ id: 1, value: 0 }).execute();

  await db.schema
    .createTable('resource_changes')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(63)', (c) => c.notNull())
    .addColumn('team', 'varchar(63)', (c) => c.notNull())
    .addColumn('name', 'varchar(63)', (c) => c.notNull())
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('resource_changes_by_kind')
    .on('resource_changes')
    .columns(['kind', 'id'])
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('username', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
    .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('username', 'varchar(64)', (c) => c.notNull().references('users.username').onDelete('cascade'))
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('last_used_at', 'varchar(32)')
    .addColumn('revoked_at', 'varchar(32)')
    .execute();
  await db.schema.createIndex('api_tokens_by_user').on('api_tokens').columns(['username', 'kind']).execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', isPostgres ? 'bigserial' : 'integer', (c) =>
      isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'varchar(32)', (c) => c.notNull())
    .addColumn('actor', 'varchar(64)', (c) => c.notNull())
    .addColumn('source', 'varchar(64)', (c) => c.notNull())
    .addColumn('action', 'varchar(32)', (c) => c.notNull())
    .addColumn('kind', 'varchar(63)', (c) => c.notNull())
    .addColumn('team', 'varchar(63)', (c) => c.notNull())
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('resource_version', 'varchar(20)')
    .addColumn('dry_run', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('diff', 'text')
    .execute();
  await db.schema
    .createIndex('audit_log_by_target')
    .on('audit_log')
    .columns(['kind', 'team', 'name', 'id'])
    .execute();
  await db.schema.createIndex('audit_log_by_actor').on('audit_log').columns(['actor', 'id']).execute();

  await db.schema
    .createTable('secrets')
    .addColumn('team', 'varchar(63)', (c) => c.notNull())
    .addColumn('name', 'varchar(253)', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('secrets_pk', ['team', 'name'])
    .execute();

  await db.schema
    .createTable('leases')
    .addColumn('name', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('holder', 'varchar(128)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('renewed_at', 'bigint', (c) => c.notNull())
    .addColumn('transitions', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'leases',
    'secrets',
    'audit_log',
    'api_tokens',
    'users',
    'resource_changes',
    'resource_version',
    'resource_labels',
    'resources',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
