import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
export function fleet(dialect: Dialect): Migration {
  const isPostgres = dialect === 'postgres';
  return {
    async up(db: Kysely<any>) {
      // What Gantry last saw of each object in each cluster, as a compact summary (not the whole object).
      await db.schema
        .createTable('inventory')
        .addColumn('cluster', 'varchar(130)', (c) => c.notNull())
        .addColumn('kind', 'varchar(63)', (c) => c.notNull())
        .addColumn('namespace', 'varchar(253)', (c) => c.notNull())
        .addColumn('name', 'varchar(253)', (c) => c.notNull())
        .addColumn('uid', 'varchar(64)', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('inventory_pk', ['cluster', 'kind', 'namespace', 'name'])
        .execute();

      // Event records: Kubernetes Events now; the health model's events later.
      await db.schema
        .createTable('events')
        .addColumn('id', isPostgres ? 'bigserial' : 'integer', (c) =>
          isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('source', 'varchar(63)', (c) => c.notNull())
        .addColumn('external_id', 'varchar(253)', (c) => c.notNull())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('cluster', 'varchar(130)', (c) => c.notNull())
        .addColumn('namespace', 'varchar(253)', (c) => c.notNull())
        .addColumn('object_kind', 'varchar(63)', (c) => c.notNull())
        .addColumn('object_name', 'varchar(253)', (c) => c.notNull())
        .addColumn('type', 'varchar(32)', (c) => c.notNull())
        .addColumn('reason', 'varchar(128)', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('first_seen', 'varchar(32)', (c) => c.notNull())
        .addColumn('last_seen', 'varchar(32)', (c) => c.notNull())
        .addUniqueConstraint('events_external', ['source', 'external_id'])
        .execute();
      await db.schema
        .createIndex('events_by_cluster')
        .on('events')
        .columns(['cluster', 'last_seen'])
        .execute();
      await db.schema.createIndex('events_by_time').on('events').columns(['last_seen', 'id']).execute();
      await db.schema
        .createIndex('events_by_object')
        .on('events')
        .columns(['cluster', 'namespace', 'object_kind', 'object_name'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('events').execute();
      await db.schema.dropTable('inventory').execute();
    },
  };
}
