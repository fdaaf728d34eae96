import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EntityRefRecord, ExceptionRecord, NodeSummary, Risk } from '@gantry/model';
import { Store, type ExceptionAlert, type HostRow, type StoredAlert } from '@gantry/store';
import {
  combineTriggerSources,
  createAlertTriggerSource,
  createExceptionTriggerSource,
  createInventoryEntityReader,
  createRiskTriggerSource,
  createInventoryConditionSubjects,
  createInventoryDomainHealth,
  createInventoryEntityResolver,
  createStoreSignalHealth,
  InventoryPassSnapshots,
  type InventoryDeps,
} from './store-ports.ts';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const MINUTE = 60_000;
const TEAM = 'bigdata';

function nodeSummary(rack: string, ready: boolean, since: number): NodeSummary {
  return {
    ready,
    unschedulable: false,
    conditions: [
      { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(since).toISOString() },
    ],
    labels: { 'topology.gantry.dev/rack': rack },
    taints: [],
    capacity: {},
    allocatable: {},
  };
}

describe('store-backed healing ports', () => {
  let store: Store;
  let connected = 'True';
  let deps: InventoryDeps;

  beforeEach(async () => {
    store = await Store.open({ url: ':memory:' });
    connected = 'True';
    const cluster = () => ({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'east', team: TEAM },
      spec: {},
      status: { conditions: [{ type: 'Connected', status: connected, message: 'dial tcp: i/o timeout' }] },
    });
    deps = {
      inventory: store.inventory,
      hosts: store.hosts,
      resources: {
        list: () =>
          Promise.resolve({
            items: [{ team: TEAM, name: 'east', json: JSON.stringify(cluster()) }],
            resourceVersion: 1,
          }),
      },
    };
    // Rack r1: n0..n9, n0..n3 NotReady for 10 minutes; n4 NotReady for 2 minutes. Rack r2: n10, Ready.
    await store.inventory.apply(
      Array.from({ length: 11 }, (_, i) => ({
        op: 'upsert' as const,
        item: {
          cluster: `${TEAM}/east`,
          kind: 'Node',
          namespace: '',
          name: `n${i}`,
          uid: `u${i}`,
          data: nodeSummary(i < 10 ? 'r1' : 'r2', i > 4, i < 4 ? T0 - 10 * MINUTE : T0 - 2 * MINUTE),
        },
      })),
      new Date(T0).toISOString(),
    );
    for (let i = 0; i < 5; i += 1) {
      const host: HostRow = {
        team: TEAM,
        name: `n${i}`,
        status: i < 3 ? 'Offline' : 'Online',
        status_since: i < 3 ? T0 - MINUTE : T0 - 60 * MINUTE,
        connected_server: '',
        labels: JSON.stringify({ 'topology.gantry.dev/rack': 'r1' }),
        facts: null,
        agent_version: '1',
        last_heartbeat: T0 - MINUTE,
        credential_id: `c${i}`,
        created_at: T0 - 100 * MINUTE,
      };
      await store.hosts.join(host, {
        id: `c${i}`,
        team: TEAM,
        host: host.name,
        secret_hash: 'x',
        created_at: T0,
        expires_at: null,
        revoked_at: null,
      });
    }
  });
  afterEach(async () => {
    await store.close();
  });

  it('gives nodes with the time their Ready condition last changed, and hosts with their status time', async () => {
    const subjects = createInventoryConditionSubjects(deps);
    const nodes = await subjects.list(TEAM, 'nodes');
    expect(nodes).toHaveLength(11);
    expect(nodes.find((n) => n.entity.name === 'n0')).toMatchObject({
      entity: { kind: 'Node', cluster: 'east', domain: 'r1' },
      binding: { ready: false, conditions: { Ready: 'False' } },
      changedAt: T0 - 10 * MINUTE,
    });
    const hosts = await subjects.list(TEAM, 'hosts');
    // A host named after a node is that node's host: its node and cluster (a Host policy drains the
    // node), the node's labels under its own, and the node as the API server sees it.
    expect(hosts.find((h) => h.entity.name === 'n0')).toMatchObject({
      entity: { kind: 'Host', name: 'n0', host: 'n0', node: 'n0', cluster: 'east', domain: 'r1' },
      binding: { online: false, node: { name: 'n0', cluster: 'east', ready: false, unschedulable: false } },
      changedAt: T0 - MINUTE,
    });
    // A host without the rack label takes its node's: its domain is its node's rack.
    await store.hosts.join(
      { ...(await store.hosts.host(TEAM, 'n0'))!, name: 'n10', labels: '{}', credential_id: 'c10' },
      {
        id: 'c10',
        team: TEAM,
        host: 'n10',
        secret_hash: 'x',
        created_at: T0,
        expires_at: null,
        revoked_at: null,
      },
    );
    const n10 = (await subjects.list(TEAM, 'hosts')).find((h) => h.entity.name === 'n10')!;
    expect(n10.entity).toMatchObject({ node: 'n10', cluster: 'east', domain: 'r2' });
    expect(n10.entity.labels).toEqual({ 'topology.gantry.dev/rack': 'r2' });
    expect(n10.binding['labels']).toEqual({});
    const reread = await createInventoryEntityReader(deps).read(TEAM, hosts[0]!.entity);
    expect(reread).toMatchObject({ name: hosts[0]!.entity.name, node: { cluster: 'east' } });
  });

  it("measures every domain's healthy share in one read", async () => {
    const domains = createInventoryDomainHealth(deps);
    const nodes = await domains.shares(TEAM, 'Node', 'topology.gantry.dev/rack');
    expect(nodes.get('r1')).toEqual({ healthy: 5, total: 10 });
    expect(nodes.get('r2')).toEqual({ healthy: 1, total: 1 });
    expect((await domains.shares(TEAM, 'Host', 'topology.gantry.dev/rack')).get('r1')).toEqual({
      healthy: 2,
      total: 5,
    });
  });

  it('distrusts the signals when the cluster is not connected or many agents went silent together', async () => {
    const entity = { kind: 'Node' as const, name: 'n0', cluster: 'east', domain: 'r1', labels: {} };
    const resourcesGet = {
      get: () =>
        Promise.resolve({
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Cluster',
          metadata: { name: 'east', team: TEAM },
          spec: {},
          status: {
            conditions: [{ type: 'Connected', status: connected, message: 'dial tcp: i/o timeout' }],
          },
        } as never),
      list: () => Promise.resolve({ items: [], resourceVersion: 1 }),
    };
    const signals = createStoreSignalHealth({ ...deps, resourcesGet, now: () => T0 });
    expect(await signals.check(TEAM, entity, T0)).toEqual({
      trusted: false,
      reason: 'AgentsSilent',
      message: '3 of 5 agents went silent within 300 s',
    });
    // Long after they went silent, it is the hosts, not the network.
    expect(await signals.check(TEAM, entity, T0 + 30 * MINUTE)).toEqual({ trusted: true });
    let up = true;
    const probed = createStoreSignalHealth(
      { ...deps, resourcesGet, now: () => T0 },
      {
        metrics: {
          source: 'prometheus',
          sources: {
            resolve: () =>
              Promise.resolve({ ok: true, source: { url: 'http://127.0.0.1:1', timeoutMs: 100 } }),
          },
          prometheus: {
            query: () =>
              Promise.resolve(
                up
                  ? { ok: true, samples: [{ labels: {}, value: 1 }] }
                  : { ok: false, reason: 'SourceUnreachable', message: 'connect ECONNREFUSED' },
              ),
          },
        },
      },
    );
    expect(await probed.check(TEAM, entity, T0 + 30 * MINUTE)).toEqual({ trusted: true });
    up = false;
    expect(await probed.check(TEAM, entity, T0 + 30 * MINUTE)).toEqual({
      trusted: false,
      reason: 'PrometheusDown',
      message: 'MetricsSource prometheus: connect ECONNREFUSED',
    });
    // No source named: every MetricsSource of the team is probed, and the one down is named.
    const every = createStoreSignalHealth(
      {
        ...deps,
        resourcesGet: {
          ...resourcesGet,
          list: () =>
            Promise.resolve({
              items: ['thanos', 'prometheus'].map((name) => ({ team: TEAM, name, json: '{}' })),
              resourceVersion: 1,
            }),
        },
        now: () => T0,
      },
      {
        metrics: {
          sources: {
            resolve: (_team, name) =>
              Promise.resolve({ ok: true, source: { url: `http://${name}.invalid`, timeoutMs: 100 } }),
          },
          prometheus: {
            query: (source) =>
              Promise.resolve(
                source.url.includes('prometheus') && !up
                  ? { ok: false, reason: 'SourceUnreachable', message: 'connect ECONNREFUSED' }
                  : { ok: true, samples: [{ labels: {}, value: 1 }] },
              ),
          },
        },
      },
    );
    expect(await every.check(TEAM, entity, T0 + 30 * MINUTE)).toEqual({
      trusted: false,
      reason: 'PrometheusDown',
      message: 'MetricsSource prometheus: connect ECONNREFUSED',
    });
    up = true;
    expect(await every.check(TEAM, entity, T0 + 30 * MINUTE)).toEqual({ trusted: true });
    up = false;
    connected = 'False';
    expect(await signals.check(TEAM, entity, T0 + 30 * MINUTE)).toMatchObject({
      trusted: false,
      reason: 'ApiServerUnreachable',
      message: 'cluster east is not connected: dial tcp: i/o timeout',
    });
  });

  it('turns open exceptions into triggers with resolved entities, and leaves mitigated ones alone', async () => {
    const record = (id: string, state: ExceptionRecord['state']): ExceptionRecord =>
      ({
        id,
        team: TEAM,
        title: 'Rack r1 (zone z1): NodeNotReady on 2 nodes',
        severity: 'major',
        state,
        entities: [
          { kind: 'Node', name: 'n0', cluster: 'east' },
          { kind: 'Node', name: 'n1', cluster: 'east' },
        ],
        origin: 'correlation',
        correlationKey: 'topology/rack/z1/r1',
        correlationReason: {
          rule: 'topology',
          ruleKind: 'Topology',
          shared: { domain: 'rack', zone: 'z1', rack: 'r1' },
        },
        openedAt: new Date(T0).toISOString(),
        episodeOpenedAt: new Date(T0).toISOString(),
        levelRaisedAt: {},
        followUps: [],
        alertCount: 2,
        firingAlertCount: 2,
        reopenCount: 0,
        createdBy: 'correlation',
        changedAt: new Date(T0).toISOString(),
        updatedAt: new Date(T0).toISOString(),
      }) as ExceptionRecord;
    const records = [record('e1', 'open'), record('e2', 'mitigated')];
    const alerts: ExceptionAlert[] = [
      {
        exceptionId: 'e1',
        team: TEAM,
        fingerprint: 'f',
        state: 'firing',
        labels: { alertname: 'NodeNotReady' },
        startsAt: '',
        joinedAt: '',
      },
    ];
    const source = createExceptionTriggerSource({
      exceptions: {
        unresolved: () => Promise.resolve({ items: records, lastSeq: 2 }),
        get: (_team, id) => Promise.resolve(records.find((r) => r.id === id)),
        alerts: (id) => Promise.resolve(alerts.filter((a) => a.exceptionId === id)),
        alertsOf: (ids) =>
          Promise.resolve(new Map(ids.map((id) => [id, alerts.filter((a) => a.exceptionId === id)]))),
      },
      entities: createInventoryEntityResolver(deps),
    });
    const active = await source.active(T0, { exception: new Set([TEAM]), alert: new Set(), risk: new Set() });
    expect(active.map((t) => t.id)).toEqual(['e1']);
    expect(active[0]).toMatchObject({
      since: new Date(T0).toISOString(),
      binding: { title: 'Rack r1 (zone z1): NodeNotReady on 2 nodes', state: 'open' },
      alerts: [{ labels: { alertname: 'NodeNotReady' }, state: 'firing' }],
    });
    expect(active[0]!.entities).toEqual([
      {
        kind: 'Node',
        name: 'n0',
        cluster: 'east',
        host: 'n0',
        domain: 'r1',
        labels: { 'topology.gantry.dev/rack': 'r1' },
      },
      {
        kind: 'Node',
        name: 'n1',
        cluster: 'east',
        host: 'n1',
        domain: 'r1',
        labels: { 'topology.gantry.dev/rack': 'r1' },
      },
      {
        kind: 'Domain',
        name: 'r1',
        domain: 'r1',
        labels: { level: 'rack', domain: 'rack', zone: 'z1', rack: 'r1' },
      },
    ]);
    expect((await source.get(TEAM, 'exception', 'e2'))?.active).toBe(false);
  });

  it('resolves many exceptions of a storm from one read of the team, as it resolves each alone', async () => {
    const resolver = createInventoryEntityResolver(deps);
    const items = Array.from({ length: 40 }, (_, i) => ({
      refs: [
        { kind: 'Node', name: `n${i % 12}`, cluster: 'east' },
        { kind: 'Node', name: 'gone', cluster: 'east' },
        { kind: 'Host', name: `h${i}` },
      ] as EntityRefRecord[],
    }));
    const bulk = await resolver.resolveMany(TEAM, items);
    const alone = await Promise.all(items.map((item) => resolver.resolve(TEAM, item.refs)));
    expect(bulk).toEqual(alone);
    expect(bulk[3]![0]).toMatchObject({ name: 'n3', domain: expect.any(String) as string });
  });

  it('reads the team’s nodes and hosts once in a pass for every port, and afresh in the next', async () => {
    const reads = { nodes: 0, hosts: 0, oneNode: 0 };
    const snapshots = new InventoryPassSnapshots();
    const counted: InventoryDeps = {
      ...deps,
      inventory: {
        list: ((query: Parameters<typeof store.inventory.list>[0]) => {
          if (query.name === undefined) reads.nodes += 1;
          else reads.oneNode += 1;
          return store.inventory.list(query);
        }) as typeof store.inventory.list,
      },
      hosts: {
        list: (query) => {
          reads.hosts += 1;
          return store.hosts.list(query);
        },
        hostsForNode: (...args) => store.hosts.hostsForNode(...args),
      },
      snapshots,
    };
    const resolver = createInventoryEntityResolver(counted);
    const domains = createInventoryDomainHealth(counted);
    const signals = createStoreSignalHealth({
      ...counted,
      resourcesGet: {
        get: () => Promise.resolve(undefined),
        list: () => Promise.resolve({ items: [], resourceVersion: 1 }),
      },
      now: () => T0,
    });
    const items = [{ refs: [{ kind: 'Node', name: 'n1', cluster: 'east' }] as EntityRefRecord[] }];
    const pass = async () => {
      const [resolved, shares] = await Promise.all([
        resolver.resolveMany(TEAM, items),
        domains.shares(TEAM, 'Node', 'topology.gantry.dev/rack'),
        signals.check(TEAM, { kind: 'Host', name: 'n1', domain: '', labels: {} }, T0),
      ]);
      return { resolved, shares };
    };
    const outside = await pass();
    // Outside a pass: the shares and the signals read the team; the one exception's node is read alone.
    expect(reads).toEqual({ nodes: 1, hosts: 1, oneNode: 1 });
    snapshots.begin();
    const inside = await pass();
    // One exception only, yet resolved from the pass's read rather than a read per node: the same answer.
    expect(inside).toEqual(outside);
    expect(reads).toEqual({ nodes: 2, hosts: 2, oneNode: 1 });
    snapshots.end();
    snapshots.begin();
    await pass();
    snapshots.end();
    expect(reads).toEqual({ nodes: 3, hosts: 3, oneNode: 1 });
  });

  it('turns firing alerts and open risks of interested teams into triggers; combined, each answers for its kind', async () => {
    const alert = {
      team: TEAM,
      fingerprint: 'f1',
      labels: { alertname: 'KubeNodeNotReady', node: 'n0' },
      annotations: {},
      startsAt: new Date(T0 - MINUTE).toISOString(),
      endsAt: new Date(T0 + 4 * MINUTE).toISOString(),
      updatedAt: new Date(T0).toISOString(),
      generatorURL: '',
      source: 'rule',
      entities: { cluster: 'east', node: 'n0' },
      seq: 1,
    } as unknown as StoredAlert;
    const queried: string[] = [];
    const resolver = createInventoryEntityResolver(deps);
    const alerts = createAlertTriggerSource({
      alerts: {
        query: (q) => {
          queried.push(...(q.teams ?? []));
          return Promise.resolve({ items: [alert] });
        },
        get: () => Promise.resolve(alert),
      },
      entities: resolver,
    });
    const risks = createRiskTriggerSource({
      risks: {
        list: () =>
          Promise.resolve({
            items: [
              {
                id: 'r1',
                team: TEAM,
                source: { kind: 'Inspection', name: 'disks', check: 'fill' },
                key: 'n1',
                title: 'disk filling on n1',
                score: 90,
                entities: [{ kind: 'Node', name: 'n1', cluster: 'east' }],
                details: {},
                state: 'open',
                firstSeenAt: new Date(T0).toISOString(),
                lastSeenAt: new Date(T0).toISOString(),
              } as Risk,
            ],
          }),
        get: () => Promise.resolve(undefined),
      },
      entities: resolver,
    });
    const all = combineTriggerSources([alerts, risks]);
    const none = await all.active(T0, { exception: new Set(), alert: new Set(), risk: new Set() });
    expect(none).toEqual([]);
    expect(queried).toEqual([]);
    const found = await all.active(T0, {
      exception: new Set(),
      alert: new Set([TEAM]),
      risk: new Set([TEAM]),
    });
    expect(found.map((t) => [t.kind, t.id, t.active, t.entities.map((e) => e.name)])).toEqual([
      ['alert', 'f1', true, ['n0']],
      ['risk', 'r1', true, ['n1']],
    ]);
    expect(found[0]!.binding).toMatchObject({ labels: { alertname: 'KubeNodeNotReady' }, state: 'firing' });
    expect(found[1]!.binding).toMatchObject({ score: 90, check: 'fill' });
    expect((await all.get(TEAM, 'alert', 'f1'))?.kind).toBe('alert');
    expect(await all.get(TEAM, 'risk', 'zz')).toBeUndefined();
  });

  it("keeps a risk's workloads, with their kind and Application from the inventory", async () => {
    await store.inventory.apply(
      [
        {
          op: 'upsert' as const,
          item: {
            cluster: `${TEAM}/east`,
            kind: 'StatefulSet',
            namespace: 'data',
            name: 'db',
            uid: 'w1',
            data: {
              desired: 2,
              ready: 1,
              available: 1,
              labels: { 'app.gantry.dev/name': 'orders', 'app.gantry.dev/component': 'db' },
            },
          },
        },
      ],
      new Date(T0).toISOString(),
    );
    const risk = {
      id: 'r2',
      team: TEAM,
      source: { kind: 'Inspection', name: 'replicas', check: 'short' },
      key: 'east/data/StatefulSet/db',
      title: 'db short of replicas',
      score: 70,
      entities: [
        { kind: 'Workload', name: 'db', cluster: 'east', namespace: 'data' },
        { kind: 'Cluster', name: 'east' },
      ],
      details: {},
      state: 'open',
      firstSeenAt: new Date(T0).toISOString(),
      lastSeenAt: new Date(T0).toISOString(),
    } as Risk;
    const risks = createRiskTriggerSource({
      risks: {
        list: () => Promise.resolve({ items: [risk] }),
        get: () => Promise.resolve(risk),
      },
      entities: createInventoryEntityResolver(deps),
    });
    const [trigger] = await risks.active(T0, {
      exception: new Set(),
      alert: new Set(),
      risk: new Set([TEAM]),
    });
    expect(trigger!.entities).toEqual([
      {
        kind: 'Workload',
        name: 'db',
        cluster: 'east',
        namespace: 'data',
        workloadKind: 'StatefulSet',
        application: 'orders',
        domain: '',
        labels: { 'app.gantry.dev/name': 'orders', 'app.gantry.dev/component': 'db' },
      },
    ]);
  });

  it('reads an entity again for verification', async () => {
    const reader = createInventoryEntityReader(deps);
    const entity = { kind: 'Node' as const, name: 'n0', cluster: 'east', domain: 'r1', labels: {} };
    expect(await reader.read(TEAM, entity)).toMatchObject({
      name: 'n0',
      ready: false,
      conditions: { Ready: 'False' },
    });
    expect(await reader.read(TEAM, { ...entity, name: 'missing' })).toBeUndefined();
  });
});
