import type { Kysely } from 'kysely';
import type { EventRecord, ExceptionRecord, Risk } from '@gantry/model';
import { alertFromRow, type StoredAlert } from './alert-repository.ts';
import { eventFromRow } from './event-repository.ts';
import { exceptionFromRow } from './exception-repository.ts';
import { riskFromRow } from './risk-repository.ts';
import type { Database } from './schema.ts';

/**
 * Where a read of one table stopped, in that table's change order: `(at, seq)` for the tables ordered by a
 * time and their row id, `seq` alone for alerts (their change sequence, ADR 0012).
 */
export interface StreamPosition {
  /** The change time (ISO); absent for alerts. */
  at?: string;
  seq: number;
}

/** Ascending: changes after `after`, oldest first; descending: changes before it, newest first. */
export type StreamDirection = 'asc' | 'desc';

/** One row read for the health stream: the record, when its row was last written, and its position. */
export interface StreamRow<T> {
  record: T;
  changedAt: string;
  position: StreamPosition;
}

/**
 * The health stream's reads (ADR 0027): one team's records of each health table in the order their rows
 * were last written, from a position, bounded. Filters are the caller's: these reads only page.
 */
export class HealthStreamRepository {
  constructor(
    private readonly db: Kysely<Database>,
    /** Folds the alert journal (SQLite, ADR 0042) before alerts are read: `AlertRepository.settle`. */
    private readonly settleAlerts: (afterSeq?: number) => Promise<void> = () => Promise.resolve(),
  ) {}

  /** Gantry's own events (not the clusters'), by `(lastSeen, id)`: a folded repeat moves its row. */
  async events(
    team: string,
    after: StreamPosition | undefined,
    direction: StreamDirection,
    limit: number,
  ): Promise<StreamRow<EventRecord>[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('team', '=', team)
      .where('source', '=', 'gantry')
      .$if(after !== undefined, (q) =>
        q.where((eb) => {
          const { at = '', seq } = after!;
          const op = direction === 'asc' ? '>' : '<';
          return eb.or([eb('last_seen', op, at), eb.and([eb('last_seen', '=', at), eb('id', op, seq)])]);
        }),
      )
      .orderBy('last_seen', direction)
      .orderBy('id', direction)
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      record: eventFromRow(row),
      changedAt: row.last_seen,
      position: { at: row.last_seen, seq: Number(row.id) },
    }));
  }

  /** Alerts by their change sequence: every write takes the next number, in commit order. */
  async alerts(
    team: string,
    after: StreamPosition | undefined,
    direction: StreamDirection,
    limit: number,
  ): Promise<StreamRow<StoredAlert>[]> {
    await this.settleAlerts(after !== undefined && direction === 'asc' ? after.seq : undefined);
    const rows = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('team', '=', team)
      .$if(after !== undefined, (q) => q.where('seq', direction === 'asc' ? '>' : '<', after!.seq))
      .orderBy('seq', direction)
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      record: alertFromRow(row),
      changedAt: row.updated_at,
      position: { seq: Number(row.seq) },
    }));
  }

  /** The highest alert sequence number given so far: reading it first, a later read misses no alert. */
  async alertSeq(): Promise<number> {
    const row = await this.db
      .selectFrom('alert_seq')
      .select('value')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return Number(row.value);
  }

  /** Exceptions (and so failures) by `(updatedAt, seq)`: every write of a record moves it. */
  async exceptions(
    team: string,
    after: StreamPosition | undefined,
    direction: StreamDirection,
    limit: number,
  ): Promise<StreamRow<ExceptionRecord>[]> {
    const rows = await this.db
      .selectFrom('exceptions')
      .selectAll()
      .where('team', '=', team)
      .$if(after !== undefined, (q) =>
        q.where((eb) => {
          const { at = '', seq } = after!;
          const op = direction === 'asc' ? '>' : '<';
          return eb.or([eb('updated_at', op, at), eb.and([eb('updated_at', '=', at), eb('seq', op, seq)])]);
        }),
      )
      .orderBy('updated_at', direction)
      .orderBy('seq', direction)
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      record: exceptionFromRow(row),
      changedAt: row.updated_at,
      position: { at: row.updated_at, seq: Number(row.seq) },
    }));
  }

  /** Risks by `(goneAt or lastSeenAt, seq)`: an observation that sees one again, or its going, moves it. */
  async risks(
    team: string,
    after: StreamPosition | undefined,
    direction: StreamDirection,
    limit: number,
  ): Promise<StreamRow<Risk>[]> {
    const rows = await this.db
      .selectFrom('risks')
      .selectAll()
      .select((eb) => eb.fn.coalesce('gone_at', 'last_seen_at').as('changed_at'))
      .where('team', '=', team)
      .$if(after !== undefined, (q) =>
        q.where((eb) => {
          const changed = eb.fn.coalesce('gone_at', 'last_seen_at');
          const { at = '', seq } = after!;
          const op = direction === 'asc' ? '>' : '<';
          return eb.or([eb(changed, op, at), eb.and([eb(changed, '=', at), eb('seq', op, seq)])]);
        }),
      )
      .orderBy('changed_at', direction)
      .orderBy('seq', direction)
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      record: riskFromRow(row),
      changedAt: row.changed_at,
      position: { at: row.changed_at, seq: Number(row.seq) },
    }));
  }
}
