import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import type { Dialect } from './dialect.ts';
import { checkFence, type WriteFence } from './fence.ts';
import { GroupCommit } from './group-commit.ts';
import type { Database, NotificationTable } from './schema.ts';

/** What enqueue writes: one group notification for one channel. */
export interface OutboxEntry {
  team: string;
  channel: string;
  groupKey: string;
  /** Two enqueues with the same team and dedup key make one row (the second is a no-op). */
  dedupKey: string;
  status: string;
  alertCount: number;
  /** The message as JSON text. */
  message: string;
}

export interface StoredNotification {
  seq: number;
  id: string;
  team: string;
  channel: string;
  groupKey: string;
  dedupKey: string;
  state: string;
  status: string;
  alertCount: number;
  message: string;
  attempts: number;
  dueAt: number;
  claimedBy: string | null;
  leaseUntil: number | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
  lastError: string | null;
}

/** A row a worker now holds: `interrupted` when its previous claimant's lease ran out mid-attempt. */
export interface ClaimedNotification extends StoredNotification {
  claimToken: string;
  interrupted: boolean;
  /** The claimant whose lease ran out, when interrupted. */
  previousClaimant: string | null;
}

export interface StoredAttempt {
  attempt: number;
  at: string;
  latencyMs: number;
  outcome: string;
  statusCode: number | null;
  errorClass: string | null;
  error: string | null;
  response: string | null;
  server: string;
}

/** How a claim ends: the row's next state and the attempts made under the claim. */
export interface ClaimOutcome {
  state: 'pending' | 'delivered' | 'failed';
  /** While pending: when the row is due again (ms). */
  dueAt: number;
  attempts: readonly StoredAttempt[];
  lastError: string | null;
  deliveredAt: string | null;
}

export interface NotificationRecordQuery {
  team: string;
  channel?: string;
  state?: string;
  groupKey?: string;
  since?: string;
  /** Resume after this seq (listing is newest first). */
  afterSeq?: number;
  limit: number;
}

