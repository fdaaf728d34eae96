import { describe, expect, it } from 'vitest';
import { createCelEngine } from '@gantry/delivery';
import type { CorrelationRuleSpec } from '@gantry/model';
import { compileCorrelationRule } from './compile-rule.ts';
import { CorrelationEngine, withinWindow, type EngineAlert } from './engine.ts';
import { MemoryExceptions } from './memory-exceptions.ts';
import type { NodePlace } from './topology.ts';

const T0 = Date.parse('2026-12-03T06:00:00Z');
const HOUR = 3_600_000;
const cel = createCelEngine();

function nodeAlert(node: string, at: number, extra: Partial<EngineAlert> = {}): EngineAlert {
  return {
    team: 'ops',
    fingerprint: `fp-${node}-${extra.labels?.['alertname'] ?? 'NodeDown'}`,
    labels: { alertname: 'NodeDown', node, severity: 'critical' },
    annotations: {},
    entities: { cluster: 'c1', node },
    startsAt: at,
    endsAt: at + HOUR,
    ...extra,
  };
}

function rule(name: string, spec: Partial<CorrelationRuleSpec> & { match: string }) {
  const compiled = compileCorrelationRule(cel, name, {
    groupBy: [],
    window: '5m',
    threshold: 1,
    title: 'rule ${rule}',
    severity: 'major',
    resolveOn: 'last_resolved',
    enabled: true,
    ...spec,
  });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.rule;
}

/** The engine with the in-memory port: each round's effects go through the port, as the runner does. */
function harness(groupWaitMs = 30_000) {
  const engine = new CorrelationEngine({ groupWaitMs });
  const port = new MemoryExceptions();
  const outcomes: string[] = [];
  const places = new Map<string, NodePlace>();
  const round = async (now: number) => {
    engine.decide(now);
    for (const effect of engine.drain().effects) {
      if (effect.type === 'correlate') {
        const answer = await port.correlate(effect.group, new Date(now));
        outcomes.push(answer.outcome);
        engine.setExceptionId(effect.group.team, effect.group.key, answer.exceptionId);
      } else await port.groupResolved(effect.team, effect.key, new Date(now));
    }
    engine.drain();
  };
  const observe = (alert: EngineAlert, now: number) =>
    engine.observe(alert, places.get(alert.entities.node ?? ''), now);
  return { engine, port, outcomes, places, round, observe };
}

