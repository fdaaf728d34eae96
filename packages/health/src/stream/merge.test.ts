import { describe, expect, it } from 'vitest';
import type { StreamDirection, StreamPosition, StreamRow } from '@gantry/store';
import { mergeTables, type StreamPositions, type StreamTable, type TableReader } from './merge.ts';

/** A table in memory, read as HealthStreamRepository reads one: by (at, seq), or by seq for alerts. */
function table(rows: { at: string; seq: number }[], bySeq = false): TableReader {
  const key = (p: StreamPosition) => (bySeq ? [p.seq] : [p.at ?? '', p.seq]);
  const cmp = (a: StreamPosition, b: StreamPosition) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < x.length; i += 1) if (x[i]! !== y[i]!) return x[i]! < y[i]! ? -1 : 1;
    return 0;
  };
  const all: StreamRow<unknown>[] = rows.map((row) => ({
    record: row,
    changedAt: row.at,
    position: bySeq ? { seq: row.seq } : { at: row.at, seq: row.seq },
  }));
  return (after, direction: StreamDirection, limit) => {
    const sorted = [...all].sort((a, b) => cmp(a.position, b.position));
    if (direction === 'desc') sorted.reverse();
    const beyond = sorted.filter(
      (row) => !after || cmp(row.position, after) * (direction === 'asc' ? 1 : -1) > 0,
    );
    return Promise.resolve(beyond.slice(0, limit));
  };
}

const t = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

describe('mergeTables', () => {
  it('takes from each table in its own order, so that an alert numbered later but timed earlier is not skipped', async () => {
    const readers = {
      // seq 2 has an earlier time than seq 1: a sort of all rows by time would take it first and skip 1.
      alert: table(
        [
          { at: t(5), seq: 1 },
          { at: t(3), seq: 2 },
        ],
        true,
      ),
      event: table([{ at: t(4), seq: 10 }]),
    };
    const first = await mergeTables({
      readers,
      positions: {},
      direction: 'asc',
      limit: 1,
      maxScan: 100,
      accept: () => true,
    });
    expect(first.rows.map((r) => [r.table, r.row.position.seq])).toEqual([['event', 10]]);
    const second = await mergeTables({
      readers,
      positions: first.positions,
      direction: 'asc',
      limit: 10,
      maxScan: 100,
      accept: () => true,
    });
    expect(second.rows.map((r) => [r.table, r.row.position.seq])).toEqual([
      ['alert', 1],
      ['alert', 2],
    ]);
    expect([...second.exhausted].sort()).toEqual(['alert', 'event']);
  });

  it('pages through every row exactly once, whatever the limit and filter, in either direction', async () => {
    const rows = (offset: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ at: t((i * 7 + offset) % 50), seq: offset * 100 + i }));
    const data: Record<StreamTable, { at: string; seq: number }[]> = {
      event: rows(1, 23),
      alert: rows(2, 17),
      exception: rows(3, 9),
      risk: rows(4, 31),
    };
    const readers = {
      event: table(data.event),
      alert: table(data.alert, true),
      exception: table(data.exception),
      risk: table(data.risk),
    };
    for (const direction of ['asc', 'desc'] as const)
      for (const limit of [1, 4, 7, 100]) {
        const seen: string[] = [];
        let positions: StreamPositions = {};
        const remaining = { ...readers } as Partial<typeof readers>;
        for (let call = 0; Object.keys(remaining).length > 0; call += 1) {
          expect(call).toBeLessThan(500);
          const page = await mergeTables({
            readers: remaining,
            positions,
            direction,
            limit,
            maxScan: limit * 2,
            accept: ({ row }) => row.position.seq % 3 !== 0,
          });
          expect(page.rows.length).toBeLessThanOrEqual(limit);
          seen.push(...page.rows.map(({ table: name, row }) => `${name}/${row.position.seq}`));
          positions = page.positions;
          for (const name of page.exhausted) delete remaining[name];
        }
        const expected = Object.entries(data).flatMap(([name, list]) =>
          list.filter((row) => row.seq % 3 !== 0).map((row) => `${name}/${row.seq}`),
        );
        expect(new Set(seen).size).toBe(seen.length);
        expect([...seen].sort()).toEqual([...expected].sort());
      }
  });

  it('orders by change time across tables, newest first when descending', async () => {
    const page = await mergeTables({
      readers: {
        event: table([
          { at: t(1), seq: 1 },
          { at: t(9), seq: 2 },
        ]),
        risk: table([{ at: t(5), seq: 7 }]),
      },
      positions: {},
      direction: 'desc',
      limit: 10,
      maxScan: 10,
      accept: () => true,
    });
    expect(page.rows.map((r) => r.row.changedAt)).toEqual([t(9), t(5), t(1)]);
  });

  it('stops after maxScan rows read past, even when the filter kept none, and says where', async () => {
    const page = await mergeTables({
      readers: { event: table(Array.from({ length: 50 }, (_, i) => ({ at: t(i), seq: i + 1 }))) },
      positions: {},
      direction: 'asc',
      limit: 5,
      maxScan: 12,
      accept: () => false,
    });
    expect(page.rows).toEqual([]);
    expect(page.positions.event).toEqual({ at: t(11), seq: 12 });
    expect(page.exhausted.size).toBe(0);
  });
});
