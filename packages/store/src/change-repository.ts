import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.ts';
import type { Database } from './schema.ts';
import type { WriteFence } from './fence.ts';
import { advanceBudgetEpoch } from './disruption-hold-repository.ts';

/**
 * Who may write a change's journal: the holder of a lease in one term. `transitions` is the lease row's
 * count of changes of holder, so a server that lost the lease and took it again is in a new term.
 */
export type JournalFence = WriteFence;

export function fenceTerm(fence: JournalFence): string {
  return `${fence.holder}#${fence.transitions}`;
}

export interface JournalEntryInput {
  /** The idempotency key of the step, unique per change: `batch/2/apply/east/node-7`. */
  key: string;
  type: string;
  batch?: number;
  entity?: string;
  at: string;
  data?: Record<string, unknown>;
}

export interface StoredJournalEntry extends Required<Omit<JournalEntryInput, 'batch' | 'entity'>> {
  seq: number;
  batch?: number;
  entity?: string;
  term: string;
}

export interface ChangeIdentity {
  team: string;
  name: string;
  uid: string;
}

export type AppendResult =
  | { ok: true; entries: StoredJournalEntry[] }
  /** The lease is another's (or another term's): nothing was written. */
  | { ok: false; reason: 'Fenced'; holder?: string }
  /** A step with one of these keys, or a row at one of these numbers, exists: nothing was written. */
  | { ok: false; reason: 'Conflict' }
  /** The team's disruption budget epoch moved since the caller counted: nothing was written; count again. */
  | { ok: false; reason: 'EpochMoved' };

/** An append that takes entities out under the shared budget: the team's epoch read before counting. */
export interface BudgetTake {
  team: string;
  epoch: number;
}

export interface StoredChangeRequest {
  id: string;
  team: string;
  change: string;
  uid: string;
  action: string;
  actor: string;
  reason: string;
  requestedAt: string;
  handledAt?: string;
}

export interface StoredLineStop {
  id: string;
  team: string;
  stoppedBy: string;
  reason: string;
  stoppedAt: string;
  releasedBy?: string;
  releaseReason?: string;
  releasedAt?: string;
}

class Rejected extends Error {
  constructor(readonly result: Extract<AppendResult, { ok: false }>) {
    super(result.reason);
  }
}

/**
 * Changes' durable state (ADR 0026): the journal of each change, the pause/resume/abort requests, and
 * stop-the-line. The journal is append-only and fenced: `append` checks, in its transaction, that the
 * lease row still names the writer's holder and term (on PostgreSQL with the row locked `FOR SHARE`, so a
 * take-over waits for the append to commit and the new holder reads it), and writes all of its steps or
 * none.
 */