describe('correlation engine: storm collapse by failure domain', () => {
  it('folds 400 node alerts of one rack into one exception, after the group wait and not before', async () => {
    const h = harness();
    for (let i = 0; i < 400; i++) {
      const node = `n${i}`;
      h.places.set(node, { zone: 'z1', rack: 'r1' });
      h.observe(nodeAlert(node, T0 + i * 50), T0 + i * 50);
    }
    await h.round(T0 + 25_000);
    expect(h.port.exceptions).toHaveLength(0);
    expect(h.engine.nextDueAt()).toBe(T0 + 30_000);
    await h.round(T0 + 30_000);
    expect(h.port.exceptions).toHaveLength(1);
    const [exception] = h.port.exceptions;
    expect(exception!.correlationKey).toBe('topology/rack/z1/r1');
    expect(exception!.reason).toEqual({
      rule: 'topology',
      ruleKind: 'Topology',
      shared: { domain: 'rack', zone: 'z1', rack: 'r1' },
    });
    expect(exception!.alerts.size).toBe(400);
    expect(exception!.severity).toBe('critical');
    expect(exception!.title).toBe('Rack r1 (zone z1): NodeDown on 400 nodes');
    expect(exception!.entities.filter((e) => e.kind === 'Node')).toHaveLength(400);
  });

  it('makes two racks two exceptions, and a lone node in a third rack its own', async () => {
    const h = harness();
    for (let i = 0; i < 200; i++) {
      for (const rack of ['r1', 'r2']) {
        const node = `${rack}-n${i}`;
        h.places.set(node, { zone: 'z1', rack });
        h.observe(nodeAlert(node, T0 + i * 10), T0 + i * 10);
      }
    }
    h.places.set('stray', { zone: 'z1', rack: 'r3' });
    h.observe(nodeAlert('stray', T0 + 1000), T0 + 1000);
    await h.round(T0 + 31_000);
    expect(h.port.exceptions.map((e) => e.correlationKey).sort()).toEqual([
      'topology/node/c1/stray',
      'topology/rack/z1/r1',
      'topology/rack/z1/r2',
    ]);
  });

  it('groups nodes of different racks of one zone by the zone when no rack is shared', async () => {
    const h = harness();
    ['a', 'b', 'c'].forEach((node, i) => {
      h.places.set(node, { zone: 'z9', rack: `rack-${i}` });
      h.observe(nodeAlert(node, T0), T0);
    });
    await h.round(T0 + 30_000);
    expect(h.port.exceptions.map((e) => e.correlationKey)).toEqual(['topology/zone/z9']);
  });

  it('lets alerts that arrive after the decision join the open domain at once', async () => {
    const h = harness();
    for (const node of ['a', 'b']) {
      h.places.set(node, { rack: 'r1' });
      h.observe(nodeAlert(node, T0), T0);
    }
    await h.round(T0 + 30_000);
    h.places.set('late', { rack: 'r1' });
    h.observe(nodeAlert('late', T0 + 40_000), T0 + 40_000);
    await h.round(T0 + 40_000);
    expect(h.port.exceptions).toHaveLength(1);
    expect(h.outcomes).toEqual(['opened', 'joined']);
    expect(h.port.exceptions[0]!.alerts.size).toBe(3);
  });
  it('decides only the domains whose group wait has passed among thousands of held alerts, as if it bucketed them all', async () => {
    const h = harness();
    // 100 clusters, one started every second, each with 30 alerts on three nodes of one rack, and a rack
    // shared across clusters by the first node of every cluster (the rack claims it before the cluster).
    for (let c = 0; c < 100; c++)
      for (let i = 0; i < 30; i++) {
        const node = `c${c}-n${i % 3}`;
        h.places.set(node, i % 3 === 0 ? { rack: 'shared' } : {});
        const at = T0 + c * 1000;
        h.observe(
          nodeAlert(node, at, {
            fingerprint: `c${c}-${i}`,
            entities: { cluster: `c${c}`, node },
          }),
          at,
        );
      }
    expect(h.engine.pendingCount).toBe(3000);
    await h.round(T0 + 30_000);
    // Due: the first cluster's alerts; the shared rack holds alerts of 100 nodes and claims them all.
    expect(h.port.exceptions.map((e) => [e.correlationKey, e.alerts.size])).toEqual([
      ['topology/rack/shared', 1000],
      ['topology/cluster/c0', 20],
    ]);
    await h.round(T0 + 30_500);
    expect(h.port.exceptions).toHaveLength(2);
    expect(h.engine.nextDueAt()).toBe(T0 + 31_000);
    await h.round(T0 + 40_000);
    expect(h.port.exceptions.map((e) => e.correlationKey).slice(2)).toEqual(
      Array.from({ length: 10 }, (_, c) => `topology/cluster/c${c + 1}`),
    );
    expect(h.engine.pendingCount).toBe(3000 - 1000 - 20 * 11);
  });
});

