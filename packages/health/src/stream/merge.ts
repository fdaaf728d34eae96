import type { StreamDirection, StreamPosition, StreamRow } from '@gantry/store';

/** The tables the health stream reads; exceptions carry the failures too. */
export const STREAM_TABLES = ['event', 'alert', 'exception', 'risk'] as const;
export type StreamTable = (typeof STREAM_TABLES)[number];

/** Reads one table's rows beyond a position, in its change order (HealthStreamRepository). */
export type TableReader = (
  after: StreamPosition | undefined,
  direction: StreamDirection,
  limit: number,
) => Promise<StreamRow<unknown>[]>;

export type StreamPositions = Partial<Record<StreamTable, StreamPosition>>;

/** Rows read per table and round trip while a filter keeps few. */
const BATCH = 500;

export interface TaggedRow {
  table: StreamTable;
  row: StreamRow<unknown>;
}

export interface MergeRequest {
  readers: Partial<Record<StreamTable, TableReader>>;
  positions: StreamPositions;
  direction: StreamDirection;
  /** Most rows kept (accepted) in one answer. */
  limit: number;
  /** Most rows read past (kept or not) in one answer, so that a narrow filter costs a bounded read. */
  maxScan: number;
  accept: (row: TaggedRow) => boolean;
}

export interface MergeResult {
  rows: TaggedRow[];
  /** Each table's position after the rows taken from it (the start position when none was). */
  positions: StreamPositions;
  /** The tables read to their end: nothing lies beyond their position now. */
  exhausted: Set<StreamTable>;
}

/**
 * Reads several tables' change orders as one, by change time (ties by table name), bounded. Rows are taken
 * from each table strictly in its own order — a k-way merge of the tables' sequences, never a sort of all
 * rows — so what is taken from a table is always a prefix of what lies beyond its position, and its new
 * position skips nothing: alerts are ordered by sequence number, whose times may disagree slightly.
 */
export async function mergeTables(request: MergeRequest): Promise<MergeResult> {
  const positions: StreamPositions = { ...request.positions };
  const active = new Set(Object.keys(request.readers) as StreamTable[]);
  const exhausted = new Set<StreamTable>();
  const rows: TaggedRow[] = [];
  let scanned = 0;
  const before = request.direction === 'asc' ? -1 : 1;
  while (active.size > 0 && rows.length < request.limit && scanned < request.maxScan) {
    // Rows read past count towards maxScan, kept ones towards limit. The first round reads a page; when
    // the filter kept too few, the next ones read larger batches (fewer round trips) and stop at the limit.
    const wanted = request.limit - rows.length;
    const budget = Math.min(request.maxScan - scanned, scanned === 0 ? wanted : Math.max(wanted, BATCH));
    const tables = [...active];
    const batches = await Promise.all(
      tables.map((table) => request.readers[table]!(positions[table], request.direction, budget + 1)),
    );
    const heads = tables.map(() => 0);
    for (let taken = 0; taken < budget; taken += 1) {
      let pick = -1;
      for (let i = 0; i < tables.length; i += 1) {
        const head = batches[i]![heads[i]!];
        if (!head) continue;
        if (pick < 0) {
          pick = i;
          continue;
        }
        const best = batches[pick]![heads[pick]!]!;
        const order = compare(head.changedAt, best.changedAt) || compare(tables[i]!, tables[pick]!);
        if (order === before) pick = i;
      }
      if (pick < 0) break;
      const row = batches[pick]![heads[pick]!]!;
      heads[pick] = heads[pick]! + 1;
      const table = tables[pick]!;
      positions[table] = row.position;
      scanned += 1;
      const tagged = { table, row };
      if (request.accept(tagged)) rows.push(tagged);
      if (rows.length === request.limit) break;
    }
    tables.forEach((table, i) => {
      const batch = batches[i]!;
      if (batch.length <= budget && heads[i] === batch.length) {
        active.delete(table);
        exhausted.add(table);
      }
    });
  }
  return { rows, positions, exhausted };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
