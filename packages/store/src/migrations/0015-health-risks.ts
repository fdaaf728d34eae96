import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Risks and inspection runs as records (ADR 0020).
 *
 * `risks`: one row per risk episode; a risk that is gone and comes back is a new row. The partial unique
 * index on the source's identity and key among *open* rows is what keeps two servers observing the same
 * source from opening the same risk twice (`insert ... on conflict do nothing`, then update).
 * `risk_entities`: the objects a risk concerns as `Kind/name`, for the entity filter on both databases.
 * `inspection_runs`: one row per run; the unique (team, inspection, slot) is the durable claim of a cron
 * slot, so a slot is run once across restarts and servers (manual runs have no slot).
 * `inspection_run_results`: each check's outcome in a run with what it found, for run-to-run diffs.
 */
export function healthRisks(dialect: Dialect): Migration {
  const isPostgres = dialect === 'postgres';
  const serial = () =>
    [
      'seq',
      isPostgres ? 'bigserial' : 'integer',
      (c: any) => (isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement()),
    ] as const;
  return {
    async up(db: Kysely<any>) {
      const [seqName, seqType, seqBuild] = serial();
      await db.schema
        .createTable('risks')
        .addColumn(seqName, seqType, seqBuild)
        .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('source_kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('source_name', 'varchar(63)', (c) => c.notNull())
        .addColumn('source_check', 'varchar(253)', (c) => c.notNull())
        .addColumn('risk_key', 'varchar(1024)', (c) => c.notNull())
        .addColumn('run_id', 'varchar(64)')
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('score', 'integer', (c) => c.notNull())
        .addColumn('entities', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('state', 'varchar(8)', (c) => c.notNull())
        .addColumn('first_seen_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('last_seen_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('gone_at', 'varchar(32)')
        .execute();
      await db.schema
        .createIndex('risks_open_identity')
        .on('risks')
        .columns(['team', 'source_kind', 'source_name', 'source_check', 'risk_key'])
        .unique()
        .where(sql<boolean>`state = 'open'`)
        .execute();
      await db.schema.createIndex('risks_by_team').on('risks').columns(['team', 'state', 'seq']).execute();
      await db.schema
        .createIndex('risks_by_source')
        .on('risks')
        .columns(['team', 'source_kind', 'source_name', 'source_check', 'state'])
        .execute();

      await db.schema
        .createTable('risk_entities')
        .addColumn('risk_seq', 'bigint', (c) => c.notNull())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('entity', 'varchar(400)', (c) => c.notNull())
        .addPrimaryKeyConstraint('risk_entities_pk', ['risk_seq', 'entity'])
        .execute();
      await db.schema
        .createIndex('risk_entities_by_entity')
        .on('risk_entities')
        .columns(['team', 'entity', 'risk_seq'])
        .execute();

      const [runSeq, runSeqType, runSeqBuild] = serial();
      await db.schema
        .createTable('inspection_runs')
        .addColumn(runSeq, runSeqType, runSeqBuild)
        .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('inspection', 'varchar(63)', (c) => c.notNull())
        .addColumn('trigger', 'varchar(16)', (c) => c.notNull())
        .addColumn('slot', 'varchar(32)')
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_by', 'varchar(253)', (c) => c.notNull())
        .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('finished_at', 'varchar(32)')
        .addColumn('counts', 'text', (c) => c.notNull())
        .addUniqueConstraint('inspection_runs_slot', ['team', 'inspection', 'slot'])
        .execute();
      await db.schema
        .createIndex('inspection_runs_by_inspection')
        .on('inspection_runs')
        .columns(['team', 'inspection', 'seq'])
        .execute();

      await db.schema
        .createTable('inspection_run_results')
        .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('check_name', 'varchar(63)', (c) => c.notNull())
        .addColumn('ordinal', 'integer', (c) => c.notNull())
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('reason', 'varchar(64)', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('findings', 'text', (c) => c.notNull())
        .addColumn('dropped', 'integer', (c) => c.notNull())
        .addColumn('duration_ms', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('inspection_run_results_pk', ['run_id', 'check_name'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('inspection_run_results').execute();
      await db.schema.dropTable('inspection_runs').execute();
      await db.schema.dropTable('risk_entities').execute();
      await db.schema.dropTable('risks').execute();
    },
  };
}
