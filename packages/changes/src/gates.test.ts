import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '@gantry/store';
import type { ChangeStatus } from '@gantry/model';
import { ChangeReason } from './change-reasons.ts';
import { StepType } from './journal.ts';
import { ADMIN, ChangeHarness, FakeActuator, TEAM } from './testing/index.ts';

const T0 = Date.parse('2026-01-14T10:00:00Z');
const MINUTE = 60_000;
const nodes = (count: number) =>
  Array.from({ length: count }, (_, i) => `east/n${String(i).padStart(3, '0')}`);

let store: Store;
let actuator: FakeActuator;
let h: ChangeHarness;

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
  actuator = new FakeActuator(nodes(10));
  h = new ChangeHarness(store, actuator, T0);
  await h.createTeam();
});

afterEach(async () => {
  await store.close();
});

/** The seed's 30/10/5 plan over 10 nodes: batches of 1, 1, then 1 at a time (10%). */
const cordon = { nodeOperation: { operation: 'cordon' }, targets: { selector: '' } };
const errorGate = {
  name: 'errors',
  source: 'prom',
  query: 'sum(rate(http_errors_total{node=~"$names"}[$window]))',
  failureCondition: 'max > 0.5',
  minSamples: 3,
};

async function journal(name: string) {
  const change = await h.resources.get(ADMIN, 'Change', TEAM, name);
  return store.changes.entries(change.metadata.uid);
}

const gatesOf = (status: ChangeStatus, batch: number) => status.batches![batch]!.gates ?? [];
/** Paused or ended: a paused change is looked at again and again, so `run` stops there. */
const settled = (status: ChangeStatus) =>
  ['Paused', 'Succeeded', 'Aborted', 'Failed', 'RolledBack'].includes(status.phase ?? '');

