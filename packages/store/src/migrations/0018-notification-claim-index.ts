import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Indexes for the outbox's claim and retention (ADR 0014), and the dispatcher's flap histories (ADR 0013).
 *
 * - `notifications_claim` (state, team, channel, due_at, seq): a claim reads the due pending rows of one
 *   channel in order, and finds the channels that have pending rows by seeking from one to the next, so it
 *   never sorts or walks every pending row, and the rows of a channel whose slots are busy are not read.
 * - `notifications_lease` (state, lease_until): rows of a claimant whose lease ran out.
 * - `notifications_finished` (state, updated_at): retention deletes delivered, failed and superseded rows
 *   oldest first.
 * - `group_hash` (sha256 of the group key) and `notifications_group` (team, channel, group_hash, state): an
 *   enqueue supersedes the pending rows of its group through the index instead of reading every pending
 *   row of the channel (group keys can be longer than an index entry allows, hence the hash). Rows written
 *   before this migration have none and are never superseded; they are sent as they are.
 * - `alert_flap_state`: per team and fingerprint, the transitions the flap detector counts, so that a new
 *   leader (a restart, a failover) goes on with the same histories.
 */
export function notificationClaimIndex(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('notifications').addColumn('group_hash', 'varchar(64)').execute();
      await db.schema
        .createIndex('notifications_group')
        .on('notifications')
        .columns(['team', 'channel', 'group_hash', 'state'])
        .execute();
      await db.schema
        .createIndex('notifications_claim')
        .on('notifications')
        .columns(['state', 'team', 'channel', 'due_at', 'seq'])
        .execute();
      await db.schema
        .createIndex('notifications_lease')
        .on('notifications')
        .columns(['state', 'lease_until'])
        .execute();
      await db.schema
        .createIndex('notifications_finished')
        .on('notifications')
        .columns(['state', 'updated_at'])
        .execute();
      await db.schema
        .createTable('alert_flap_state')
        .addColumn('team', 'varchar(63)', (c) => c.notNull())
        .addColumn('fingerprint', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('changes', 'text', (c) => c.notNull())
        .addColumn('flapping', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('alert_flap_state_pk', ['team', 'fingerprint'])
        .execute();
      await db.schema
        .createIndex('alert_flap_state_by_update')
        .on('alert_flap_state')
        .column('updated_at')
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('alert_flap_state').execute();
      await db.schema.dropIndex('notifications_finished').execute();
      await db.schema.dropIndex('notifications_group').execute();
      await db.schema.alterTable('notifications').dropColumn('group_hash').execute();
      await db.schema.dropIndex('notifications_lease').execute();
      await db.schema.dropIndex('notifications_claim').execute();
    },
  };
}