describe('correlation engine: resolved alerts', () => {
  it('never opens an exception for, or counts, a resolved alert', async () => {
    const h = harness();
    h.engine.setRules('ops', [rule('disk', { match: 'labels.alertname == "DiskFull"', threshold: 3 })]);
    const disk = (i: number, endsAt: number): EngineAlert => ({
      team: 'ops',
      fingerprint: `disk-${i}`,
      labels: { alertname: 'DiskFull', i: String(i) },
      annotations: {},
      entities: {},
      startsAt: T0,
      endsAt,
    });
    // Three alerts posted already resolved, two firing: two firing alerts are under the threshold of 3.
    for (let i = 0; i < 3; i++) h.observe(disk(i, T0 + 1000), T0 + 2000);
    h.observe(disk(3, T0 + HOUR), T0 + 2000);
    h.observe(disk(4, T0 + HOUR), T0 + 2000);
    await h.round(T0 + 2000);
    expect(h.port.calls).toHaveLength(0);
    // A resolved node alert never opens a topology exception either.
    h.observe(nodeAlert('n1', T0, { endsAt: T0 + 500 }), T0 + 1000);
    await h.round(T0 + 60_000);
    expect(h.port.calls).toHaveLength(0);
    // A pending alert that expires before its group opens stops counting.
    h.observe(disk(5, T0 + 3000), T0 + 2000);
    await h.round(T0 + 4000);
    expect(h.port.calls).toHaveLength(0);
    h.observe(disk(6, T0 + HOUR), T0 + 5000);
    await h.round(T0 + 5000);
    expect(h.port.exceptions).toHaveLength(1);
    expect([...h.port.exceptions[0]!.alerts.keys()].map((k) => k.split('/')[0]).sort()).toEqual([
      'disk-3',
      'disk-4',
      'disk-6',
    ]);
  });

  it('resolves the exception with its last alert, and reopens it through the port for a late alert, never absorbing it', async () => {
    const h = harness();
    for (const node of ['a', 'b']) {
      h.places.set(node, { rack: 'r1' });
      h.observe(nodeAlert(node, T0), T0);
    }
    await h.round(T0 + 30_000);
    h.observe(nodeAlert('a', T0, { endsAt: T0 + 60_000 }), T0 + 60_000);
    await h.round(T0 + 60_000);
    expect(h.port.resolvedCalls).toHaveLength(0);
    h.observe(nodeAlert('b', T0, { endsAt: T0 + 61_000 }), T0 + 61_000);
    await h.round(T0 + 61_000);
    expect(h.port.resolvedCalls.map((c) => c.key)).toEqual(['topology/rack/r1']);
    expect(h.port.exceptions[0]!.state).toBe('resolved');

    // The rack fails again: the new alerts are held and decided again, then correlated: the port reopens.
    for (const node of ['a', 'b']) h.observe(nodeAlert(node, T0 + 120_000), T0 + 120_000);
    await h.round(T0 + 125_000);
    expect(h.port.exceptions[0]!.state).toBe('resolved');
    await h.round(T0 + 150_000);
    expect(h.port.exceptions).toHaveLength(1);
    expect(h.port.exceptions[0]!.state).toBe('open');
    expect(h.port.exceptions[0]!.reopened).toBe(1);
    expect(h.outcomes.at(-1)).toBe('reopened');
  });

  it('resolves on the first resolve when the rule says so, and the rest of its alerts stay spent', async () => {
    const h = harness();
    h.engine.setRules('ops', [
      rule('broker', {
        match: 'labels.alertname == "BrokerDown"',
        groupBy: [{ label: 'cluster' }],
        resolveOn: 'first_resolved',
      }),
    ]);
    const broker = (i: number, endsAt = T0 + HOUR): EngineAlert => ({
      team: 'ops',
      fingerprint: `b-${i}`,
      labels: { alertname: 'BrokerDown', cluster: 'kafka', broker: String(i) },
      annotations: {},
      entities: {},
      startsAt: T0,
      endsAt,
    });
    h.observe(broker(1), T0);
    h.observe(broker(2), T0);
    await h.round(T0);
    expect(h.port.exceptions).toHaveLength(1);
    h.observe(broker(1, T0 + 1000), T0 + 1000);
    await h.round(T0 + 1000);
    expect(h.port.exceptions[0]!.state).toBe('resolved');
    // Broker 2 keeps firing (resent): it does not reopen anything.
    h.observe(broker(2), T0 + 2000);
    await h.round(T0 + 2000);
    expect(h.port.calls).toHaveLength(2);
    expect(h.port.exceptions[0]!.state).toBe('resolved');
  });

  it('resolves a first_resolved group on the alert that ends first, whatever the order they joined in', async () => {
    const h = harness();
    h.engine.setRules('ops', [
      rule('broker', { match: 'labels.alertname == "BrokerDown"', resolveOn: 'first_resolved' }),
    ]);
    for (const [i, endsAt] of [
      [1, T0 + 9_000],
      [2, T0 + 5_000],
    ] as const)
      h.observe(
        {
          team: 'ops',
          fingerprint: `b-${i}`,
          labels: { alertname: 'BrokerDown', broker: String(i) },
          annotations: {},
          entities: {},
          startsAt: T0,
          endsAt,
        },
        T0,
      );
    await h.round(T0);
    expect(h.engine.nextDueAt()).toBe(T0 + 5_000);
    await h.round(T0 + 10_000);
    // The group closed with b-2's resolve: b-1's, later in the same round, is not another call.
    expect(h.port.calls.at(-1)!.group.alerts.map((a) => [a.fingerprint, a.state])).toEqual([
      ['b-2', 'resolved'],
    ]);
    expect(h.port.exceptions[0]!.state).toBe('resolved');
  });

  it('resolves members whose endsAt passes without a new record', async () => {
    const h = harness(0);
    h.observe(nodeAlert('solo', T0, { endsAt: T0 + 10_000 }), T0);
    await h.round(T0);
    expect(h.port.exceptions[0]!.correlationKey).toBe('topology/node/c1/solo');
    expect(h.engine.nextDueAt()).toBe(T0 + 10_000);
    await h.round(T0 + 10_000);
    expect(h.port.exceptions[0]!.state).toBe('resolved');
  });
});

