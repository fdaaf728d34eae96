import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Exceptions and failures as records (ADR 0018). `exceptions` holds one row per exception; `active_key`
 * is its correlation key while it is not resolved or merged (NULL otherwise), and the unique index on
 * `(team, active_key)` makes a second open exception for the same key impossible, whichever server tries.
 * `exception_entities` indexes what each one concerns (entity filters, statistics per application and
 * cluster); `exception_alerts` is the alert membership; `exception_timeline` what happened to it;
 * `exception_episodes` one row per open → resolved span, so that a reopen is a second episode of the same
 * exception for MTTR and MTBF.
 */
export function healthExceptions(dialect: Dialect): Migration {
  const isPostgres = dialect === 'postgres';
  const serial = isPostgres ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('exceptions')
        .addColumn('seq', serial, (c) => (isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('title', 'varchar(500)', (c) => c.notNull())
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('entities', 'text', (c) => c.notNull())
        .addColumn('assignee', 'varchar(253)')
        .addColumn('origin', 'varchar(16)', (c) => c.notNull())
        .addColumn('correlation_key', 'varchar(512)')
        .addColumn('correlation_reason', 'text')
        .addColumn('active_key', 'varchar(512)')
        .addColumn('opened_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('episode_opened_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('acknowledged_at', 'varchar(32)')
        .addColumn('mitigated_at', 'varchar(32)')
        .addColumn('resolved_at', 'varchar(32)')
        .addColumn('level', 'varchar(2)')
        .addColumn('level_raised_at', 'text', (c) => c.notNull())
        .addColumn('impact', 'text')
        .addColumn('root_cause', 'text')
        .addColumn('follow_ups', 'text', (c) => c.notNull())
        .addColumn('merged_into', 'varchar(64)')
        .addColumn('alert_count', 'integer', (c) => c.notNull())
        .addColumn('firing_alert_count', 'integer', (c) => c.notNull())
        .addColumn('reopen_count', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'varchar(253)', (c) => c.notNull())
        .addColumn('changed_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('exceptions_active_key')
        .on('exceptions')
        .columns(['team', 'active_key'])
        .unique()
        .execute();
      await db.schema
        .createIndex('exceptions_by_key')
        .on('exceptions')
        .columns(['team', 'correlation_key', 'seq'])
        .execute();
      await db.schema.createIndex('exceptions_by_team').on('exceptions').columns(['team', 'seq']).execute();
      await db.schema
        .createIndex('exceptions_by_state')
        .on('exceptions')
        .columns(['state', 'episode_opened_at'])
        .execute();
      await db.schema
        .createIndex('exceptions_by_change')
        .on('exceptions')
        .columns(['changed_at', 'seq'])
        .execute();

      await db.schema
        .createTable('exception_entities')
        .addColumn('exception_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('name', 'varchar(253)', (c) => c.notNull())
        .addColumn('cluster', 'varchar(63)', (c) => c.notNull())
        .addColumn('namespace', 'varchar(253)', (c) => c.notNull())
        .addPrimaryKeyConstraint('exception_entities_pk', [
          'exception_id',
          'kind',
          'name',
          'cluster',
          'namespace',
        ])
        .execute();
      await db.schema
        .createIndex('exception_entities_by_entity')
        .on('exception_entities')
        .columns(['team', 'kind', 'name', 'cluster'])
        .execute();

      await db.schema
        .createTable('exception_alerts')
        .addColumn('exception_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('fingerprint', 'varchar(255)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('joined_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('resolved_at', 'varchar(32)')
        .addPrimaryKeyConstraint('exception_alerts_pk', ['exception_id', 'fingerprint'])
        .execute();
      await db.schema
        .createIndex('exception_alerts_by_fingerprint')
        .on('exception_alerts')
        .columns(['team', 'fingerprint'])
        .execute();

      await db.schema
        .createTable('exception_timeline')
        .addColumn('id', serial, (c) => (isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('exception_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('written_on', 'varchar(64)', (c) => c.notNull())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('type', 'varchar(32)', (c) => c.notNull())
        .addColumn('at', 'varchar(32)', (c) => c.notNull())
        .addColumn('actor', 'varchar(253)', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('exception_timeline_by_exception')
        .on('exception_timeline')
        .columns(['exception_id', 'at', 'id'])
        .execute();

      await db.schema
        .createTable('exception_episodes')
        .addColumn('exception_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('ordinal', 'integer', (c) => c.notNull())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        .addColumn('opened_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('first_alert_at', 'varchar(32)')
        .addColumn('acknowledged_at', 'varchar(32)')
        .addColumn('mitigated_at', 'varchar(32)')
        .addColumn('resolved_at', 'varchar(32)')
        .addColumn('level', 'varchar(2)')
        .addColumn('merged_into', 'varchar(64)')
        .addPrimaryKeyConstraint('exception_episodes_pk', ['exception_id', 'ordinal'])
        .execute();
      await db.schema
        .createIndex('exception_episodes_by_team')
        .on('exception_episodes')
        .columns(['team', 'opened_at'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('exception_episodes').execute();
      await db.schema.dropTable('exception_timeline').execute();
      await db.schema.dropTable('exception_alerts').execute();
      await db.schema.dropTable('exception_entities').execute();
      await db.schema.dropTable('exceptions').execute();
    },
  };
}
