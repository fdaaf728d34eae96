import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FencedWriteRefused } from './fence.ts';
import { Store } from './store.ts';
import type { RiskObservationInput, RiskSourceIdentity } from './risk-repository.ts';

const source = (check: string, name = 'fleet'): RiskSourceIdentity => ({
  team: 'ops',
  kind: 'Inspection',
  name,
  check,
});
const risk = (key: string, score: number, node = key): RiskObservationInput => ({
  key,
  title: `${key} at risk`,
  score,
  entities: [
    { kind: 'Node', name: node, cluster: 'c1' },
    { kind: 'Cluster', name: 'c1' },
  ],
  details: { node },
});

describe('RiskRepository on SQLite', () => {
  let store: Store;
  beforeAll(async () => {
    store = await Store.open({ url: ':memory:' });
  });
  afterAll(async () => {
    await store.close();
  });

  it('opens, updates and closes level-triggered, per source and check', async () => {
    const repo = store.risks;
    expect(
      await repo.observe(source('disk'), [risk('n1', 50), risk('n2', 70)], '2026-01-01T00:00:00.000Z'),
    ).toEqual({
      opened: 2,
      updated: 0,
      closed: 0,
    });
    await repo.observe(source('memory'), [risk('n1', 30)], '2026-01-01T00:00:00.000Z');
    expect(await repo.observe(source('disk'), [risk('n2', 90)], '2026-01-01T00:01:00.000Z')).toEqual({
      opened: 0,
      updated: 1,
      closed: 1,
    });
    const open = (await repo.list({ team: 'ops', state: 'open', limit: 10 })).items;
    expect(open.map((r) => [r.source.check, r.key, r.score]).sort()).toEqual([
      ['disk', 'n2', 90],
      ['memory', 'n1', 30],
    ]);
    expect((await repo.list({ team: 'ops', state: 'gone', limit: 10 })).items).toMatchObject([
      { key: 'n1', source: { check: 'disk' }, goneAt: '2026-01-01T00:01:00.000Z' },
    ]);
    expect(await repo.openChecks('ops', 'Inspection', 'fleet')).toEqual(
      expect.arrayContaining(['disk', 'memory']),
    );
  });

  it('observes with the fence of the current term, and refuses one from an ended term, changing nothing (ADR 0028)', async () => {
    const repo = store.risks;
    const LEASE = 'health-baselines';
    const T = Date.parse('2026-01-02T00:00:00.000Z');
    expect(await store.leases.tryAcquire(LEASE, 'x', 1000, T)).toBe(true);
    const fence = { lease: LEASE, holder: 'x', transitions: (await store.leases.get(LEASE))!.transitions };
    const baseline = source('latency', 'api');
    expect(await repo.observe(baseline, [risk('b1', 40)], '2026-01-02T00:00:00.000Z', fence)).toMatchObject({
      opened: 1,
    });
    expect(await store.leases.tryAcquire(LEASE, 'y', 1000, T + 2000)).toBe(true);
    await expect(repo.observe(baseline, [], '2026-01-02T00:00:02.000Z', fence)).rejects.toBeInstanceOf(
      FencedWriteRefused,
    );
    const open = (await repo.list({ team: 'ops', state: 'open', limit: 50 })).items;
    expect(open.filter((r) => r.source.name === 'api').map((r) => [r.key, r.score])).toEqual([['b1', 40]]);
  });

  it('filters by source, entity and score, newest first, in pages', async () => {
    const repo = store.risks;
    await repo.observe(
      source('many', 'other'),
      Array.from({ length: 5 }, (_, i) => risk(`m${i}`, i * 20, i % 2 === 0 ? 'even' : 'odd')),
      '2026-01-01T00:02:00.000Z',
    );
    const byEntity = await repo.list({ team: 'ops', entity: 'Node/even', limit: 10 });
    expect(byEntity.items.map((r) => r.key).sort()).toEqual(['m0', 'm2', 'm4']);
    expect((await repo.list({ team: 'ops', entity: 'Node/c1/odd', limit: 10 })).items).toHaveLength(2);
    expect(
      (await repo.list({ team: 'ops', sourceName: 'other', minScore: 60, limit: 10 })).items.map(
        (r) => r.key,
      ),
    ).toEqual(['m4', 'm3']);
    expect((await repo.list({ team: 'ops', sourceKind: 'Baseline', limit: 10 })).items).toEqual([]);
    expect((await repo.list({ team: 'elsewhere', limit: 10 })).items).toEqual([]);
    const first = await repo.list({ team: 'ops', sourceName: 'other', limit: 2 });
    const second = await repo.list({
      team: 'ops',
      sourceName: 'other',
      limit: 2,
      beforeSeq: first.nextBeforeSeq!,
    });
    const third = await repo.list({
      team: 'ops',
      sourceName: 'other',
      limit: 2,
      beforeSeq: second.nextBeforeSeq!,
    });
    expect([...first.items, ...second.items, ...third.items].map((r) => r.key)).toEqual([
      'm4',
      'm3',
      'm2',
      'm1',
      'm0',
    ]);
    expect(third.nextBeforeSeq).toBeUndefined();
  });

  it('claims a scheduled slot once; manual runs claim none', async () => {
    const repo = store.risks;
    const run = { team: 'ops', inspection: 'fleet', createdBy: 'c', startedAt: '2026-01-01T00:05:00.000Z' };
    expect(
      await repo.startRun({ ...run, trigger: 'schedule', slot: '2026-01-01T00:05:00.000Z' }),
    ).toBeDefined();
    expect(
      await repo.startRun({ ...run, trigger: 'schedule', slot: '2026-01-01T00:05:00.000Z' }),
    ).toBeUndefined();
    expect(await repo.startRun({ ...run, trigger: 'manual', slot: null })).toBeDefined();
    expect(await repo.startRun({ ...run, trigger: 'manual', slot: null })).toBeDefined();
    expect(await repo.lastSlot('ops', 'fleet')).toBe('2026-01-01T00:05:00.000Z');
    expect(await repo.lastSlot('ops', 'other')).toBeUndefined();
    // Housekeeping keeps open risks and running runs; the rest goes once older than the cut.
    const claimed = (await repo.listRuns('ops', 'fleet', 10)).items.at(-1)!;
    await repo.finishRun(claimed.id, 'succeeded', '2026-01-01T00:05:01.000Z', []);
    const gone = (await repo.list({ team: 'ops', state: 'gone', limit: 100 })).items.length;
    expect(gone).toBeGreaterThan(0);
    expect(await repo.deleteHistoryBefore('2026-01-01T00:01:00.000Z')).toEqual({ risks: 0, runs: 0 });
    expect(await repo.deleteHistoryBefore('2027-01-01T00:00:00.000Z')).toEqual({ risks: gone, runs: 1 });
    expect((await repo.list({ team: 'ops', state: 'gone', limit: 100 })).items).toEqual([]);
    expect((await repo.list({ team: 'ops', state: 'open', limit: 100 })).items.length).toBeGreaterThan(0);
    expect((await repo.listRuns('ops', 'fleet', 10)).items.map((r) => r.state)).toEqual([
      'running',
      'running',
    ]);
    await repo.deleteTeam('ops');
    expect((await repo.list({ team: 'ops', limit: 10 })).items).toEqual([]);
    expect((await repo.listRuns('ops', 'fleet', 10)).items).toEqual([]);
  });
});
