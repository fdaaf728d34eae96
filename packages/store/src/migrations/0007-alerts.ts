import { sql, type Kysely, type Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Alert records (ADR 0012): one row per (team, fingerprint), rewritten by every ingest of the same label
 * set. Every write takes the next number of `alert_seq` (one row, updated in the writing transaction, so
 * that commits happen in sequence order and a reader of "changed after N" never skips a write still in
 * flight), which the dispatcher follows. The bound entities are columns for the query API's filters.
 */
export function alerts(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('alerts')
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('fingerprint', 'varchar(16)', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('alertname', 'varchar(256)', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('annotations', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('ends_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('generator_url', 'text', (c) => c.notNull())
        .addColumn('source', 'varchar(32)', (c) => c.notNull())
        .addColumn('cluster', 'varchar(253)', (c) => c.notNull())
        .addColumn('node', 'varchar(253)', (c) => c.notNull())
        .addColumn('namespace', 'varchar(253)', (c) => c.notNull())
        .addColumn('application', 'varchar(253)', (c) => c.notNull())
        .addColumn('component', 'varchar(253)', (c) => c.notNull())
        .addPrimaryKeyConstraint('alerts_pk', ['team', 'fingerprint'])
        .execute();
      await db.schema.createIndex('alerts_by_seq').unique().on('alerts').column('seq').execute();
      await db.schema.createIndex('alerts_by_team_seq').on('alerts').columns(['team', 'seq']).execute();
      await db.schema.createIndex('alerts_by_ends_at').on('alerts').column('ends_at').execute();
      await db.schema
        .createTable('alert_seq')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();
      await sql`insert into alert_seq (id, value) values (1, 0)`.execute(db);
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('alert_seq').execute();
      await db.schema.dropTable('alerts').execute();
    },
  };
}
