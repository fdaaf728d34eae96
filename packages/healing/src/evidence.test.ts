import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PrometheusQuerier } from '@gantry/alerts';
import type { MetricsSourceResolver } from '@gantry/health';
import type { NodeSummary } from '@gantry/model';
import { Store } from '@gantry/store';
import { createStoreEvidenceProviders } from './evidence.ts';
import { FakeTriggers, node, TEAM } from './test-support.ts';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('evidence from the store', () => {
  let store: Store;
  const queries: string[] = [];
  const prometheus: PrometheusQuerier = {
    query: (_source, expr) => {
      queries.push(expr);
      if (expr.includes('broken'))
        return Promise.resolve({ ok: false, reason: 'QueryFailed', message: 'parse error' });
      return Promise.resolve({ ok: true, samples: [{ labels: { node: 'n1' }, value: 0.93 }] });
    },
  };
  const sources: MetricsSourceResolver = {
    resolve: (_team, name) =>
      Promise.resolve(
        name === 'prometheus'
          ? { ok: true, source: { url: 'http://127.0.0.1:1', timeoutMs: 1000 } }
          : { ok: false, reason: 'SourceNotFound', message: `no MetricsSource ${name}` },
      ),
  };

  beforeEach(async () => {
    queries.length = 0;
    store = await Store.open({ url: ':memory:' });
    const summary: NodeSummary = {
      ready: false,
      unschedulable: false,
      conditions: [
        { type: 'Ready', status: 'False' },
        { type: 'DiskPressure', status: 'False' },
      ],
      labels: { role: 'datanode' },
      taints: [],
      capacity: {},
      allocatable: {},
    };
    await store.inventory.apply(
      [
        {
          op: 'upsert',
          item: {
            cluster: `${TEAM}/east`,
            kind: 'Node',
            namespace: '',
            name: 'n1',
            uid: 'u1',
            data: summary,
          },
        },
      ],
      iso(T0),
    );
    const event = (reason: string, at: number, source: 'kubernetes' | 'gantry', type = 'Normal') => ({
      source,
      externalId: `${reason}-${at}`,
      team: TEAM,
      cluster: `${TEAM}/east`,
      namespace: '',
      objectKind: 'Node',
      objectName: 'n1',
      type,
      reason,
      message: `${reason} on n1`,
      actor: source === 'gantry' ? 'controller/change' : 'kubelet',
      count: 1,
      firstSeen: iso(at),
      lastSeen: iso(at),
    });
    await store.events.upsert([
      event('NodeNotReady', T0 - 2 * MINUTE, 'kubernetes', 'Warning'),
      event('EntityChanged', T0 - 5 * MINUTE, 'gantry'),
      event('EntityChanged', T0 - 90 * MINUTE, 'gantry'),
      event('NodeNotReady', T0 + 5 * MINUTE, 'kubernetes', 'Warning'),
    ]);
  });
  afterEach(async () => {
    await store.close();
  });

  const providers = () =>
    createStoreEvidenceProviders({
      inventory: store.inventory,
      events: store.events,
      hosts: store.hosts,
      prometheus,
      sources,
    });

  it('reads the node from the inventory, and an unknown one as not found', async () => {
    expect(await providers().inventory(TEAM, node('n1'), 'node')).toEqual({
      ok: true,
      value: {
        found: true,
        ready: false,
        unschedulable: false,
        conditions: { Ready: 'False', DiskPressure: 'False' },
        labels: { role: 'datanode' },
      },
    });
    expect(await providers().inventory(TEAM, node('n9'), 'node')).toMatchObject({
      ok: true,
      value: { found: false },
    });
    expect(await providers().inventory(TEAM, node('n1'), 'podsOnNode')).toMatchObject({
      ok: false,
      reason: 'NotCollected',
    });
  });

  it('counts events and Gantry changes within the window before the trigger, not after it', async () => {
    const p = providers();
    expect(await p.events(TEAM, node('n1'), T0 - 30 * MINUTE, T0)).toMatchObject({
      ok: true,
      value: { count: 2, warnings: 1, reasons: expect.arrayContaining(['NodeNotReady', 'EntityChanged']) },
    });
    expect(await p.events(TEAM, node('n1'), T0 - 30 * MINUTE, T0, 'NodeNotReady')).toMatchObject({
      value: { count: 1, reasons: ['NodeNotReady'] },
    });
    expect(await p.changes(TEAM, node('n1'), T0 - 30 * MINUTE, T0)).toMatchObject({
      ok: true,
      value: { count: 1, latestAgeSeconds: 300, items: [{ reason: 'EntityChanged' }] },
    });
    expect(await p.changes(TEAM, node('n1'), T0 - 2 * 60 * MINUTE, T0)).toMatchObject({
      value: { count: 2 },
    });
  });

  it("counts a workload's Application revisions on its cluster as its changes, not another cluster's", async () => {
    const applied = (cluster: string, at: number, reason = 'ObjectsApplied') => ({
      source: 'gantry' as const,
      externalId: `${reason}-${cluster}-${at}`,
      team: TEAM,
      cluster,
      namespace: '',
      objectKind: 'Application',
      objectName: 'orders',
      type: 'Normal',
      reason,
      message: `${reason} of orders`,
      actor: 'controller/application',
      count: 1,
      firstSeen: iso(at),
      lastSeen: iso(at),
    });
    await store.events.upsert([
      applied(`${TEAM}/east`, T0 - 4 * MINUTE),
      applied('', T0 - 5 * MINUTE, 'RevisionCreated'),
      applied(`${TEAM}/west`, T0 - 3 * MINUTE),
    ]);
    const workload = {
      kind: 'Workload' as const,
      name: 'db',
      cluster: 'east',
      namespace: 'data',
      workloadKind: 'StatefulSet',
      domain: '',
      labels: {},
    };
    const p = providers();
    expect(await p.changes(TEAM, workload, T0 - 30 * MINUTE, T0)).toMatchObject({ value: { count: 0 } });
    const changed = await p.changes(TEAM, { ...workload, application: 'orders' }, T0 - 30 * MINUTE, T0);
    expect(changed).toMatchObject({ ok: true, value: { count: 2, latestAgeSeconds: 240 } });
    expect(
      (changed.ok ? (changed.value['items'] as { reason: string }[]) : []).map((i) => i.reason).sort(),
    ).toEqual(['ObjectsApplied', 'RevisionCreated']);
  });

  it('queries PromQL through the MetricsSource, and says why when it cannot', async () => {
    const p = providers();
    expect(await p.promql(TEAM, 'prometheus', 'node_load1{instance="n1"}', T0)).toEqual({
      ok: true,
      value: { count: 1, value: 0.93, samples: [{ labels: { node: 'n1' }, value: 0.93 }] },
    });
    expect(await p.promql(TEAM, 'prometheus', 'broken(', T0)).toEqual({
      ok: false,
      reason: 'QueryFailed',
      message: 'parse error',
    });
    expect(await p.promql(TEAM, 'thanos', 'up', T0)).toEqual({
      ok: false,
      reason: 'SourceNotFound',
      message: 'no MetricsSource thanos',
    });
  });

  it('answers a host that never joined as not found, a job without a runner as unavailable, and the alerts', async () => {
    const p = providers();
    expect(await p.heartbeat(TEAM, node('n1'), T0)).toEqual({
      ok: true,
      value: { found: false, online: false, status: 'Unknown' },
    });
    expect(await p.job(TEAM, node('n1'), 'check-kubelet', {}, 60_000)).toMatchObject({
      ok: false,
      reason: 'JobsUnavailable',
    });
    const trigger = new FakeTriggers().openException('e1', [node('n1')]);
    expect(await p.alerts(TEAM, trigger)).toEqual({
      ok: true,
      value: { count: 1, firing: 1, names: ['NodeNotReady'], items: trigger.alerts },
    });
  });
});
