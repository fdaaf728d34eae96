import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Dialect } from './dialect.ts';
import { checkFence, type WriteFence } from './fence.ts';
import { GroupCommit } from './group-commit.ts';
import type { Database } from './schema.ts';

/** One notification log entry (the alert dispatcher's NotificationLogEntry, field for field). */
export interface AlertNotificationLogRow {
  team: string;
  groupKey: string;
  receiver: string;
  sequence: number;
  firing: string[];
  resolved: string[];
  flapping: string[];
  owed: string[];
  /** Milliseconds since the epoch. */
  sentAt: number;
  expiresAt: number;
}

/** A saved flap history of one alert (the dispatcher's FlapRecord, field for field). */
export interface AlertFlapRow {
  team: string;
  fingerprint: string;
  status: 'firing' | 'resolved';
  changes: number[];
  flapping: boolean;
  updatedAt: number;
}

const keyOf = (team: string, groupKey: string, receiver: string) =>
  createHash('sha256').update(`${team}\u0000${groupKey}\u0000${receiver}`).digest('hex');

const list = (text: string): string[] => JSON.parse(text) as string[];

/**
 * The alert dispatcher's durable state (ADR 0013): its notification log, on SQLite and PostgreSQL. It
 * implements @gantry/alerts' NotificationLog. A write never goes back: an entry is replaced only by one
 * with a higher sequence, so a deposed leader finishing a late flush cannot undo its successor's record.
 */
export class AlertDispatchRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Checks each distinct fence of a batch in its transaction (ADR 0028: the dispatcher of a term writes
   * with the term's fence). A refusal fails the batch; the group commit then writes its items one by one,
   * so only the refused writes fail.
   */
  async #checkFences(tx: Transaction<Database>, items: readonly { fence?: WriteFence }[]): Promise<void> {
    const fences = new Map<string, WriteFence>();
    for (const { fence } of items)
      if (fence) fences.set(`${fence.lease}\u0000${fence.holder}\u0000${fence.transitions}`, fence);
    for (const fence of fences.values()) await checkFence(tx, this.dialect, fence);
  }

  async list(team: string): Promise<AlertNotificationLogRow[]> {
    const rows = await this.db
      .selectFrom('alert_notification_log')
      .selectAll()
      .where('team', '=', team)
      .orderBy('key')
      .execute();
    return rows.map((row) => ({
      team: row.team,
      groupKey: row.group_key,
      receiver: row.receiver,
      sequence: Number(row.sequence),
      firing: list(row.firing),
      resolved: list(row.resolved),
      flapping: list(row.flapping),
      owed: list(row.owed),
      sentAt: Number(row.sent_at),
      expiresAt: Number(row.expires_at),
    }));
  }

  /**
   * Writes an entry; entries recorded together (a burst of group flushes) share one transaction. With
   * `fence` only while that term is current (`FencedWriteRefused` otherwise, nothing written).
   */
  record(entry: AlertNotificationLogRow, fence?: WriteFence): Promise<void> {
    return this.#records.submit({ entry, ...(fence ? { fence } : {}) });
  }

  readonly #records = new GroupCommit<{ entry: AlertNotificationLogRow; fence?: WriteFence }, void>(
    async (items) => {
      // One lock order on PostgreSQL, whatever order the flushes came in.
      const sorted = items
        .map(({ entry }) => ({ entry, key: keyOf(entry.team, entry.groupKey, entry.receiver) }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      await this.db.transaction().execute(async (tx) => {
        await this.#checkFences(tx, items);
        for (const { entry, key } of sorted) await this.#upsert(tx, entry, key);
      });
      return items.map(() => undefined);
    },
  );

  async #upsert(db: Kysely<Database>, entry: AlertNotificationLogRow, key: string): Promise<void> {
    const values = {
      key,
      team: entry.team,
      group_key: entry.groupKey,
      receiver: entry.receiver,
      sequence: entry.sequence,
      firing: JSON.stringify(entry.firing),
      resolved: JSON.stringify(entry.resolved),
      flapping: JSON.stringify(entry.flapping),
      owed: JSON.stringify(entry.owed),
      sent_at: entry.sentAt,
      expires_at: entry.expiresAt,
    };
    await db
      .insertInto('alert_notification_log')
      .values(values)
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({
            sequence: values.sequence,
            firing: values.firing,
            resolved: values.resolved,
            flapping: values.flapping,
            owed: values.owed,
            sent_at: values.sent_at,
            expires_at: values.expires_at,
          })
          .where('alert_notification_log.sequence', '<', values.sequence),
      )
      .execute();
  }

  /** Forgets entries whose `expiresAt` has passed; answers how many. */
  async purge(now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('alert_notification_log')
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The team's flap histories (migration 0018), read when a dispatcher starts leading. */
  async listFlaps(team: string): Promise<AlertFlapRow[]> {
    const rows = await this.db.selectFrom('alert_flap_state').selectAll().where('team', '=', team).execute();
    return rows.map((row) => ({
      team: row.team,
      fingerprint: row.fingerprint,
      status: row.status === 'resolved' ? 'resolved' : 'firing',
      changes: JSON.parse(row.changes) as number[],
      flapping: row.flapping === 1,
      updatedAt: Number(row.updated_at),
    }));
  }

  /** Creates or replaces a flap history; those saved together share one transaction. `fence`: as `record`. */
  saveFlap(record: AlertFlapRow, fence?: WriteFence): Promise<void> {
    return this.#flaps.submit({ record, ...(fence ? { fence } : {}) });
  }

  readonly #flaps = new GroupCommit<{ record: AlertFlapRow; fence?: WriteFence }, void>(async (items) => {
    await this.db.transaction().execute(async (tx) => {
      await this.#checkFences(tx, items);
      for (const { record } of items) {
        const values = {
          team: record.team,
          fingerprint: record.fingerprint,
          status: record.status,
          changes: JSON.stringify(record.changes),
          flapping: record.flapping ? 1 : 0,
          updated_at: record.updatedAt,
        };
        await tx
          .insertInto('alert_flap_state')
          .values(values)
          .onConflict((oc) =>
            oc.columns(['team', 'fingerprint']).doUpdateSet({
              status: values.status,
              changes: values.changes,
              flapping: values.flapping,
              updated_at: values.updated_at,
            }),
          )
          .execute();
      }
    });
    return items.map(() => undefined);
  });

  /** Forgets flap histories last changed before `before` (ms); answers how many. */
  async purgeFlaps(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('alert_flap_state')
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