const ACTIVE = ['pending', 'sending'];
/** States a row never leaves: what retention deletes. */
const FINISHED = ['delivered', 'failed', 'superseded'];

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The first pending row from some position in `notifications_claim` (the claim's channel seek). */
type PendingSeek = SelectQueryBuilder<
  Database,
  'notifications',
  Pick<Selectable<NotificationTable>, 'team' | 'channel' | 'due_at'>
>;

/**
 * The notification outbox (ADR 0014). Rows are claimed with a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`,
 * so servers never claim the same row; SQLite: one process, transactions in turn); a claim is ended by
 * `finish` or `release` with its token, so a claimant whose lease was taken over writes nothing.
 */
export class NotificationRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Writes the row unless one with the same team and dedup key exists; returns its id either way. A new
   * row supersedes the older rows of its team, channel and group that are still pending (a group
   * notification carries the group's whole state, so only the newest one is worth sending). Resolves after
   * the commit; enqueues made together (a burst of group flushes) share one transaction (GroupCommit).
   *
   * With `fence` (the alert dispatcher's term, ADR 0028) only while that term is current: the lease row is
   * read in the same transaction (`checkFence`, one primary-key read per distinct fence in a batch), else
   * `FencedWriteRefused` and nothing is written. A batch with a refused item is written again item by
   * item, so only the refused enqueues fail.
   */
  enqueue(entry: OutboxEntry, now: number, fence?: WriteFence): Promise<{ id: string; created: boolean }> {
    return this.#enqueues.submit({ entry, now, ...(fence ? { fence } : {}) });
  }

  readonly #enqueues = new GroupCommit<
    { entry: OutboxEntry; now: number; fence?: WriteFence },
    { id: string; created: boolean }
  >((items) => this.#enqueueMany(items));

  async #enqueueMany(
    items: readonly { entry: OutboxEntry; now: number; fence?: WriteFence }[],
  ): Promise<{ id: string; created: boolean }[]> {
    const fences = new Map<string, WriteFence>();
    for (const { fence } of items)
      if (fence) fences.set(`${fence.lease}\u0000${fence.holder}\u0000${fence.transitions}`, fence);
    // One lock order for every server (two servers may enqueue the same notifications after a failover).
    const order = items
      .map((item, index) => ({ ...item, index }))
      .sort((a, b) =>
        a.entry.team === b.entry.team
          ? compare(a.entry.dedupKey, b.entry.dedupKey)
          : compare(a.entry.team, b.entry.team),
      );
    return this.db.transaction().execute(async (tx) => {
      for (const fence of fences.values()) await checkFence(tx, this.dialect, fence);
      const results: { id: string; created: boolean }[] = [];
      for (const { entry, now, index } of order) {
        const at = new Date(now).toISOString();
        const groupHash = createHash('sha256').update(entry.groupKey).digest('hex');
        const inserted = await tx
          .insertInto('notifications')
          .values({
            id: randomUUID(),
            team: entry.team,
            channel: entry.channel,
            group_key: entry.groupKey,
            group_hash: groupHash,
            dedup_key: entry.dedupKey,
            state: 'pending',
            status: entry.status,
            alert_count: entry.alertCount,
            message: entry.message,
            attempts: 0,
            due_at: now,
            created_at: at,
            updated_at: at,
          })
          .onConflict((oc) => oc.columns(['team', 'dedup_key']).doNothing())
          .returning(['seq', 'id'])
          .executeTakeFirst();
        if (!inserted) {
          const existing = await tx
            .selectFrom('notifications')
            .select('id')
            .where('team', '=', entry.team)
            .where('dedup_key', '=', entry.dedupKey)
            .executeTakeFirstOrThrow();
          results[index] = { id: existing.id, created: false };
          continue;
        }
        await tx
          .updateTable('notifications')
          .set({ state: 'superseded', updated_at: at })
          .where('team', '=', entry.team)
          .where('channel', '=', entry.channel)
          .where('group_hash', '=', groupHash)
          .where('state', '=', 'pending')
          .where('seq', '<', Number(inserted.seq))
          .execute();
        results[index] = { id: inserted.id, created: true };
      }
      return results;
    });
  }

  /**
   * Claims up to `limit` rows that are due (pending and due, or sending with an expired lease), skipping
   * `exclude` (`team/channel` of channels this worker cannot send to now) and groups that another claim of
   * the same channel is sending (notifications of one group go out in order).
   *
   * Every read is an index range (migration 0018): the rows of expired leases by `(state, lease_until)`;
   * the channels that have pending rows by seeking from one channel to the next in
   * `(state, team, channel, due_at, seq)` (the first entry of each is its earliest due time, so a channel
   * with nothing due, or one that is excluded, costs one seek and none of its rows are read); then the
   * due rows of each channel that is not excluded, oldest due first, at most its capacity. No statement
   * sorts or walks every pending row, so a claim costs the same with 10 or 100,000 rows waiting.
   */
  async claim(options: {
    server: string;
    now: number;
    leaseMs: number;
    limit: number;
    exclude: readonly string[];
    /**
     * Most rows to claim per `team/channel` (its free slots on this server); `defaultCapacity` for the
     * others. A worker claims no more than it can start sending, so that a row it holds is one it sends
     * (an expired claim is then a send in doubt) and other servers take the rest.
     */
    capacity?: Readonly<Record<string, number>>;
    defaultCapacity?: number;
  }): Promise<ClaimedNotification[]> {
    const { now } = options;
    const excluded = new Set(options.exclude);
    const capacity = new Map(Object.entries(options.capacity ?? {}));
    const defaultCapacity = options.defaultCapacity ?? options.limit;
    const room = new Map<string, number>();
    const roomOf = (key: string) => room.get(key) ?? capacity.get(key) ?? defaultCapacity;
    const token = randomUUID();
    const postgres = this.dialect === 'postgres';
    return this.db.transaction().execute(async (tx) => {
      const picked: { seq: number; state: string; claimed_by: string | null }[] = [];
      const take = (row: {
        seq: number;
        state: string;
        claimed_by: string | null;
        team: string;
        channel: string;
      }) => {
        const key = channelKey(row.team, row.channel);
        const left = roomOf(key);
        if (excluded.has(key) || left <= 0 || picked.length >= options.limit) return;
        room.set(key, left - 1);
        picked.push({ seq: Number(row.seq), state: row.state, claimed_by: row.claimed_by });
      };
      // Rows whose claimant's lease ran out (a dead or stalled server): taken over first, they are the oldest.
      // Those of excluded or full channels stay locked by nobody once this transaction ends.
      const expired = await tx
        .selectFrom('notifications')
        .select(['seq', 'state', 'claimed_by', 'team', 'channel'])
        .where('state', '=', 'sending')
        .where('lease_until', '<', now)
        .orderBy('lease_until')
        .limit(options.limit)
        .$if(postgres, (q) => q.forUpdate().skipLocked())
        .execute();
      for (const row of expired) take(row);
      // The channels with pending rows, each with its earliest due time: one index seek per channel (two
      // at a team's last channel). Two plain ranges, not a row-value `(team, channel) > (?, ?)`, which
      // SQLite walks entry by entry through the rows of the channel it starts from.
      const channels: { team: string; channel: string; dueAt: number }[] = [];
      const firstPending = (where: (q: PendingSeek) => PendingSeek) =>
        where(
          tx
            .selectFrom('notifications')
            .select(['team', 'channel', 'due_at'])
            .where('state', '=', 'pending')
            .orderBy('team')
            .orderBy('channel')
            .orderBy('due_at')
            .orderBy('seq')
            .limit(1),
        ).executeTakeFirst();
      let next = await firstPending((q) => q);
      while (next) {
        const { team, channel } = next;
        if (Number(next.due_at) <= now) channels.push({ team, channel, dueAt: Number(next.due_at) });
        next =
          (await firstPending((q) => q.where('team', '=', team).where('channel', '>', channel))) ??
          (await firstPending((q) => q.where('team', '>', team)));
      }
      channels.sort((a, b) => a.dueAt - b.dueAt);
      for (const { team, channel } of channels) {
        const key = channelKey(team, channel);
        const want = Math.min(roomOf(key), options.limit - picked.length);
        if (picked.length >= options.limit) break;
        if (excluded.has(key) || want <= 0) continue;
        const rows = await tx
          .selectFrom('notifications as n')
          .select(['n.seq', 'n.state', 'n.claimed_by', 'n.team', 'n.channel'])
          .where('n.state', '=', 'pending')
          .where('n.team', '=', team)
          .where('n.channel', '=', channel)
          .where('n.due_at', '<=', now)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('notifications as o')
                  .select('o.seq')
                  .where('o.team', '=', team)
                  .where('o.channel', '=', channel)
                  .where('o.state', '=', 'sending')
                  .whereRef('o.group_key', '=', 'n.group_key')
                  .where('o.lease_until', '>=', now),
              ),
            ),
          )
          .orderBy('n.due_at')
          .orderBy('n.seq')
          .limit(want)
          .$if(postgres, (q) => q.forUpdate().skipLocked())
          .execute();
        for (const row of rows) take(row);
      }
      if (picked.length === 0) return [];
      const rows = await tx
        .updateTable('notifications')
        .set({
          state: 'sending',
          claimed_by: options.server,
          claim_token: token,
          lease_until: now + options.leaseMs,
          updated_at: new Date(now).toISOString(),
        })
        .where(
          'seq',
          'in',
          picked.map((row) => row.seq),
        )
        .returningAll()
        .execute();
      const interrupted = new Map(
        picked.filter((row) => row.state === 'sending').map((row) => [row.seq, row.claimed_by]),
      );
      return rows
        .map((row) => ({
          ...fromRow(row),
          claimToken: token,
          interrupted: interrupted.has(Number(row.seq)),
          previousClaimant: interrupted.get(Number(row.seq)) ?? null,
        }))
        .sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq);
    });
  }

  /** Moves the lease of every row this claim token still holds; returns how many it holds. */
  async renew(claimTokens: readonly string[], leaseUntil: number): Promise<number> {
    if (claimTokens.length === 0) return 0;
    const result = await this.db
      .updateTable('notifications')
      .set({ lease_until: leaseUntil })
      .where('claim_token', 'in', claimTokens)
      .where('state', '=', 'sending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Ends a claim: records its attempts and the row's next state, in one transaction, if the claim still
   * holds the row. False when another claimant took it over (nothing written).
   */
  finish(row: { seq: number; claimToken: string }, outcome: ClaimOutcome, now: number): Promise<boolean> {
    return this.#finishes.submit({ row, outcome, now });
  }

  /** Finishes of sends that end together share one transaction; each applies only under its claim token. */
  readonly #finishes = new GroupCommit<
    { row: { seq: number; claimToken: string }; outcome: ClaimOutcome; now: number },
    boolean
  >((items) =>
    this.db.transaction().execute(async (tx) => {
      const results: boolean[] = [];
      for (const { row, outcome, now } of items) results.push(await finishOne(tx, row, outcome, now));
      return results;
    }),
  );

  /** Gives a claimed row back untouched (no attempt made), due again at `dueAt`. */
  async release(row: { seq: number; claimToken: string }, dueAt: number, now: number): Promise<void> {
    await this.db
      .updateTable('notifications')
      .set({
        state: 'pending',
        due_at: dueAt,
        claimed_by: null,
        claim_token: null,
        lease_until: null,
        updated_at: new Date(now).toISOString(),
      })
      .where('seq', '=', row.seq)
      .where('claim_token', '=', row.claimToken)
      .execute();
  }

  /**
   * Deletes up to `limit` finished rows (delivered, failed, superseded) last changed before `before` (an
   * ISO time), oldest first, with their attempts, in one transaction; answers how many rows it deleted.
   * Retention calls it until it answers less than `limit`.
   */
  async deleteFinishedBefore(before: string, limit: number): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('notifications')
        .select('seq')
        .where('state', 'in', FINISHED)
        .where('updated_at', '<', before)
        .orderBy('updated_at')
        .limit(limit)
        .execute();
      if (rows.length === 0) return 0;
      const seqs = rows.map((row) => Number(row.seq));
      await tx.deleteFrom('notification_attempts').where('notification_seq', 'in', seqs).execute();
      const deleted = await tx.deleteFrom('notifications').where('seq', 'in', seqs).executeTakeFirst();
      return Number(deleted.numDeletedRows);
    });
  }

  /** The earliest time a pending row is due, for the worker's next wake-up. */
  async nextDue(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('notifications')
      .select((eb) => eb.fn.min('due_at').as('due'))
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return row?.due === null || row?.due === undefined ? undefined : Number(row.due);
  }

  /** Rows still to be sent (pending or sending). */
  async countActive(): Promise<number> {
    const row = await this.db
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('state', 'in', ACTIVE)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async query(query: NotificationRecordQuery): Promise<{ items: StoredNotification[]; next?: number }> {
    let select = this.db.selectFrom('notifications').selectAll().where('team', '=', query.team);
    if (query.channel !== undefined) select = select.where('channel', '=', query.channel);
    if (query.state !== undefined) select = select.where('state', '=', query.state);
    if (query.groupKey !== undefined) select = select.where('group_key', '=', query.groupKey);
    if (query.since !== undefined) select = select.where('created_at', '>=', query.since);
    if (query.afterSeq !== undefined) select = select.where('seq', '<', query.afterSeq);
    const rows = await select
      .orderBy('seq', 'desc')
      .limit(query.limit + 1)
      .execute();
    const items = rows.slice(0, query.limit).map(fromRow);
    const last = items.at(-1);
    return rows.length > query.limit && last ? { items, next: last.seq } : { items };
  }

  async get(
    team: string,
    id: string,
  ): Promise<{ notification: StoredNotification; attempts: StoredAttempt[] } | undefined> {
    const row = await this.db
      .selectFrom('notifications')
      .selectAll()
      .where('team', '=', team)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const attempts = await this.db
      .selectFrom('notification_attempts')
      .selectAll()
      .where('notification_seq', '=', Number(row.seq))
      .orderBy('attempt')
      .execute();
    return {
      notification: fromRow(row),
      attempts: attempts.map((a) => ({
        attempt: a.attempt,
        at: a.at,
        latencyMs: Number(a.latency_ms),
        outcome: a.outcome,
        statusCode: a.status_code,
        errorClass: a.error_class,
        error: a.error,
        response: a.response,
        server: a.server,
      })),
    };
  }
}