describe('correlation engine: rules', () => {
  it('a CorrelationRule match wins over topology, grouped by its values and named by its template', async () => {
    const h = harness();
    h.engine.setRules('ops', [
      rule('power', {
        match: 'labels.alertname == "NodeDown" && has(entities.node)',
        groupBy: [{ label: 'dc' }, { name: 'row', cel: 'labels.node.substring(0, 1)' }],
        title: 'Power in ${shared.dc}, row ${shared.row}',
        severity: 'critical',
      }),
    ]);
    for (const node of ['a1', 'a2', 'b1']) {
      h.places.set(node, { rack: 'r1' });
      h.observe(nodeAlert(node, T0, { labels: { alertname: 'NodeDown', node, dc: 'fra' } }), T0);
    }
    await h.round(T0);
    expect(h.port.exceptions.map((e) => [e.correlationKey, e.title]).sort()).toEqual([
      ['rule/power/{"dc":"fra","row":"a"}', 'Power in fra, row a'],
      ['rule/power/{"dc":"fra","row":"b"}', 'Power in fra, row b'],
    ]);
    expect(h.port.exceptions[0]!.reason).toEqual({
      rule: 'power',
      ruleKind: 'CorrelationRule',
      shared: { dc: 'fra', row: 'a' },
    });
    await h.round(T0 + 60_000);
    expect(h.port.exceptions).toHaveLength(2);
  });

  it('opens a rule group when its threshold of alerts started within the window', async () => {
    const h = harness();
    h.engine.setRules('ops', [
      rule('lag', { match: 'labels.alertname == "Lag"', threshold: 3, window: '1m' }),
    ]);
    const lag = (i: number, at: number): EngineAlert => ({
      team: 'ops',
      fingerprint: `lag-${i}`,
      labels: { alertname: 'Lag', i: String(i) },
      annotations: {},
      entities: {},
      startsAt: at,
      endsAt: at + HOUR,
    });
    h.observe(lag(1, T0), T0);
    h.observe(lag(2, T0 + 90_000), T0 + 90_000);
    await h.round(T0 + 90_000);
    h.observe(lag(3, T0 + 120_000), T0 + 120_000);
    await h.round(T0 + 120_000);
    expect(h.port.exceptions).toHaveLength(0);
    h.observe(lag(4, T0 + 130_000), T0 + 130_000);
    await h.round(T0 + 130_000);
    // Alerts 2, 3, 4 started within a minute: the group opens with every alert it holds, 1 included.
    expect(h.port.exceptions).toHaveLength(1);
    expect(h.port.exceptions[0]!.alerts.size).toBe(4);
  });

  it('counts a window of start times', () => {
    expect(withinWindow([0, 10, 20], 20, 3)).toBe(true);
    expect(withinWindow([0, 10, 21], 20, 3)).toBe(false);
    expect(withinWindow([5], 20, 1)).toBe(true);
  });
});