describe('metric gates', () => {
  it('fails a batch on values over its condition, keeps the resolved query and the values, and pauses', async () => {
    h.metrics.answer = (expr) => (expr.includes('n001') ? [0.1, 0.9, 0.8] : [0, 0, 0.1]);
    await h.apply('Change', 'gated', { ...cordon, gates: { metrics: [errorGate] } });
    const term = (await h.lead('a'))!;
    await h.run(term, 'gated', (status) => status.phase === 'Paused');
    const status = await h.status('gated');
    // Batch 0 (n000, 30 minutes) passed; batch 1 (n001, 10 minutes) failed at the end of its observation.
    expect(gatesOf(status, 0).map((gate) => [gate.gate, gate.verdict])).toEqual([
      ['health', 'Passed'],
      ['errors', 'Passed'],
    ]);
    const failed = gatesOf(status, 1).find((gate) => gate.gate === 'errors')!;
    expect(failed).toMatchObject({
      kind: 'Metric',
      verdict: 'Failed',
      round: 0,
      observed: {
        query: 'sum(rate(http_errors_total{node=~"n001"}[10m]))',
        samples: 3,
        values: [0.1, 0.9, 0.8],
      },
    });
    expect(failed.message).toContain('failureCondition max > 0.5 held');
    expect(status.paused!.reason).toContain('batch 1 gate errors');
    expect(status.batches![1]!.phase).toBe('Observing');
    expect(h.now - T0).toBe(40 * MINUTE);
    // The range read is the batch's observation: its last 10 minutes, 30 s apart.
    const call = h.metrics.calls.find((c) => c.expr.includes('n001'))!;
    expect([call.end - call.start, call.stepMs]).toEqual([10 * MINUTE, 30_000]);
    expect(actuator.calls).toHaveLength(2);

    // Resumed: the batch is observed again from now and its gates read the new window (values are fine now).
    h.metrics.answer = () => [0, 0, 0];
    await h.service.act(ADMIN, TEAM, 'gated', 'resume', 'the errors were a deploy of the client');
    const resumedAt = h.now;
    await h.run(term, 'gated', (s) => s.currentBatch === 2);
    const again = await h.status('gated');
    expect(
      gatesOf(again, 1)
        .filter((gate) => gate.gate === 'errors')
        .map((g) => [g.round, g.verdict]),
    ).toEqual([
      [0, 'Failed'],
      [1, 'Passed'],
    ]);
    expect(again.batches![1]!.completedAt).toBe(new Date(resumedAt + 10 * MINUTE).toISOString());
    await h.run(term, 'gated');
    expect((await h.status('gated')).phase).toBe('Succeeded');
  });

  it('applies each no-data policy, and never passes silently', async () => {
    const policies = {
      fail: { policy: 'Fail' },
      pause: { policy: 'Pause' },
      ignore: { policy: 'Ignore' },
      idle: {
        policy: 'PassIfZeroTraffic',
        trafficQuery: 'sum(rate(http_requests_total{node=~"$names"}[1m]))',
      },
      busy: {
        policy: 'PassIfZeroTraffic',
        trafficQuery: 'sum(rate(http_requests_total{node=~"$names"}[2m]))',
      },
    };
    h.metrics.answer = (expr) =>
      expr.includes('http_requests_total') ? (expr.includes('[2m]') ? [0, 3, 0] : [0, 0]) : [];
    const term = (await h.lead('a'))!;
    const outcome: Record<string, unknown> = {};
    for (const [name, noData] of Object.entries(policies)) {
      await h.apply('Change', name, {
        nodeOperation: { operation: 'cordon' },
        targets: { names: ['east/n000'] },
        plan: { batches: [{ size: '1', bake: '5m' }] },
        gates: { metrics: [{ ...errorGate, noData }] },
        failurePolicy: 'Abort',
      });
      await h.run(term, name, settled);
      const status = await h.status(name);
      const gate = gatesOf(status, 0).find((g) => g.gate === 'errors')!;
      outcome[name] = [status.phase, gate.verdict, gate.noDataPolicy];
      if (name === 'pause') {
        expect(status.paused?.reason).toContain('0 sample(s), fewer than minSamples 3');
        expect(status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe(ChangeReason.Paused);
        const entries = await journal(name);
        expect(entries.at(-1)?.data.cause).toBe(ChangeReason.GateNoData);
      }
      if (name === 'busy') expect(gate.traffic?.values).toEqual([0, 3, 0]);
      if (status.phase === 'Paused') await h.service.act(ADMIN, TEAM, name, 'abort', 'next case');
      await h.run(term, name);
    }
    expect(outcome).toEqual({
      fail: ['Aborted', 'Failed', 'Fail'],
      pause: ['Paused', 'NoData', 'Pause'],
      ignore: ['Succeeded', 'Ignored', 'Ignore'],
      idle: ['Succeeded', 'Passed', 'PassIfZeroTraffic'],
      busy: ['Aborted', 'Failed', 'PassIfZeroTraffic'],
    });
  });

  it('counts a Prometheus error as no data, with its message, not as a pass', async () => {
    h.metrics.answer = () => ({ ok: false, reason: 'QueryFailed', message: 'parse error: unexpected }' });
    await h.apply('Change', 'broken', {
      nodeOperation: { operation: 'cordon' },
      targets: { names: ['east/n000'] },
      plan: { batches: [{ size: '1', bake: '1m' }] },
      gates: { metrics: [errorGate] },
    });
    const term = (await h.lead('a'))!;
    await h.run(term, 'broken', settled);
    const gate = gatesOf(await h.status('broken'), 0).find((g) => g.gate === 'errors')!;
    expect(gate.verdict).toBe('Failed');
    expect(gate.message).toContain('QueryFailed: parse error');
  });
});

describe('canary versus baseline', () => {
  const canary = (query: string) => ({
    source: 'prom',
    query,
    maxIncrease: 0.01,
    maxRatio: 1.5,
    minSamples: 2,
  });
  const phases = new Map<string, string | undefined>();
  const run = async (name: string, canaryValues: number[], baselineValues: number[]) => {
    h.metrics.answer = (expr) => (expr.includes('"n000"') ? canaryValues : baselineValues);
    await h.apply('Change', name, {
      ...cordon,
      plan: {
        batches: [
          { size: '1', bake: '5m' },
          { size: '100%', bake: '0s' },
        ],
      },
      gates: { health: false, canary: canary('errors_ratio{node=~"$names"}') },
    });
    const term = (await h.lead('a'))!;
    await h.run(
      term,
      name,
      (status) => status.batches?.[0]?.phase === 'Completed' || status.phase === 'Paused',
    );
    const status = await h.status(name);
    phases.set(name, status.phase);
    const gate = gatesOf(status, 0).find((result) => result.gate === 'canary')!;
    // Out of the way of the next change over the same nodes.
    await h.service.act(ADMIN, TEAM, name, 'abort', 'next case');
    await h.run(term, name);
    return gate;
  };

  it('fails a canary worse than its baseline, reading the baseline from the targets not yet changed', async () => {
    const gate = await run('worse', [0.2, 0.3], [0.05, 0.05]);
    expect(gate.verdict).toBe('Failed');
    expect(gate.observed).toMatchObject({ query: 'errors_ratio{node=~"n000"}', mean: 0.25 });
    expect(gate.baseline!.query).toBe('errors_ratio{node=~"n001|n002|n003|n004|n005|n006|n007|n008|n009"}');
    expect(gate.baseline!.mean).toBe(0.05);
    expect(gate.message).toContain('worse than its baseline');
    expect(phases.get('worse')).toBe('Paused');
  });

  it('fails errors against a zero baseline (no NaN), and passes a canary as good as its baseline', async () => {
    const zero = await run('zero-baseline', [0.02, 0.04], [0, 0]);
    expect(zero.verdict).toBe('Failed');
    expect(zero.message).toContain('baseline zero');
    const same = await run('same', [0, 0], [0, 0]);
    expect(same.verdict).toBe('Passed');
    const within = await run('within', [0.051, 0.052], [0.05, 0.05]);
    expect(within.verdict).toBe('Passed');
  });
});

describe('approvals', () => {
  it('holds a batch that needs an approval, records who approved and why, and a rejection is a failure', async () => {
    await h.apply('Change', 'approve-me', {
      ...cordon,
      plan: {
        batches: [
          { size: '1', bake: '1m' },
          { size: '2', bake: '1m', approval: true },
          { size: '100%', bake: '1m', approval: true },
        ],
      },
    });
    const term = (await h.lead('a'))!;
    await expect(h.service.act(ADMIN, TEAM, 'approve-me', 'approve', 'too early')).rejects.toMatchObject({
      code: 'GANTRY_E_CHANGE_STATE',
    });
    await h.run(term, 'approve-me', (status) => status.batches?.[1]?.phase === 'AwaitingApproval');
    h.now += 60 * MINUTE;
    await h.run(term, 'approve-me', () => true);
    const waiting = await h.status('approve-me');
    expect(waiting.phase).toBe('Waiting');
    expect(waiting.conditions?.find((c) => c.type === 'Blocked')?.reason).toBe(ChangeReason.AwaitingApproval);
    expect(waiting.batches![1]!.approval).toEqual({ state: 'Waiting' });
    expect(actuator.calls).toHaveLength(1);

    await h.service.act(ADMIN, TEAM, 'approve-me', 'approve', 'the first node looks good');
    await h.run(term, 'approve-me', (status) => status.batches?.[2]?.phase === 'AwaitingApproval');
    const approved = await h.status('approve-me');
    expect(approved.batches![1]!.approval).toMatchObject({
      state: 'Approved',
      actor: 'system:gantry',
      reason: 'the first node looks good',
    });
    expect(actuator.calls).toHaveLength(3);

    await h.service.act(ADMIN, TEAM, 'approve-me', 'reject', 'latency went up on n002');
    await h.run(term, 'approve-me', (status) => status.phase === 'Paused');
    const rejected = await h.status('approve-me');
    expect(rejected.batches![2]!.approval).toMatchObject({
      state: 'Rejected',
      reason: 'latency went up on n002',
    });
    expect(rejected.paused!.reason).toContain('batch 2 rejected by system:gantry');
    expect(actuator.calls).toHaveLength(3);
    const audit = await store.audit.query({ limit: 10 });
    expect(audit.entries.map((entry) => entry.action)).toEqual(expect.arrayContaining(['approve', 'reject']));
  });
});

describe('exceptions', () => {
  it('an exception opened on an entity the change changed pauses it, and links the two', async () => {
    await h.apply('Change', 'linked', cordon);
    const term = (await h.lead('a'))!;
    await h.run(term, 'linked', (status) => status.currentBatch === 1 && status.phase === 'Observing');
    const calls = actuator.calls.length;
    // On n000, changed in batch 0 (completed): batch 1's health gate does not see it; the change still pauses.
    h.health.exceptions.push({
      id: 'exc-42',
      title: 'kubelet down',
      entity: 'east/n000',
      at: new Date(h.now).toISOString(),
    });
    await h.run(term, 'linked', (status) => status.phase === 'Paused');
    const status = await h.status('linked');
    expect(status.exceptions).toEqual([
      { id: 'exc-42', link: 'PausedBy', at: new Date(h.now).toISOString(), title: 'kubelet down' },
    ]);
    expect(status.paused).toMatchObject({ actor: 'controller/change' });
    expect(status.paused!.reason).toContain('exception exc-42 opened on its entities');
    expect(h.health.links).toEqual([{ id: 'exc-42', message: 'change linked paused by this exception' }]);
    h.now += 60 * MINUTE;
    await h.run(term, 'linked', () => true);
    expect(actuator.calls.length).toBe(calls);
    // Resumed: the same exception does not pause it again.
    await h.service.act(ADMIN, TEAM, 'linked', 'resume', 'known, unrelated');
    await h.run(term, 'linked');
    expect((await h.status('linked')).phase).toBe('Succeeded');
  });

  it('the health gate fails a batch on an alert on its entities during its observation, at once', async () => {
    await h.apply('Change', 'alerted', cordon);
    const term = (await h.lead('a'))!;
    await h.run(term, 'alerted', (status) => status.phase === 'Observing');
    h.now += 5 * MINUTE;
    h.health.alerts.push({
      id: 'fp-1',
      title: 'NodeNotReady',
      entity: 'east/n000',
      at: new Date(h.now).toISOString(),
    });
    await h.run(term, 'alerted', (status) => status.phase === 'Paused');
    const status = await h.status('alerted');
    expect(h.now - T0).toBeLessThan(30 * MINUTE);
    expect(gatesOf(status, 0)).toEqual([
      expect.objectContaining({ gate: 'health', verdict: 'Failed', alerts: ['fp-1'] }),
    ]);
  });

  it('the Alert policy opens an exception for a failed gate, linked to the change, and pauses it', async () => {
    h.metrics.answer = () => [1, 1, 1];
    await h.apply('Change', 'alert-me', {
      ...cordon,
      gates: { metrics: [errorGate] },
      failurePolicy: 'Alert',
    });
    const term = (await h.lead('a'))!;
    await h.run(term, 'alert-me', (status) => status.phase === 'Paused');
    const status = await h.status('alert-me');
    expect(status.exceptions).toEqual([expect.objectContaining({ id: 'exc-1', link: 'OpenedBy', batch: 0 })]);
    const [opened] = [...h.health.opened.values()];
    expect(opened!.title).toContain('change alert-me: batch 0 gate errors');
    expect(opened!.entities).toEqual([{ kind: 'Node', team: TEAM, cluster: 'east', name: 'n000' }]);
    expect(h.health.links[0]).toMatchObject({ id: 'exc-1' });
  });
});

describe('rollback', () => {
  it('undoes the completed batches in reverse order, each observed again, when a gate fails', async () => {
    h.metrics.answer = (expr) => (expr.includes('n003') ? [1, 1, 1] : [0, 0, 0]);
    await h.apply('Change', 'undo-me', {
      ...cordon,
      plan: {
        batches: [
          { size: '1', bake: '30m' },
          { size: '2', bake: '10m' },
          { size: '1', bake: '5m', repeat: true },
        ],
      },
      gates: { metrics: [errorGate] },
      failurePolicy: 'Rollback',
    });
    const term = (await h.lead('a'))!;
    await h.run(term, 'undo-me');
    const status = await h.status('undo-me');
    expect(status.phase).toBe('RolledBack');
    expect(status.rollback).toMatchObject({
      phase: 'RolledBack',
      cause: ChangeReason.GateFailed,
      actor: 'controller/change',
    });
    expect(
      status.rollback!.batches.map((batch) => [batch.index, batch.entities, batch.phase, batch.undone]),
    ).toEqual([
      [2, ['east/n003'], 'Completed', 1],
      [1, ['east/n001', 'east/n002'], 'Completed', 2],
      [0, ['east/n000'], 'Completed', 1],
    ]);
    expect(actuator.undoOrder()).toEqual(['east/n003', 'east/n001', 'east/n002', 'east/n000']);
    // Each batch observed again for its bake: 5, 10 and 30 minutes after the 30 + 10 + 5 going forward.
    for (const batch of status.rollback!.batches) {
      const bake = { 0: 30, 1: 10, 2: 5 }[batch.index]!;
      expect(Date.parse(batch.completedAt!) - Date.parse(batch.observeUntil!)).toBe(0);
      const started = (await journal('undo-me')).find(
        (entry) => entry.type === StepType.RollbackObserving && entry.batch === batch.index,
      )!;
      expect(Date.parse(batch.observeUntil!) - Date.parse(started.at)).toBe(bake * MINUTE);
    }
    expect(h.now - T0).toBe((30 + 10 + 5 + 5 + 10 + 30) * MINUTE);
    expect(actuator.calls).toHaveLength(4);
  });

  it('rolls back by request, from a paused change too, with who and why', async () => {
    actuator.failing.set('east/n002', 'no');
    await h.apply('Change', 'by-hand', {
      ...cordon,
      plan: { batches: [{ size: '2', bake: '1m', repeat: true }], maxConcurrent: 2 },
    });
    const term = (await h.lead('a'))!;
    await h.run(term, 'by-hand', (status) => status.phase === 'Paused');
    await h.service.act(ADMIN, TEAM, 'by-hand', 'rollback', 'n002 will not cordon; put it all back');
    await expect(h.service.act(ADMIN, TEAM, 'by-hand', 'rollback', 'again')).rejects.toMatchObject({
      code: 'GANTRY_E_CHANGE_STATE',
    });
    await h.run(term, 'by-hand');
    const status = await h.status('by-hand');
    expect(status.phase).toBe('RolledBack');
    expect(status.rollback).toMatchObject({
      cause: ChangeReason.RollbackRequested,
      actor: 'system:gantry',
      reason: 'n002 will not cordon; put it all back',
    });
    // Batch 1 (n002 failed, n003 cordoned) first, then batch 0.
    expect(actuator.undoOrder()).toEqual(['east/n002', 'east/n003', 'east/n000', 'east/n001']);
  });

  it('pauses when an undo fails, and resume tries it again', async () => {
    actuator.failingUndo.set('east/n000', 'API server timeout');
    h.metrics.answer = () => [1, 1, 1];
    await h.apply('Change', 'stuck', {
      ...cordon,
      plan: { batches: [{ size: '1', bake: '1m', repeat: true }] },
      gates: { metrics: [errorGate] },
      failurePolicy: 'Rollback',
    });
    const term = (await h.lead('a'))!;
    await h.run(term, 'stuck', (status) => status.phase === 'Paused');
    const paused = await h.status('stuck');
    expect(paused.rollback!.batches[0]!.failed).toEqual([
      { entity: 'east/n000', message: 'API server timeout' },
    ]);
    expect(paused.paused!.reason).toContain('undoing batch 0 failed');
    actuator.failingUndo.delete('east/n000');
    await h.service.act(ADMIN, TEAM, 'stuck', 'resume', 'API server back');
    await h.run(term, 'stuck');
    expect((await h.status('stuck')).phase).toBe('RolledBack');
  });
});

describe('disruption budget', () => {
  it('holds two changes together to one budget per cluster: never more than one node in flight', async () => {
    await h.apply('DisruptionBudget', 'one-per-cluster', { maxUnavailable: '1' });
    // Each node takes 3 minutes (a drain): apply starts it, progress follows it.
    const finishAt = new Map<string, number>();
    let most = 0;
    actuator.apply = (request) => {
      actuator.calls.push(request);
      finishAt.set(request.entity, h.now + 3 * MINUTE);
      most = Math.max(most, [...finishAt.values()].filter((at) => at > h.now).length);
      return Promise.resolve({ status: 'Running', handle: request.entity });
    };
    actuator.progress = (request) =>
      Promise.resolve(
        h.now >= finishAt.get(request.entity)!
          ? { status: 'Succeeded', message: 'drained' }
          : { status: 'Running', handle: request.handle },
      );
    const plan = { batches: [{ size: '2', bake: '1m', repeat: true }], maxConcurrent: 2 };
    await h.apply('Change', 'left', {
      nodeOperation: { operation: 'drain' },
      targets: { names: nodes(4) },
      plan,
    });
    await h.apply('Change', 'right', {
      nodeOperation: { operation: 'drain' },
      targets: { names: nodes(10).slice(4) },
      plan,
    });
    const term = (await h.lead('a'))!;
    let heldBack = false;
    for (let step = 0; step < 5000; step++) {
      const results = await Promise.all(
        ['left', 'right'].map((name) => term.engine.reconcile(term.ctx, { team: TEAM, name })),
      );
      const statuses = [await h.status('left'), await h.status('right')];
      heldBack ||= statuses.some(
        (status) =>
          status.conditions?.find((c) => c.type === 'Blocked' && c.status === 'True')?.reason ===
          ChangeReason.BudgetExhausted,
      );
      if (statuses.every((status) => status.phase === 'Succeeded')) break;
      // Both are looked at every turn: the clock moves to the next time one of them waits for.
      const waits = results.map((result) => result.requeueAfterMs ?? 0).filter((ms) => ms > 0);
      h.now += Math.min(...waits, MINUTE);
    }
    expect((await h.status('left')).phase).toBe('Succeeded');
    expect((await h.status('right')).phase).toBe('Succeeded');
    expect(actuator.calls).toHaveLength(10);
    expect(most).toBe(1);
    expect(heldBack).toBe(true);
  });

  it('counts a drain by hand’s hold: a change waits for the budget until the hold is released (ADR 0033)', async () => {
    await h.apply('DisruptionBudget', 'one-per-cluster', { maxUnavailable: '1' });
    const hold = {
      team: TEAM,
      entityKind: 'Node',
      entity: 'east/n009',
      holder: 'drain/otto',
      acquiredAt: new Date(h.now).toISOString(),
      expiresAt: new Date(h.now + 10 * MINUTE).toISOString(),
    };
    expect((await store.disruptionHolds.acquireIf(hold, await store.disruptionHolds.epoch(TEAM))).ok).toBe(
      true,
    );
    await h.apply('Change', 'one', {
      nodeOperation: { operation: 'cordon' },
      targets: { names: nodes(1) },
      plan: { batches: [{ size: '1', bake: '1m' }] },
    });
    const term = (await h.lead('a'))!;
    await term.engine.reconcile(term.ctx, { team: TEAM, name: 'one' });
    expect(actuator.calls).toHaveLength(0);
    expect((await h.status('one')).conditions?.find((c) => c.type === 'Blocked')).toMatchObject({
      status: 'True',
      reason: ChangeReason.BudgetExhausted,
    });
    await store.disruptionHolds.release(TEAM, 'Node', 'east/n009', 'drain/otto');
    await h.run(term, 'one');
    expect(actuator.calls.map((call) => call.entity)).toEqual(['east/n000']);
    expect((await h.status('one')).phase).toBe('Succeeded');
  });

  it('without a budget, the same two changes have four nodes in flight at once', async () => {
    const finishAt = new Map<string, number>();
    let most = 0;
    actuator.apply = (request) => {
      finishAt.set(request.entity, h.now + 3 * MINUTE);
      most = Math.max(most, [...finishAt.values()].filter((at) => at > h.now).length);
      return Promise.resolve({ status: 'Running', handle: request.entity });
    };
    actuator.progress = (request) =>
      Promise.resolve(
        h.now >= finishAt.get(request.entity)!
          ? { status: 'Succeeded' }
          : { status: 'Running', handle: request.handle },
      );
    const plan = { batches: [{ size: '2', bake: '1m', repeat: true }], maxConcurrent: 2 };
    await h.apply('Change', 'left', {
      nodeOperation: { operation: 'drain' },
      targets: { names: nodes(4) },
      plan,
    });
    await h.apply('Change', 'right', {
      nodeOperation: { operation: 'drain' },
      targets: { names: nodes(10).slice(4) },
      plan,
    });
    const term = (await h.lead('a'))!;
    await Promise.all(['left', 'right'].map((name) => term.engine.reconcile(term.ctx, { team: TEAM, name })));
    expect(most).toBe(4);
  });

  it('a percentage of a zone, by a label', async () => {
    for (const [index, node] of nodes(10).entries())
      actuator.entityLabels.set(node, { 'topology.kubernetes.io/zone': index < 5 ? 'a' : 'b' });
    await h.apply('DisruptionBudget', 'zones', {
      domainLabel: 'topology.kubernetes.io/zone',
      maxUnavailable: '40%',
    });
    await h.apply('Change', 'zone-a', {
      nodeOperation: { operation: 'cordon' },
      targets: { names: nodes(5) },
      plan: { batches: [{ size: '100%', bake: '1m' }], maxConcurrent: 5 },
    });
    const term = (await h.lead('a'))!;
    await term.engine.reconcile(term.ctx, { team: TEAM, name: 'zone-a' });
    // 40% of the 5 nodes of zone a: 2 at once.
    expect(actuator.calls).toHaveLength(2);
  });
});

describe('admission of gates', () => {
  it('refuses a gate whose query or condition does not parse, with the path', async () => {
    await expect(
      h.apply('Change', 'bad-gate', {
        ...cordon,
        gates: {
          metrics: [
            { ...errorGate, query: 'sum(rate(x{node=~"$names"}[5m])', failureCondition: 'max >' },
            { ...errorGate, name: 'other', query: 'up{node="$host"}' },
          ],
          canary: { source: 'prom', query: 'x', noData: { policy: 'PassIfZeroTraffic' } },
        },
      }),
    ).rejects.toMatchObject({
      code: 'GANTRY_E_CHANGE_GATE',
      details: [
        { path: '/spec/gates/metrics/0/query', message: 'unclosed (' },
        { path: '/spec/gates/metrics/0/failureCondition', message: expect.stringContaining('syntax error') },
        {
          path: '/spec/gates/metrics/1/query',
          message: expect.stringContaining('unknown placeholder $host'),
        },
        { path: '/spec/gates/canary/noData/trafficQuery', message: 'PassIfZeroTraffic needs a trafficQuery' },
      ],
    });
  });

  it('refuses Rollback for a job run without a rollback template', async () => {
    await expect(
      h.apply('Change', 'no-inverse', {
        jobRun: { template: 'patch' },
        targets: { selector: '' },
        failurePolicy: 'Rollback',
      }),
    ).rejects.toMatchObject({
      code: 'GANTRY_E_CHANGE_NO_INVERSE',
      details: [{ path: '/spec/failurePolicy' }],
    });
  });
});