/** One claim's end: the row's next state if the claim still holds it, and its attempts. */
async function finishOne(
  tx: Kysely<Database>,
  row: { seq: number; claimToken: string },
  outcome: ClaimOutcome,
  now: number,
): Promise<boolean> {
  const updated = await tx
    .updateTable('notifications')
    .set((eb) => ({
      state: outcome.state,
      due_at: outcome.dueAt,
      attempts: eb('attempts', '+', outcome.attempts.length),
      claimed_by: null,
      claim_token: null,
      lease_until: null,
      last_error: outcome.lastError,
      delivered_at: outcome.deliveredAt,
      updated_at: new Date(now).toISOString(),
    }))
    .where('seq', '=', row.seq)
    .where('claim_token', '=', row.claimToken)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) return false;
  if (outcome.attempts.length > 0) {
    await tx
      .insertInto('notification_attempts')
      .values(
        outcome.attempts.map((attempt) => ({
          notification_seq: row.seq,
          attempt: attempt.attempt,
          at: attempt.at,
          latency_ms: attempt.latencyMs,
          outcome: attempt.outcome,
          status_code: attempt.statusCode,
          error_class: attempt.errorClass,
          error: attempt.error,
          response: attempt.response,
          server: attempt.server,
        })),
      )
      .execute();
  }
  return true;
}

/** How the worker and the claim name a channel: team names are DNS labels, so `/` cannot be part of one. */
export function channelKey(team: string, channel: string): string {
  return `${team}/${channel}`;
}

function fromRow(row: Selectable<NotificationTable>): StoredNotification {
  return {
    seq: Number(row.seq),
    id: row.id,
    team: row.team,
    channel: row.channel,
    groupKey: row.group_key,
    dedupKey: row.dedup_key,
    state: row.state,
    status: row.status,
    alertCount: row.alert_count,
    message: row.message,
    attempts: row.attempts,
    dueAt: Number(row.due_at),
    claimedBy: row.claimed_by,
    leaseUntil: row.lease_until === null ? null : Number(row.lease_until),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
    lastError: row.last_error,
  };
}
