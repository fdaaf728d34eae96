import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@gantry/alerts';
import { MemoryEventRecorder } from '@gantry/controllers';
import { createCelEngine } from '@gantry/delivery';
import type { CorrelationRuleSpec } from '@gantry/model';
import { FencedWriteRefused, Store, type AlertWrite, type StoredChange } from '@gantry/store';
import { ExceptionService } from '../exceptions/exception-service.ts';
import { MemoryPolicySource } from '../exceptions/testing.ts';
import type { CorrelationGroup, ExceptionPort } from '../ports.ts';
import { MemoryExceptions } from './memory-exceptions.ts';
import { createCorrelationRunner, type CorrelationRunner } from './runner.ts';
import { inventoryTopology } from './topology-source.ts';

const T0 = Date.parse('2026-12-03T06:00:00Z');
const HOUR = 3_600_000;

describe('correlation runner', () => {
  let store: Store;
  let clock: ManualClock;
  let port: MemoryExceptions;
  let runner: CorrelationRunner;
  let opened: string[];
  let errors: unknown[];
  let rules: { name: string; spec: CorrelationRuleSpec }[];
  let listeners: ((change: StoredChange) => void)[];
  /** Makes the port's correlate fail while set. */
  let portDown: boolean;
  /** How often the runner read the alert table, and how many rows it read there. */
  let tableReads = 0;
  let rowsRead = 0;
  /** While set, looking up a node's labels waits for it (a pass held in the middle). */
  let topologyHeld: Promise<void> | undefined;
  /** The state table's transactions: each one's group keys and its count of member rows. */
  let applied: string[][] = [];
  /** A wake-up without rows, as another server's NOTIFY or a reconnect brings. */
  let wakeWithoutRows: () => void = () => undefined;

  /** `handOver`: wake-ups bring the rows this process wrote; otherwise none (as another server's NOTIFY). */
  const build = (handOver = true, exceptions?: ExceptionPort) =>
    createCorrelationRunner(
      {
        port: exceptions ?? {
          correlate: (group: CorrelationGroup, at: Date) =>
            portDown ? Promise.reject(new Error('exception service down')) : port.correlate(group, at),
          groupResolved: (team, key, at) => port.groupResolved(team, key, at),
          recordActivity: (team, id, activity) => port.recordActivity(team, id, activity),
        },
        alerts: {
          changedSince: async (seq, limit) => {
            tableReads++;
            const rows = await store.alerts.changedSince(seq, limit);
            rowsRead += rows.length;
            return rows;
          },
        },
        state: {
          loadGroups: () => store.correlation.loadGroups(),
          loadMembers: () => store.correlation.loadMembers(),
          apply: (changes, now, fence) => {
            applied.push(
              changes.groups
                .map((g) => `g:${g.key}`)
                .concat(changes.members.length ? [`m:${changes.members.length}`] : []),
            );
            return store.correlation.apply(changes, now, fence);
          },
        },
        resources: {
          list: () =>
            Promise.resolve({
              resourceVersion: 1,
              items: rules.map((rule) => ({
                team: 'ops',
                name: rule.name,
                json: JSON.stringify({
                  apiVersion: 'gantry.dev/v1alpha1',
                  kind: 'CorrelationRule',
                  metadata: { name: rule.name, team: 'ops' },
                  spec: rule.spec,
                }),
              })),
            }),
        },
        subscribe: (listener) => {
          listeners.push(listener);
          return () => undefined;
        },
        watchAlerts: (onChange) => {
          wakeWithoutRows = () => onChange(undefined);
          const stop = store.alerts.onIngested((change, alerts) =>
            onChange(handOver ? { kind: 'written', change, alerts } : undefined),
          );
          return Promise.resolve(() => Promise.resolve(stop()));
        },
        topology: {
          nodeLabels: async (team, cluster, node) => {
            await topologyHeld;
            return inventoryTopology(store.inventory, clock).nodeLabels(team, cluster, node);
          },
        },
        cel: createCelEngine(),
        clock,
        onError: (error) => errors.push(error),
        onException: (team, id, outcome) => opened.push(`${team}/${id}:${outcome}`),
      },
      { groupWaitMs: 30_000, safetyPollMs: 60_000, retryMs: 10_000 },
    );
  const settle = () => runner.idle();
  const nodeAlert = (node: string, startsAt: number, endsAt = startsAt + HOUR): AlertWrite => ({
    team: 'ops',
    fingerprint: `fp-${node}`,
    labels: { alertname: 'NodeNotReady', node, cluster: 'c1', severity: 'critical' },
    annotations: {},
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    generatorURL: '',
    source: 'prometheus',
    entities: { cluster: 'c1', node },
  });
  const post = async (alerts: AlertWrite[]) => {
    await store.alerts.upsert(alerts, new Date(clock.now()).toISOString());
    await settle();
  };

  beforeEach(async () => {
    store = await Store.open({ url: ':memory:' });
    clock = new ManualClock(T0);
    port = new MemoryExceptions();
    opened = [];
    errors = [];
    rules = [];
    listeners = [];
    portDown = false;
    // 100 nodes: racks r1 and r2 in zone z1 (the node labels of the fleet inventory, which names a team's
    // cluster `team/name`; the alerts name it `c1`).
    await store.inventory.apply(
      Array.from({ length: 100 }, (_, i) => ({
        op: 'upsert' as const,
        item: {
          cluster: 'ops/c1',
          kind: 'Node',
          namespace: '',
          name: `n${i}`,
          uid: `uid-${i}`,
          data: {
            labels: { 'topology.kubernetes.io/zone': 'z1', 'topology.gantry.dev/rack': i < 50 ? 'r1' : 'r2' },
          },
        },
      })),
      new Date(T0).toISOString(),
    );
    runner = build();
    await runner.start();
  });
  afterEach(async () => {
    await runner.stop();
    await store.close();
  });

  it.each([
    ['handed over as written', true],
    ['read from the table', false],
  ])(
    'collapses a storm of node alerts into one exception per rack, from the inventory, before any call (%s)',
    async (_how, handOver) => {
      if (!handOver) {
        await runner.stop();
        runner = build(false);
        await runner.start();
      }
      tableReads = 0;
      for (let batch = 0; batch < 10; batch++) {
        await clock.advanceTo(T0 + batch * 2_000, settle);
        await post(Array.from({ length: 10 }, (_, j) => nodeAlert(`n${batch * 10 + j}`, clock.now())));
      }
      expect(port.calls).toHaveLength(0);
      // Rack r1's first alert (t=0) has been held for the group wait; r2's (t=10 s) not yet.
      await clock.advanceTo(T0 + 30_000, settle);
      expect(port.exceptions.map((e) => [e.correlationKey, e.alerts.size])).toEqual([
        ['topology/rack/z1/r1', 50],
      ]);
      await clock.advanceTo(T0 + 40_000, settle);
      expect(port.exceptions.map((e) => [e.correlationKey, e.alerts.size]).sort()).toEqual([
        ['topology/rack/z1/r1', 50],
        ['topology/rack/z1/r2', 50],
      ]);
      // Ten posts: rows handed over are taken as they are; wake-ups without them read the table.
      if (handOver) expect(tableReads).toBe(0);
      else expect(tableReads).toBeGreaterThanOrEqual(10);
      expect(opened).toHaveLength(2);
      expect(
        runner
          .openGroups()
          .map((g) => g.exceptionId)
          .sort(),
      ).toEqual(['exc-1', 'exc-2']);
      expect(await store.correlation.loadGroups()).toHaveLength(2);
      expect(await store.correlation.loadMembers()).toHaveLength(100);
      expect(errors).toEqual([]);
    },
  );

  it('writes a domain of 250 alerts in slices of 100, and tells the escalator once, after the last', async () => {
    // Nodes the inventory does not know: no rack or zone, so the cluster shared by 250 nodes takes them.
    await post(Array.from({ length: 250 }, (_, i) => nodeAlert(`x${i}`, clock.now())));
    await clock.advanceTo(T0 + 30_000, settle);
    expect(port.calls.map((call) => [call.group.key, call.group.alerts.length])).toEqual([
      ['topology/cluster/c1', 100],
      ['topology/cluster/c1', 100],
      ['topology/cluster/c1', 50],
    ]);
    expect(port.exceptions.map((e) => [e.correlationKey, e.alerts.size])).toEqual([
      ['topology/cluster/c1', 250],
    ]);
    expect(opened).toEqual(['ops/exc-1:opened']);
    expect(runner.openGroups().map((g) => g.exceptionId)).toEqual(['exc-1']);
    expect(errors).toEqual([]);
  });

  it('writes the state of a round of 2,500 alerts in transactions of at most 1,000 rows, the group first', async () => {
    await post(Array.from({ length: 2_500 }, (_, i) => nodeAlert(`x${i}`, clock.now())));
    applied = [];
    await clock.advanceTo(T0 + 30_000, settle);
    expect(applied).toEqual([['g:topology/cluster/c1', 'm:999'], ['m:1000'], ['m:501']]);
    expect(await store.correlation.loadMembers()).toHaveLength(2_500);
    expect(await store.correlation.loadGroups()).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  /**
   * Racks r1 (firing at T0) and r2 (firing at `r2At`) held, with a runner whose call for rack r1 moves the
   * clock to `r1CallEnds`: what comes due during that call is what the round's bound decides.
   */
  const racksWithSlowCall = async (r1CallEnds: number, r2At: number) => {
    await runner.stop();
    runner = build(true, {
      correlate: async (group, at) => {
        if (group.key === 'topology/rack/z1/r1') await clock.advanceTo(r1CallEnds);
        return port.correlate(group, at);
      },
      groupResolved: (team, key, at) => port.groupResolved(team, key, at),
      recordActivity: (team, id, activity) => port.recordActivity(team, id, activity),
    });
    await runner.start();
    await post(['n1', 'n2'].map((node) => nodeAlert(node, T0)));
    await clock.advanceTo(r2At, settle);
    await post(['n60', 'n61'].map((node) => nodeAlert(node, clock.now())));
    applied = [];
  };

  it('decides in the round what came due while its calls ran, and writes the state once for both', async () => {
    // Rack r1's call takes 600 ms of the clock; rack r2's group wait ends meanwhile.
    await racksWithSlowCall(T0 + 30_600, T0 + 500);
    await clock.advanceTo(T0 + 30_000, settle);
    expect(port.calls.map((call) => [call.group.key, call.at.getTime() - T0])).toEqual([
      ['topology/rack/z1/r1', 30_000],
      ['topology/rack/z1/r2', 30_600],
    ]);
    expect(applied).toEqual([['g:topology/rack/z1/r1', 'g:topology/rack/z1/r2', 'm:4']]);
    expect(errors).toEqual([]);
  });

  it('ends a round whose calls have run a second: what comes due later goes to the next round', async () => {
    await racksWithSlowCall(T0 + 36_000, T0 + 5_000);
    await clock.advanceTo(T0 + 30_000, settle);
    // The first round wrote rack r1 and ended; rack r2, due meanwhile, waits for the next turn of the clock.
    expect(port.calls.map((call) => call.group.key)).toEqual(['topology/rack/z1/r1']);
    expect(applied).toEqual([['g:topology/rack/z1/r1', 'm:2']]);
    await clock.advanceTo(T0 + 36_000, settle);
    expect(port.calls.map((call) => [call.group.key, call.at.getTime() - T0])).toEqual([
      ['topology/rack/z1/r1', 30_000],
      ['topology/rack/z1/r2', 36_000],
    ]);
    expect(applied.at(-1)).toEqual(['g:topology/rack/z1/r2', 'm:2']);
    expect(errors).toEqual([]);
  });

  it('takes the written rows that wait before a wake-up without rows, and reads only what follows them', async () => {
    rowsRead = 0;
    tableReads = 0;
    const at = new Date(clock.now()).toISOString();
    // The first write starts a pass, held while it looks up the node; a wake-up without rows and two more
    // writes come meanwhile.
    let release = (): void => undefined;
    topologyHeld = new Promise((resolve) => (release = resolve));
    await store.alerts.upsert([nodeAlert('n1', T0)], at);
    wakeWithoutRows();
    await store.alerts.upsert([nodeAlert('n2', T0)], at);
    await store.alerts.upsert([nodeAlert('n3', T0)], at);
    topologyHeld = undefined;
    release();
    await settle();
    // The table was read (the wake-up asked for it), but from after the rows handed over: their objects,
    // already held, are not read back as copies.
    expect(tableReads).toBeGreaterThanOrEqual(1);
    expect(rowsRead).toBe(0);
    await clock.advanceTo(T0 + 30_000, settle);
    expect(port.exceptions.map((e) => [e.correlationKey, e.alerts.size])).toEqual([
      ['topology/rack/z1/r1', 3],
    ]);
    expect(errors).toEqual([]);
  });

  it('after a restart, rebuilds from the table and the records: nothing opens twice, resolves still come', async () => {
    await post(['n1', 'n2', 'n3'].map((node) => nodeAlert(node, T0)));
    await clock.advanceTo(T0 + 30_000, settle);
    expect(port.exceptions).toHaveLength(1);
    const calls = port.calls.length;

    await runner.stop();
    await clock.advanceTo(T0 + 60_000);
    runner = build();
    await runner.start();
    await settle();
    expect(port.calls).toHaveLength(calls);
    expect(runner.openGroups().map((g) => g.key)).toEqual(['topology/rack/z1/r1']);

    // Resolved while the group is known from the table: the port hears each resolve, then the group's.
    await post(['n1', 'n2', 'n3'].map((node) => nodeAlert(node, T0, clock.now())));
    expect(port.resolvedCalls.map((c) => c.key)).toEqual(['topology/rack/z1/r1']);
    expect(port.exceptions[0]!.state).toBe('resolved');
    expect(await store.correlation.loadMembers()).toEqual([]);
    expect(await store.correlation.loadGroups()).toEqual([]);

    // The rack fails again later: held, decided, and the port reopens the same exception.
    await clock.advanceTo(T0 + 120_000, settle);
    await post(['n4', 'n5'].map((node) => nodeAlert(node, clock.now())));
    await clock.advanceTo(T0 + 150_000, settle);
    expect(port.exceptions).toHaveLength(1);
    expect(port.exceptions[0]!.state).toBe('open');
    expect(opened.at(-1)).toBe('ops/exc-1:reopened');
  });

  it('a rule from the resources wins over topology', async () => {
    await runner.stop();
    rules = [
      {
        name: 'readiness',
        spec: {
          match: 'labels.alertname == "NodeNotReady"',
          groupBy: [{ label: 'cluster' }],
          window: '5m',
          threshold: 3,
          title: 'Nodes not ready in ${shared.cluster}',
          severity: 'major',
          resolveOn: 'last_resolved',
          enabled: true,
        },
      },
    ];
    runner = build();
    await runner.start();
    await post(['n1', 'n60'].map((node) => nodeAlert(node, T0)));
    await clock.advanceTo(T0 + 60_000, settle);
    expect(port.exceptions).toHaveLength(0);
    await post([nodeAlert('n99', clock.now())]);
    expect(port.exceptions.map((e) => [e.correlationKey, e.title, e.reason.ruleKind])).toEqual([
      ['rule/readiness/{"cluster":"c1"}', 'Nodes not ready in c1', 'CorrelationRule'],
    ]);
  });

  it('when the exception service fails, rebuilds and tries again without losing or doubling the exception', async () => {
    portDown = true;
    await post(['n1', 'n2'].map((node) => nodeAlert(node, T0)));
    await clock.advanceTo(T0 + 30_000, settle);
    expect(errors).toHaveLength(1);
    expect(port.exceptions).toHaveLength(0);
    portDown = false;
    await clock.advanceTo(T0 + 40_000, settle);
    await settle();
    expect(port.exceptions.map((e) => e.correlationKey)).toEqual(['topology/rack/z1/r1']);
    expect(port.exceptions[0]!.alerts.size).toBe(2);
  });

  it('a leader held mid-round whose lease moved writes no exception and no state, tells its term once, rebuilds nothing (ADR 0028)', async () => {
    await runner.stop();
    const LEASE = 'health-correlation';
    expect(await store.leases.tryAcquire(LEASE, 'x', 1000, T0)).toBe(true);
    const fence = { lease: LEASE, holder: 'x', transitions: (await store.leases.get(LEASE))!.transitions };
    const refusals: unknown[] = [];
    const term = { fence, refused: (error: FencedWriteRefused) => void refusals.push(error) };
    const service = new ExceptionService({
      repository: store.exceptions,
      policies: new MemoryPolicySource(),
      recorder: new MemoryEventRecorder(),
      clock,
      newId: () => 'exc-held',
    });
    // The leader is held when it calls the exception service, its decision made.
    let resume!: () => void;
    const held = new Promise<void>((resolve) => (resume = resolve));
    let calls = 0;
    runner = build(true, {
      correlate: async (group, at, write) => {
        calls += 1;
        await held;
        return service.correlate(group, at, write);
      },
      groupResolved: (team, key, at, write) => service.groupResolved(team, key, at, write),
      recordActivity: (team, id, activity, write) => service.recordActivity(team, id, activity, write),
    });
    await runner.start(term);
    await post(['n1', 'n2'].map((node) => nodeAlert(node, T0)));
    await clock.advanceTo(T0 + 30_000);
    for (let i = 0; i < 1000 && calls === 0; i++) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(calls).toBe(1);
    expect(await store.leases.tryAcquire(LEASE, 'y', 1000, T0 + 40_000)).toBe(true);
    resume();
    await settle();
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toBeInstanceOf(FencedWriteRefused);
    expect(errors).toEqual([]);
    expect((await store.exceptions.list({ limit: 10 })).items).toEqual([]);
    expect(await store.correlation.loadGroups()).toEqual([]);
    // The term is over: no rebuild, no retry.
    await clock.advanceTo(T0 + 120_000, settle);
    expect(calls).toBe(1);
    expect(refusals).toHaveLength(1);
  });
});
