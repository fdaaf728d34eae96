import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Self-healing (ADR 0032).
 *
 * `healing_runs`: one row per (policy, trigger) episode: the trigger, the diagnosis (path and values), the
 * decisions, actions, verifications, approvals (JSON) and the phase. (team, policy, trigger_key) is unique:
 * one run per policy, trigger episode and entity, ever, whatever the servers do (a run that ended is not
 * started again for the same episode; a reopened exception is a new episode with a key of its own).
 * `version` makes every write conditional on what the writer read.
 * `healing_ledger`: the per-entity counters of the guardrails as rows (an action started, failed, healed),
 * counted over a window: a restart resets nothing.
 */
export function healingRuns(dialect: Dialect): Migration {
  const isPostgres = dialect === 'postgres';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('healing_runs')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('policy', 'varchar(63)', (c) => c.notNull())
        .addColumn('trigger_kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('trigger_key', 'varchar(512)', (c) => c.notNull())
        .addColumn('entity', 'varchar(400)', (c) => c.notNull())
        .addColumn('domain', 'varchar(400)', (c) => c.notNull())
        .addColumn('mode', 'varchar(16)', (c) => c.notNull())
        .addColumn('phase', 'varchar(32)', (c) => c.notNull())
        .addColumn('in_flight', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rung', 'integer', (c) => c.notNull().defaultTo(-1))
        .addColumn('reason', 'varchar(64)', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('outcome', 'varchar(32)')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('next_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('ended_at', 'varchar(32)')
        .execute();
      await db.schema
        .createIndex('healing_runs_trigger')
        .on('healing_runs')
        .columns(['team', 'policy', 'trigger_key'])
        .unique()
        .execute();
      await db.schema
        .createIndex('healing_runs_due')
        .on('healing_runs')
        .columns(['ended_at', 'next_at'])
        .execute();
      await db.schema
        .createIndex('healing_runs_in_flight')
        .on('healing_runs')
        .columns(['team', 'policy', 'in_flight', 'domain'])
        .execute();
      await db.schema
        .createIndex('healing_runs_list')
        .on('healing_runs')
        .columns(['team', 'created_at', 'id'])
        .execute();

      await db.schema
        .createTable('healing_ledger')
        .addColumn('id', isPostgres ? 'bigserial' : 'integer', (c: any) =>
          isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('policy', 'varchar(63)', (c) => c.notNull())
        .addColumn('entity', 'varchar(400)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('entry_key', 'varchar(200)', (c) => c.notNull())
        .addColumn('at', 'varchar(32)', (c) => c.notNull())
        .addUniqueConstraint('healing_ledger_key', ['run_id', 'entry_key'])
        .execute();
      await db.schema
        .createIndex('healing_ledger_by_entity')
        .on('healing_ledger')
        .columns(['team', 'policy', 'entity', 'kind', 'at'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('healing_ledger').execute();
      await db.schema.dropTable('healing_runs').execute();
    },
  };
}
