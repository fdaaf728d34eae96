import { InputError, type ExceptionSeverity, type HealthStreamPage } from '@gantry/model';
import { authorize, type Caller } from '@gantry/identity';
import type { HealthStreamRepository } from '@gantry/store';
import {
  decodeStreamContinue,
  decodeStreamCursor,
  encodeStreamContinue,
  encodeStreamCursor,
} from './cursor.ts';
import { decodeStreamFilter, matchesStream, tablesOf, toStreamItem } from './items.ts';
import { mergeTables, type StreamPositions, type StreamTable, type TableReader } from './merge.ts';

/** The query of `GET /api/teams/{team}/health/stream`, as the route hands it over. */
export interface HealthStreamRequest {
  kinds?: string;
  severity?: ExceptionSeverity;
  level?: string;
  entity?: string;
  cluster?: string;
  q?: string;
  since?: string;
  continue?: string;
  limit: number;
}

export interface HealthStreamOptions {
  repository: Pick<HealthStreamRepository, 'events' | 'alerts' | 'alertSeq' | 'exceptions' | 'risks'>;
  /** Milliseconds since the epoch. */
  now: () => number;
  /**
   * How far back a `since` read looks again once it has caught up, for rows written with a time older
   * than their commit (ADR 0027). Items seen again are the same items: the client keeps one per key.
   */
  settleMs?: number;
}

/** Most rows one answer reads past, per item it may keep, so that a narrow filter costs a bounded read. */
const SCAN_FACTOR = 20;
export const STREAM_SETTLE_MS = 30_000;

/**
 * The health stream (ADR 0027): a team's Gantry events, alerts, risks, exceptions and failures in one
 * answer, each in its state now. Without `since`: the newest changes first, older pages by `continue`, and a
 * `cursor`; with `since`: what changed after that cursor, oldest first, bounded (`more` says there is more).
 */
export class HealthStreamService {
  readonly #settleMs: number;

  constructor(private readonly options: HealthStreamOptions) {
    this.#settleMs = options.settleMs ?? STREAM_SETTLE_MS;
  }

  async read(caller: Caller, team: string, request: HealthStreamRequest): Promise<HealthStreamPage> {
    authorize(caller.principal, 'read', team, `the health of team ${team}`);
    if (request.since !== undefined && request.continue !== undefined)
      throw new InputError('since and continue do not go together', [
        { path: 'querystring/continue', message: 'must be absent with since' },
      ]);
    const filter = decodeStreamFilter(request);
    const since = request.since !== undefined ? decodeStreamCursor(request.since) : undefined;
    const older = request.continue !== undefined ? decodeStreamContinue(request.continue) : undefined;
    const now = new Date(this.options.now());
    const nowIso = now.toISOString();
    // Read before the rows: every alert numbered up to it is committed, so a cursor at it skips none.
    const alertSeq = await this.options.repository.alertSeq();
    const settled = new Date(now.getTime() - this.#settleMs).toISOString();
    const caughtUp = (table: StreamTable) =>
      table === 'alert' ? { seq: alertSeq } : { at: settled, seq: 0 };

    const done = new Set(older?.done ?? []);
    const readers: Partial<Record<StreamTable, TableReader>> = {};
    for (const table of tablesOf(filter.kinds))
      if (!done.has(table)) readers[table] = this.#reader(team, table);
    const start: StreamPositions = { ...(since?.p ?? older?.p) };
    // A kind added to the filter since the cursor was made is followed from now on, not from the start.
    if (since) for (const table of Object.keys(readers) as StreamTable[]) start[table] ??= caughtUp(table);
    const merged = await mergeTables({
      readers,
      positions: start,
      direction: since ? 'asc' : 'desc',
      limit: request.limit,
      maxScan: request.limit * SCAN_FACTOR,
      accept: (row) => matchesStream(toStreamItem(row, nowIso), filter),
    });
    const items = merged.rows.map((row) => toStreamItem(row, nowIso));

    if (since) {
      const more = Object.keys(readers).some((table) => !merged.exhausted.has(table as StreamTable));
      // Caught up with every table: go on from "caught up" — alerts from the sequence read first, the
      // others from a settle window back, so that a row committed late with an older time is still read.
      // While there is more, each table goes on from its last row, so that every call makes progress.
      const positions: StreamPositions = { ...merged.positions };
      if (!more)
        for (const table of Object.keys(readers) as StreamTable[])
          positions[table] =
            table === 'alert' ? { seq: Math.max(positions.alert?.seq ?? 0, alertSeq) } : caughtUp(table);
      return { items, cursor: encodeStreamCursor(positions), more, now: nowIso };
    }
    const cursor: StreamPositions = {};
    for (const table of tablesOf(filter.kinds)) cursor[table] = caughtUp(table);
    for (const table of merged.exhausted) done.add(table);
    const remaining = Object.keys(readers).filter((table) => !merged.exhausted.has(table as StreamTable));
    return {
      items,
      cursor: encodeStreamCursor(cursor),
      more: false,
      ...(remaining.length > 0 ? { continue: encodeStreamContinue(merged.positions, done) } : {}),
      now: nowIso,
    };
  }

  #reader(team: string, table: StreamTable): TableReader {
    const repository = this.options.repository;
    switch (table) {
      case 'event':
        return (after, direction, limit) => repository.events(team, after, direction, limit);
      case 'alert':
        return (after, direction, limit) => repository.alerts(team, after, direction, limit);
      case 'exception':
        return (after, direction, limit) => repository.exceptions(team, after, direction, limit);
      case 'risk':
        return (after, direction, limit) => repository.risks(team, after, direction, limit);
    }
  }
}
