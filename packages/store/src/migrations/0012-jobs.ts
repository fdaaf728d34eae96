import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Job runs as records (ADR 0017): a run, one row per target, and the targets' output in ordered chunks.
 * `job_runs.seq` orders listings; `job_output.id` is the cursor a follower reads on from; the unique key
 * (run, target, attempt, seq) makes a chunk delivered twice by the agent transport a no-op.
 */
export function jobs(dialect: Dialect): Migration {
  const isPostgres = dialect === 'postgres';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('job_runs')
        .addColumn('seq', isPostgres ? 'bigserial' : 'integer', (c) =>
          isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('template', 'varchar(63)', (c) => c.notNull())
        .addColumn('template_version', 'varchar(32)', (c) => c.notNull())
        .addColumn('script_sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('parameters', 'text', (c) => c.notNull())
        .addColumn('targets', 'text', (c) => c.notNull())
        .addColumn('execution', 'text', (c) => c.notNull())
        .addColumn('concurrency', 'integer', (c) => c.notNull())
        .addColumn('batch_size', 'integer')
        .addColumn('stop_after_failures', 'integer')
        .addColumn('created_by', 'varchar(253)', (c) => c.notNull())
        .addColumn('schedule', 'varchar(63)')
        .addColumn('rerun_of', 'varchar(64)')
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('reason', 'varchar(64)', (c) => c.notNull())
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('finished_at', 'varchar(32)')
        .execute();
      await db.schema.createIndex('job_runs_by_team').on('job_runs').columns(['team', 'seq']).execute();
      await db.schema.createIndex('job_runs_by_state').on('job_runs').columns(['state', 'seq']).execute();
      await db.schema
        .createIndex('job_runs_by_schedule')
        .on('job_runs')
        .columns(['team', 'schedule', 'state'])
        .execute();

      await db.schema
        .createTable('job_targets')
        .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('target', 'varchar(253)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('ordinal', 'integer', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('exit_code', 'integer')
        .addColumn('signal', 'varchar(16)')
        .addColumn('reason', 'varchar(64)', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('output_bytes', 'integer', (c) => c.notNull())
        .addColumn('truncated', 'integer', (c) => c.notNull())
        .addColumn('dispatched_at', 'varchar(32)')
        .addColumn('started_at', 'varchar(32)')
        .addColumn('finished_at', 'varchar(32)')
        .addColumn('deadline', 'bigint')
        .addPrimaryKeyConstraint('job_targets_pk', ['run_id', 'target'])
        .execute();
      await db.schema
        .createIndex('job_targets_by_state')
        .on('job_targets')
        .columns(['run_id', 'state', 'ordinal'])
        .execute();

      await db.schema
        .createTable('job_output')
        .addColumn('id', isPostgres ? 'bigserial' : 'integer', (c) =>
          isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('target', 'varchar(253)', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('stream', 'varchar(8)', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('at', 'varchar(32)', (c) => c.notNull())
        .addUniqueConstraint('job_output_chunk', ['run_id', 'target', 'attempt', 'seq'])
        .execute();
      await db.schema.createIndex('job_output_by_run').on('job_output').columns(['run_id', 'id']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('job_output').execute();
      await db.schema.dropTable('job_targets').execute();
      await db.schema.dropTable('job_runs').execute();
    },
  };
}
