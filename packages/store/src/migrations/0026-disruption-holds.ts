import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Disruption holds (ADR 0033): entities an actuator outside Changes has out now — a drain by hand —
 * counted by the shared disruption budget beside the changes' entities in flight. One row per entity
 * (the primary key: two holders never hold one entity), with an expiry so that a server that dies in the
 * middle of a drain does not hold the budget for ever.
 */
export function disruptionHolds(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('disruption_holds')
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('entity_kind', 'varchar(63)', (c) => c.notNull())
        .addColumn('entity', 'varchar(320)', (c) => c.notNull())
        .addColumn('holder', 'varchar(320)', (c) => c.notNull())
        .addColumn('acquired_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('disruption_holds_pk', ['team', 'entity_kind', 'entity'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('disruption_holds').execute();
    },
  };
}
