import { sql, type Kysely, type Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The health stream's reads (ADR 0027) as index ranges rather than sorts of a team's rows: exceptions by
 * `(team, updated_at, seq)`, risks by `(team, coalesce(gone_at, last_seen_at), seq)` (the expression the
 * stream orders by, so both databases use it) and Gantry's own events by `(team, source, last_seen, id)`.
 */
export function healthStreamIndexes(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createIndex('exceptions_by_team_update')
        .on('exceptions')
        .columns(['team', 'updated_at', 'seq'])
        .execute();
      await sql`create index risks_by_team_change on risks (team, (coalesce(gone_at, last_seen_at)), seq)`.execute(
        db,
      );
      await db.schema
        .createIndex('events_by_team_source_time')
        .on('events')
        .columns(['team', 'source', 'last_seen', 'id'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('events_by_team_source_time').execute();
      await db.schema.dropIndex('risks_by_team_change').execute();
      await db.schema.dropIndex('exceptions_by_team_update').execute();
    },
  };
}
