import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
export function delivery(): Migration {
  return {
    async up(db: Kysely<any>) {
      // What each application applied to each cluster: the record prune and delete work from
      // (KubeVela keeps it in a ResourceTracker object; Gantry keeps it here, beside the application).
      await db.schema
        .createTable('applied_objects')
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('app', 'varchar(63)', (c) => c.notNull())
        .addColumn('cluster', 'varchar(63)', (c) => c.notNull())
        .addColumn('ref', 'varchar(700)', (c) => c.notNull())
        .addColumn('component', 'varchar(63)', (c) => c.notNull())
        .addColumn('object', 'text', (c) => c.notNull())
        .addColumn('hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('applied_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('applied_objects_pk', ['team', 'app', 'cluster', 'ref'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('applied_objects').execute();
    },
  };
}
