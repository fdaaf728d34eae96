import { describe, expect, it } from 'vitest';
import { FakeData } from './test-support.ts';
import { TeamSnapshot } from './team-snapshot.ts';

describe('TeamSnapshot', () => {
  it('reads each list once and keeps one bindings object per object and per aggregate', async () => {
    const data = new FakeData();
    data.items.nodes = [{ key: 'c1/n1', label: 'n1', entities: [], binding: { name: 'n1', ready: false } }];
    data.items.clusters = [{ key: 'c1', label: 'c1', entities: [], binding: { name: 'c1' } }];
    const snapshot = new TeamSnapshot(data, 'ops', Date.parse('2026-03-02T10:05:00Z'));
    const [first, second] = await Promise.all([snapshot.subjects('nodes'), snapshot.subjects('nodes')]);
    expect(first).toBe(second);
    expect(data.reads).toBe(1);
    const bindings = snapshot.bindings('nodes', first[0]!);
    expect(bindings).toEqual({ node: { name: 'n1', ready: false }, now: '2026-03-02T10:05:00.000Z' });
    expect(snapshot.bindings('nodes', first[0]!)).toBe(bindings);
    const aggregate = await snapshot.aggregate(['nodes', 'clusters']);
    expect(aggregate).toEqual({
      now: '2026-03-02T10:05:00.000Z',
      nodes: [{ name: 'n1', ready: false }],
      clusters: [{ name: 'c1' }],
    });
    expect(await snapshot.aggregate(['clusters', 'nodes'])).toBe(aggregate);
    expect(data.reads).toBe(2); // nodes and clusters, once each
  });
});
