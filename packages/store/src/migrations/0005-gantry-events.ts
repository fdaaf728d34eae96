import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Gantry's own events join the clusters' Kubernetes Events in `events` (ADR 0009). The columns for the
 * regarded object (team, cluster, namespace, object_kind, object_name) are already there; what is new is
 * who caused the event (`actor`: a user, `controller/<name>`, or the Kubernetes reporting component),
 * and an index for an object's timeline (an Application's, a definition's: by team, kind and name, newest
 * first) that the cluster-first indexes cannot answer.
 */
export function gantryEvents(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('events')
        .addColumn('actor', 'varchar(253)', (c) => c.notNull().defaultTo(''))
        .execute();
      await db.schema
        .createIndex('events_by_regarding')
        .on('events')
        .columns(['team', 'object_kind', 'object_name', 'last_seen'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('events_by_regarding').execute();
      await db.schema.alterTable('events').dropColumn('actor').execute();
    },
  };
}
