import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The runs of a host (`GET /api/jobs/runs?host=NAME`, ADR 0017) as a lookup: one row per host target of a
 * run, keyed by host, team and the run's `seq`, so a host's runs, newest first and page by page, are a
 * range of the primary key instead of a scan of every run's targets. Filled for the runs stored before.
 */
export function jobRunHosts(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('job_run_hosts')
        .addColumn('host', 'varchar(253)', (c) => c.notNull())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('run_seq', 'bigint', (c) => c.notNull())
        .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('job_run_hosts_pk', ['host', 'team', 'run_seq'])
        .execute();
      await db
        .insertInto('job_run_hosts')
        .columns(['host', 'team', 'run_seq', 'run_id'])
        .expression(
          db
            .selectFrom('job_targets as t')
            .innerJoin('job_runs as r', 'r.id', 't.run_id')
            .select(['t.target', 'r.team', 'r.seq', 'r.id'])
            .where('t.kind', '=', 'host'),
        )
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('job_run_hosts').execute();
    },
  };
}