export class ChangeRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  async append(
    fence: JournalFence,
    change: ChangeIdentity,
    firstSeq: number,
    entries: readonly JournalEntryInput[],
    handled?: { requests: readonly string[]; at: string },
    take?: BudgetTake,
  ): Promise<AppendResult> {
    const term = fenceTerm(fence);
    try {
      const stored = await this.db.transaction().execute(async (tx) => {
        const lease = await tx
          .selectFrom('leases')
          .select(['holder', 'transitions'])
          .where('name', '=', fence.lease)
          .$if(this.dialect === 'postgres', (q) => q.forShare())
          .executeTakeFirst();
        if (!lease || lease.holder !== fence.holder || lease.transitions !== fence.transitions)
          throw new Rejected({ ok: false, reason: 'Fenced', ...(lease ? { holder: lease.holder } : {}) });
        if (take && !(await advanceBudgetEpoch(tx, take.team, take.epoch)))
          throw new Rejected({ ok: false, reason: 'EpochMoved' });
        const rows = entries.map((entry, index) => ({
          uid: change.uid,
          seq: firstSeq + index,
          team: change.team,
          change_name: change.name,
          step_key: entry.key,
          type: entry.type,
          batch: entry.batch ?? null,
          entity: entry.entity ?? null,
          at: entry.at,
          term,
          data: JSON.stringify(entry.data ?? {}),
        }));
        if (rows.length > 0) {
          const inserted = await tx
            .insertInto('change_journal')
            .values(rows)
            .onConflict((oc) => oc.doNothing())
            .executeTakeFirst();
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== rows.length)
            throw new Rejected({ ok: false, reason: 'Conflict' });
        }
        if (handled && handled.requests.length > 0)
          await tx
            .updateTable('change_requests')
            .set({ handled_at: handled.at })
            .where('id', 'in', handled.requests.map(Number))
            .where('handled_at', 'is', null)
            .execute();
        return rows.map((row) => toEntry(row));
      });
      return { ok: true, entries: stored };
    } catch (error) {
      if (error instanceof Rejected) return error.result;
      throw error;
    }
  }

  /** The journal of a change after `afterSeq`, in order; at most `limit` steps when given. */
  async entries(uid: string, afterSeq = -1, limit?: number): Promise<StoredJournalEntry[]> {
    const rows = await this.db
      .selectFrom('change_journal')
      .selectAll()
      .where('uid', '=', uid)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .$if(limit !== undefined, (q) => q.limit(limit!))
      .execute();
    return rows.map((row) => toEntry(row));
  }

  /** One step of a change's journal by its key, if written. */
  async entry(uid: string, key: string): Promise<StoredJournalEntry | undefined> {
    const row = await this.db
      .selectFrom('change_journal')
      .selectAll()
      .where('uid', '=', uid)
      .where('step_key', '=', key)
      .executeTakeFirst();
    return row ? toEntry(row) : undefined;
  }

  /** Forgets the journals and requests of a deleted change (every uid it had under that name but `keep`). */
  async deleteChange(team: string, name: string, keep?: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .deleteFrom('change_journal')
        .where('team', '=', team)
        .where('change_name', '=', name)
        .$if(keep !== undefined, (q) => q.where('uid', '!=', keep!))
        .execute();
      await tx
        .deleteFrom('change_requests')
        .where('team', '=', team)
        .where('change_name', '=', name)
        .$if(keep !== undefined, (q) => q.where('uid', '!=', keep!))
        .execute();
    });
  }

  async deleteTeam(team: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('change_journal').where('team', '=', team).execute();
      await tx.deleteFrom('change_requests').where('team', '=', team).execute();
    });
  }

  async request(input: Omit<StoredChangeRequest, 'id' | 'handledAt'>): Promise<StoredChangeRequest> {
    const row = await this.db
      .insertInto('change_requests')
      .values({
        team: input.team,
        change_name: input.change,
        uid: input.uid,
        action: input.action,
        actor: input.actor,
        reason: input.reason,
        requested_at: input.requestedAt,
        handled_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { ...input, id: String(row.id) };
  }

  /** Requests not yet carried out, oldest first. */
  async pendingRequests(uid: string): Promise<StoredChangeRequest[]> {
    const rows = await this.db
      .selectFrom('change_requests')
      .selectAll()
      .where('uid', '=', uid)
      .where('handled_at', 'is', null)
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      id: String(row.id),
      team: row.team,
      change: row.change_name,
      uid: row.uid,
      action: row.action,
      actor: row.actor,
      reason: row.reason,
      requestedAt: row.requested_at,
    }));
  }

  /** Stops the line for `team` (`''`: the fleet). A line already stopped there is stopped again, once more on record. */
  async stopLine(input: {
    team: string;
    actor: string;
    reason: string;
    at: string;
  }): Promise<StoredLineStop> {
    const row = await this.db
      .insertInto('change_line_stops')
      .values({
        team: input.team,
        stopped_by: input.actor,
        reason: input.reason,
        stopped_at: input.at,
        released_by: null,
        release_reason: null,
        released_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return {
      id: String(row.id),
      team: input.team,
      stoppedBy: input.actor,
      reason: input.reason,
      stoppedAt: input.at,
    };
  }

  /** Releases every active stop of `team` (`''`: the fleet's); returns them as released. */
  async releaseLine(input: {
    team: string;
    actor: string;
    reason: string;
    at: string;
  }): Promise<StoredLineStop[]> {
    return this.db.transaction().execute(async (tx) => {
      const active = await tx
        .selectFrom('change_line_stops')
        .selectAll()
        .where('team', '=', input.team)
        .where('released_at', 'is', null)
        .execute();
      if (active.length === 0) return [];
      await tx
        .updateTable('change_line_stops')
        .set({ released_by: input.actor, release_reason: input.reason, released_at: input.at })
        .where(
          'id',
          'in',
          active.map((row) => row.id),
        )
        .execute();
      return active.map((row) =>
        toStop({ ...row, released_by: input.actor, release_reason: input.reason, released_at: input.at }),
      );
    });
  }

  /** Active stops of these teams (pass `''` for the fleet's), oldest first. */
  async activeStops(teams: readonly string[]): Promise<StoredLineStop[]> {
    if (teams.length === 0) return [];
    const rows = await this.db
      .selectFrom('change_line_stops')
      .selectAll()
      .where('team', 'in', teams)
      .where('released_at', 'is', null)
      .orderBy('id')
      .execute();
    return rows.map(toStop);
  }

  /** The newest stops (active and released) of these teams, newest first. */
  async stops(teams: readonly string[], limit: number): Promise<StoredLineStop[]> {
    if (teams.length === 0) return [];
    const rows = await this.db
      .selectFrom('change_line_stops')
      .selectAll()
      .where('team', 'in', teams)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toStop);
  }
}

function toEntry(row: Database['change_journal']): StoredJournalEntry {
  return {
    seq: Number(row.seq),
    key: row.step_key,
    type: row.type,
    ...(row.batch !== null ? { batch: Number(row.batch) } : {}),
    ...(row.entity !== null ? { entity: row.entity } : {}),
    at: row.at,
    term: row.term,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}

function toStop(row: {
  id: number;
  team: string;
  stopped_by: string;
  reason: string;
  stopped_at: string;
  released_by: string | null;
  release_reason: string | null;
  released_at: string | null;
}): StoredLineStop {
  return {
    id: String(row.id),
    team: row.team,
    stoppedBy: row.stopped_by,
    reason: row.reason,
    stoppedAt: row.stopped_at,
    ...(row.released_by !== null ? { releasedBy: row.released_by } : {}),
    ...(row.release_reason !== null ? { releaseReason: row.release_reason } : {}),
    ...(row.released_at !== null ? { releasedAt: row.released_at } : {}),
  };
}