describe('correlation engine: teams', () => {
  it('forgets a deleted team: its held alerts never open, its groups are gone', async () => {
    const h = harness();
    h.observe(nodeAlert('held', T0), T0);
    h.observe({ ...nodeAlert('open', T0), team: 'other' }, T0);
    await h.round(T0 + 30_000);
    h.observe(nodeAlert('held-too', T0 + 31_000), T0 + 31_000);
    h.engine.removeTeam('ops');
    await h.round(T0 + 90_000);
    expect(h.port.exceptions.map((e) => [e.team, e.correlationKey])).toEqual([
      ['ops', 'topology/node/c1/held'],
      ['other', 'topology/node/c1/open'],
    ]);
    expect(h.engine.openGroups().map((g) => g.team)).toEqual(['other']);
    expect(h.engine.pendingCount).toBe(0);
  });
});

describe('correlation engine: restart', () => {
  /** The state rows of rack r1 decided with nodes a and b, as the table keeps them. */
  const rackOfTwo = () => {
    const first = harness();
    for (const node of ['a', 'b']) {
      first.places.set(node, { rack: 'r1' });
      first.observe(nodeAlert(node, T0), T0);
    }
    first.engine.decide(T0 + 30_000);
    const changes = first.engine.drain();
    return {
      groups: changes.groups.flatMap((g) => (g.record ? [g.record] : [])),
      members: changes.members.flatMap((m) => (m.record ? [m.record] : [])),
    };
  };

  it('rebuilds from its rows and the alert records without opening anything twice', async () => {
    const { groups, members } = rackOfTwo();
    expect(groups).toHaveLength(1);
    expect(members).toHaveLength(2);

    const second = new CorrelationEngine({ groupWaitMs: 30_000 });
    second.restore(groups, members);
    // Alert a is seen again; b's record is gone (retention): b has ended.
    second.observe(nodeAlert('a', T0), { rack: 'r1' }, T0 + 40_000);
    second.endRebuild(T0 + 40_000);
    second.decide(T0 + 40_000);
    const after = second.drain();
    expect(after.effects).toHaveLength(1);
    const [effect] = after.effects;
    expect(effect).toMatchObject({ type: 'correlate', group: { key: 'topology/rack/r1' } });
    if (effect?.type !== 'correlate') throw new Error('expected a correlate call');
    expect(effect.group.alerts.map((a) => [a.fingerprint, a.state])).toEqual([['fp-b-NodeDown', 'resolved']]);
    expect(second.openGroups()).toHaveLength(1);
  });

  it('keeps each entity of a restored group once as alerts join it', async () => {
    const { groups, members } = rackOfTwo();
    const second = new CorrelationEngine({ groupWaitMs: 30_000 });
    second.restore(groups, members);
    const names = () => second.openGroups()[0]!.entities.map((e) => `${e.kind}/${e.name}`);
    expect(names()).toEqual(['Cluster/c1', 'Node/a', 'Node/b']);
    // Another alert of node a, and one of a new node c, join the open rack at once.
    second.observe(
      nodeAlert('a', T0 + 40_000, { labels: { alertname: 'DiskFull', node: 'a' } }),
      { rack: 'r1' },
      T0 + 40_000,
    );
    second.observe(nodeAlert('c', T0 + 40_000), { rack: 'r1' }, T0 + 40_000);
    expect(names()).toEqual(['Cluster/c1', 'Node/a', 'Node/b', 'Node/c']);
  });
});
