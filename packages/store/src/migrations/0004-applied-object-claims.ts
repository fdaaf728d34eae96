import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Finding which application applied an object (`claimedByOthers`: by team, cluster and ref, any app) had
 * only the primary key (team, app, cluster, ref) to go on, so it scanned every record of the team on that
 * cluster: 2 ms a lookup at 300 applications, growing with the fleet. This index answers it directly.
 */
export function appliedObjectClaims(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createIndex('applied_objects_by_ref')
        .on('applied_objects')
        .columns(['team', 'cluster', 'ref'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('applied_objects_by_ref').execute();
    },
  };
}
