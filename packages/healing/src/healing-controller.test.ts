import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { MemoryEventRecorder } from '@gantry/controllers';
import { FencedWriteRefused, Store } from '@gantry/store';
import {
  decideApproval,
  HealingController,
  type HealingControllerDeps,
  type HealingRunData,
} from './healing-controller.ts';
import type { ConditionSubject, ConditionSubjects } from './ports.ts';
import { HealingPhase, HealingReason } from './reasons.ts';
import { shadowScorecard } from './shadow-scorecard.ts';
import {
  FakeActuator,
  FakeDomains,
  FakeEntities,
  FakeSignals,
  FakeTriggers,
  kubeletDownEvidence,
  MemoryPolicySource,
  node,
  nodePolicyInput,
  TEAM,
} from './test-support.ts';

const T0 = Date.parse('2026-03-02T08:05:00Z');
const MINUTE = 60_000;

describe('healing controller', () => {
  let store: Store;
  let now: number;
  let policies: MemoryPolicySource;
  let triggers: FakeTriggers;
  let actuator: FakeActuator;
  let signals: FakeSignals;
  let domains: FakeDomains;
  let recorder: MemoryEventRecorder;
  let healed: string[];
  const evidence = kubeletDownEvidence();

  beforeEach(async () => {
    store = await Store.open({ url: ':memory:' });
    now = T0;
    policies = new MemoryPolicySource();
    triggers = new FakeTriggers();
    actuator = new FakeActuator();
    signals = new FakeSignals();
    domains = new FakeDomains();
    recorder = new MemoryEventRecorder();
    healed = [];
  });
  afterEach(async () => {
    await store.close();
  });

  /** A controller on the shared store: a new one is a restarted server (nothing in memory carries over). */
  let ids = 0;
  beforeEach(() => {
    ids = 0;
  });
  const controller = (repository: HealingControllerDeps['runs'] = store.healing, concurrency?: number) =>
    new HealingController({
      ...(concurrency !== undefined ? { concurrency } : {}),
      newId: () => `run-${String((ids += 1)).padStart(3, '0')}`,
      runs: repository,
      policies,
      triggers,
      evidence,
      actuator,
      signals,
      domains,
      entities: new FakeEntities(),
      outcomes: {
        markHealed: (team, id) => {
          healed.push(`${team}/${id}`);
          return Promise.resolve();
        },
      },
      recorder,
      now: () => now,
      pollMs: 10_000,
    });
  const runs = async () => (await store.healing.list({ team: TEAM, limit: 100 })).items;
  const onlyRun = async () => {
    const all = await runs();
    expect(all).toHaveLength(1);
    return { ...all[0]!, data: all[0]!.data as unknown as HealingRunData };
  };

  it('diagnoses, acts once, bakes, verifies and ends healed', async () => {
    policies.add('node-not-ready', nodePolicyInput());
    triggers.openException('e1', [node('n1')]);
    const c = controller();
    await c.reconcile();
    expect(actuator.acted.map((s) => s.action.name)).toEqual(['restart-kubelet']);
    expect(actuator.acted[0]!.key).toMatch(/^healing\/.+\/rung\/0\/attempt\/0$/);
    expect((await onlyRun()).phase).toBe(HealingPhase.Acting);

    now += 10_000;
    await c.reconcile(); // the job finished: bake
    expect(await onlyRun()).toMatchObject({ phase: HealingPhase.Verifying, inFlight: true });
    now += 4 * MINUTE;
    await c.reconcile(); // still baking: nothing judged
    expect((await onlyRun()).data.verifications).toEqual([]);

    triggers.resolve('e1'); // the kubelet came back, the exception resolved
    now += MINUTE;
    await c.reconcile();
    const run = await onlyRun();
    expect(run).toMatchObject({ phase: HealingPhase.Healed, outcome: HealingPhase.Healed, inFlight: false });
    expect(run.endedAt).toBeDefined();
    expect(run.data.diagnosis?.conclusion?.rootCause).toBe('KubeletDown');
    expect(run.data.verifications).toMatchObject([{ healed: true, rung: 0 }]);
    expect(run.data.decisions.map((d) => d.reason)).toEqual([
      HealingReason.Matched,
      HealingReason.DiagnosisConcluded,
      HealingReason.ActionStarted,
      HealingReason.ActionSucceeded,
      HealingReason.Verified,
    ]);
    expect(actuator.acted).toHaveLength(1);
    expect(
      await store.healing.ledgerCount(TEAM, 'node-not-ready', 'Node/east/n1', 'healed', '2000-01-01'),
    ).toBe(1);
    expect(recorder.reasons()).toEqual(
      expect.arrayContaining([
        HealingReason.Matched,
        HealingReason.DiagnosisConcluded,
        HealingReason.ActionStarted,
        HealingReason.Verified,
      ]),
    );
  });

  it('says on the run when the change engine holds its action, once per cause, and when it goes on', async () => {
    policies.add('node-not-ready', nodePolicyInput());
    triggers.openException('e1', [node('n1')]);
    const c = controller();
    await c.reconcile();
    const held = { reason: 'LineStopped', message: 'the line is stopped: team sre by alice: incident' };
    actuator.outcomes.set('restart-kubelet', { state: 'running', held });
    for (let i = 0; i < 3; i += 1) {
      now += 10_000;
      await c.reconcile();
    }
    let run = await onlyRun();
    expect(run).toMatchObject({ phase: HealingPhase.Acting, reason: HealingReason.ActionHeld });
    expect(run.message).toContain('LineStopped');
    expect(run.data.actions.at(-1)).toMatchObject({ state: 'running', ...held });
    actuator.outcomes.set('restart-kubelet', { state: 'running' });
    now += 10_000;
    await c.reconcile();
    run = await onlyRun();
    expect(run.reason).toBe(HealingReason.ActionResumed);
    expect(run.data.actions.at(-1)!.reason).toBeUndefined();
    // Held again, by another cause, and done straight from there: the record keeps no hold.
    const budget = { reason: 'BudgetExhausted', message: 'DisruptionBudget rack: 1 of 5 out already' };
    actuator.outcomes.set('restart-kubelet', { state: 'running', held: budget });
    now += 10_000;
    await c.reconcile();
    expect((await onlyRun()).message).toContain('BudgetExhausted');
    actuator.outcomes.delete('restart-kubelet');
    now += 10_000;
    await c.reconcile();
    run = await onlyRun();
    expect(run.phase).toBe(HealingPhase.Verifying);
    expect(run.data.actions.at(-1)).toMatchObject({ state: 'succeeded' });
    expect(run.data.actions.at(-1)!.reason).toBeUndefined();
    expect(run.data.decisions.map((d) => d.reason)).toEqual([
      HealingReason.Matched,
      HealingReason.DiagnosisConcluded,
      HealingReason.ActionStarted,
      HealingReason.ActionHeld,
      HealingReason.ActionResumed,
      HealingReason.ActionHeld,
      HealingReason.ActionSucceeded,
    ]);
    expect(recorder.reasons()).toEqual(
      expect.arrayContaining([HealingReason.ActionHeld, HealingReason.ActionResumed]),
    );
  });

  it('in shadow mode records what it would have done and acts on nothing, pages nobody', async () => {
    policies.add('shadow', nodePolicyInput({ guardrails: { mode: 'Shadow' } }));
    triggers.openException('e1', [node('n1')]);
    await controller().reconcile();
    const run = await onlyRun();
    expect(run).toMatchObject({
      phase: HealingPhase.Shadowed,
      reason: HealingReason.WouldAct,
      mode: 'Shadow',
    });
    expect(run.message).toBe('shadow mode: would run restart-kubelet on Node/east/n1');
    expect(run.data.chosen).toBe('restart-kubelet');
    expect(actuator.starts).toEqual([]);

    // Scored against what happened: one more shadow run whose trigger resolved by itself.
    triggers.openException('e2', [node('n2', 'r2')]);
    await controller().reconcile();
    triggers.resolve('e2');
    expect(await shadowScorecard(await runs(), triggers)).toEqual([
      {
        policy: 'shadow',
        runs: 2,
        wouldRun: { 'restart-kubelet': 2 },
        resolvedWithoutAction: 1,
        stillActive: 1,
        diagnosisIncomplete: 0,
      },
    ]);
  });

  it('climbs the ladder on failure, and the retry budget survives a restart', async () => {
    policies.add(
      'node-not-ready',
      nodePolicyInput({ guardrails: { mode: 'Act', retryBudget: { failures: 2, window: '24h' } } }),
    );
    actuator.outcomes.set('restart-kubelet', { state: 'failed', reason: 'JobFailed', message: 'exit 1' });
    actuator.outcomes.set('cordon-drain', {
      state: 'failed',
      reason: 'ChangeFailed',
      message: 'drain timed out',
    });
    triggers.openException('e1', [node('n1')]);
    await controller().reconcile();
    now += 10_000;
    await controller().reconcile(); // a new instance: restart-kubelet failed, climb to cordon-drain
    expect(actuator.acted.map((s) => s.action.name)).toEqual(['restart-kubelet', 'cordon-drain']);
    expect((await onlyRun()).rung).toBe(1);
    now += 10_000;
    await controller().reconcile(); // cordon-drain failed: two failures spend the budget; page
    const run = await onlyRun();
    expect(run).toMatchObject({ phase: HealingPhase.Escalated, reason: HealingReason.RetryBudgetSpent });
    expect(actuator.pages).toHaveLength(1);
    expect(actuator.pages[0]!.details).toMatchObject({
      diagnosis: { result: expect.stringContaining('KubeletDown') },
      actions: [
        { action: 'restart-kubelet', state: 'failed' },
        { action: 'cordon-drain', state: 'failed' },
      ],
    });

    // The node fails again: a new server sees the spent budget in the database and does not act.
    triggers.openException('e2', [node('n1')]);
    now += MINUTE;
    await controller().reconcile();
    const second = (await runs()).find((r) => r.triggerKey.startsWith('exception/e2'))!;
    expect(second).toMatchObject({ phase: HealingPhase.Escalated, reason: HealingReason.RetryBudgetSpent });
    expect(actuator.acted).toHaveLength(2);
  });

  it('freezes and escalates when too much of the domain is unhealthy, or the signals are untrusted', async () => {
    policies.add('node-not-ready', nodePolicyInput());
    domains.byDomain.set('r1', { healthy: 5, total: 10 });
    triggers.openException('e1', [node('n1', 'r1')]);
    signals.verdict = { trusted: false, reason: 'PrometheusDown', message: 'prometheus unreachable' };
    triggers.openException('e2', [node('n2', 'r2')]);
    await controller().reconcile();
    const all = await runs();
    const byTrigger = (id: string) => all.find((r) => r.triggerKey.startsWith(`exception/${id}/`))!;
    // Signals are checked first: with them untrusted nothing is acted on anywhere.
    expect(byTrigger('e1')).toMatchObject({
      phase: HealingPhase.Escalated,
      reason: HealingReason.SignalsUntrusted,
    });
    expect(byTrigger('e2')).toMatchObject({
      phase: HealingPhase.Escalated,
      reason: HealingReason.SignalsUntrusted,
    });
    signals.verdict = { trusted: true };
    triggers.openException('e3', [node('n3', 'r1')]);
    await controller().reconcile();
    expect((await runs()).find((r) => r.triggerKey.startsWith('exception/e3/'))).toMatchObject({
      phase: HealingPhase.Escalated,
      reason: HealingReason.DomainUnhealthy,
      message: '5 of 10 in topology.gantry.dev/rack=r1 are healthy, under 0.8: frozen',
    });
    // A second node of the frozen rack: frozen too, and its page shares the rack's key (one page).
    triggers.openException('e4', [node('n4', 'r1')]);
    await controller().reconcile();
    expect(actuator.acted).toEqual([]);
    const keys = actuator.pages.map((p) => p.key);
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(2);
    // Untrusted signals are the team's (or a cluster's), whatever the racks: the two runs share one page.
    expect(keys[1]).toBe(keys[0]);
    expect(keys[0]).toMatch(/^healing\/node-not-ready\/freeze\/SignalsUntrusted\/[a-z-]+\/[a-z0-9-]+\/\d+$/);
    expect(keys[3]).toBe(keys[2]);
    expect(keys[2]).toMatch(/^healing\/node-not-ready\/freeze\/DomainUnhealthy\/r1\/\d+$/);
    // Many runs in one pass read the domains' shares once.
    const reads = domains.reads;
    for (const id of ['e5', 'e6', 'e7']) triggers.openException(id, [node(`n-${id}`, 'r1')]);
    await controller().reconcile();
    expect(domains.reads - reads).toBe(1);
  });

  it('pages once for the runs a down evidence source stopped, and per run for a query that erred', async () => {
    policies.add('node-not-ready', nodePolicyInput());
    onTestFinished(() => {
      kubeletDownEvidence(evidence);
    });
    evidence.set('inventory:node', {
      ok: false,
      reason: 'SourceUnreachable',
      message: 'connect ECONNREFUSED 127.0.0.1:9090',
    });
    for (const [id, rack] of [
      ['e1', 'r1'],
      ['e2', 'r2'],
      ['e3', 'r3'],
    ] as const)
      triggers.openException(id, [node(`n-${id}`, rack)]);
    await controller().reconcile();
    const stopped = await runs();
    expect(stopped.map((r) => [r.phase, r.reason])).toEqual(
      Array.from({ length: 3 }, () => [HealingPhase.Escalated, HealingReason.DiagnosisIncomplete]),
    );
    expect(actuator.acted).toEqual([]);
    const keys = actuator.pages.map((p) => p.key);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^healing\/node-not-ready\/freeze\/SourceUnreachable\/node\/\d+$/);
    // A query the source answered with an error concerns that run alone: its own page.
    evidence.set('inventory:node', { ok: false, reason: 'QueryFailed', message: 'parse error' });
    triggers.openException('e4', [node('n-e4', 'r4')]);
    await controller().reconcile();
    expect(actuator.pages.at(-1)!.key).toMatch(/^healing\/run-\d+\/page$/);
  });

  it('never has more in flight than the policy and the domain allow', async () => {
    policies.add(
      'node-not-ready',
      nodePolicyInput({ guardrails: { mode: 'Act', maxInFlight: 2, maxInFlightPerDomain: 1 } }),
    );
    actuator.outcomes.set('restart-kubelet', { state: 'running' });
    for (const [id, name, rack] of [
      ['e1', 'n1', 'r1'],
      ['e2', 'n2', 'r1'],
      ['e3', 'n3', 'r2'],
      ['e4', 'n4', 'r3'],
    ] as const)
      triggers.openException(id, [node(name, rack)]);
    await controller().reconcile();
    const all = await runs();
    expect(all.filter((r) => r.inFlight)).toHaveLength(2);
    expect(actuator.acted).toHaveLength(2);
    // Runs are taken in creation order: n1 acts, n2 shares its rack, n3 acts, n4 finds the policy full.
    expect(actuator.acted.map((s) => s.entity.name)).toEqual(['n1', 'n3']);
    expect(all.filter((r) => r.phase === HealingPhase.Ready).map((r) => [r.entity, r.reason])).toEqual([
      ['Node/east/n4', HealingReason.PolicyInFlight],
      ['Node/east/n2', HealingReason.DomainInFlight],
    ]);
    // Later passes, actions still running: nothing more starts, and once a claim found the policy full
    // the pass asks no more (a claim takes a lock): ten more waiting runs, in racks of their own, cost
    // no claim (one pass at a time, one run at a time, for a count that does not depend on timing).
    for (let i = 5; i < 15; i += 1) triggers.openException(`e${i}`, [node(`n${i}`, `r${i}`)]);
    await controller(store.healing, 1).reconcile();
    expect(actuator.acted).toHaveLength(2);
    let claims = 0;
    const counting = new Proxy(store.healing, {
      get: (target, key) => {
        if (key === 'claimInFlight')
          return (...args: Parameters<typeof target.claimInFlight>) => {
            claims += 1;
            return target.claimInFlight(...args);
          };
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    for (let pass = 0; pass < 3; pass += 1) {
      now += 10_000;
      claims = 0;
      await controller(counting, 1).reconcile();
      // The first claim finds the policy full; the other eleven waiting runs ask nothing.
      expect(claims).toBe(1);
    }
    expect(actuator.acted).toHaveLength(2);
    expect((await runs()).filter((r) => r.inFlight)).toHaveLength(2);
    expect((await runs()).filter((r) => r.reason === HealingReason.PolicyInFlight)).toHaveLength(12);
  });

  it('a pass woken meanwhile advances its new runs first and leaves the older ones to the next pass', async () => {
    policies.add('node-not-ready', nodePolicyInput({ guardrails: { mode: 'Act', maxInFlight: 1 } }));
    actuator.outcomes.set('restart-kubelet', { state: 'running' });
    for (const [id, name, rack] of [
      ['e1', 'n1', 'r1'],
      ['e2', 'n2', 'r2'],
      ['e3', 'n3', 'r3'],
    ] as const)
      triggers.openException(id, [node(name, rack)]);
    await controller(store.healing, 1).reconcile();
    now += 10_000; // the runs waiting for the in-flight slot, and the one acting, are due again
    triggers.openException('e4', [node('n4', 'r4')]);
    // Each write of a run takes 300 ms of the pass's clock: past the first, the pass has spent its time.
    const slow = new Proxy(store.healing, {
      get: (target, key) => {
        if (key === 'update')
          return (...args: Parameters<typeof target.update>) => {
            now += 300;
            return target.update(...args);
          };
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const versions = async () => new Map((await runs()).map((run) => [run.entity, run.version]));
    const before = await versions();
    const changedSince = async (earlier: Map<string, number>) =>
      [...(await versions())].filter(([entity, version]) => earlier.get(entity) !== version).map(([e]) => e);
    await controller(slow, 1).reconcile(undefined, () => true);
    // Woken: the new run went first and decided; the three older ones were left for the next pass.
    expect(await changedSince(before)).toEqual(['Node/east/n4']);
    const woken = await versions();
    now += 10_000;
    await controller(slow, 1).reconcile(undefined, () => false);
    // Not woken: every due run is advanced, however long it takes.
    expect((await changedSince(woken)).sort()).toEqual([
      'Node/east/n1',
      'Node/east/n2',
      'Node/east/n3',
      'Node/east/n4',
    ]);
  });

  it('waits for approval of a risky action; acts once approved; escalates when the request expires', async () => {
    const input = nodePolicyInput();
    (input['actions'] as { name: string; risky?: boolean }[])[0]!.risky = true;
    policies.add('node-not-ready', input);
    triggers.openException('e1', [node('n1')]);
    triggers.openException('e2', [node('n2', 'r2')]);
    await controller().reconcile();
    const [a, b] = (await runs()).sort((x, y) => x.entity.localeCompare(y.entity));
    expect(a).toMatchObject({
      phase: HealingPhase.AwaitingApproval,
      reason: HealingReason.ApprovalRequested,
    });
    expect(actuator.acted).toEqual([]);

    expect(await decideApproval(store.healing, TEAM, a!.id, 'approved', 'alice', now + MINUTE)).toEqual({
      ok: true,
    });
    expect(await decideApproval(store.healing, TEAM, a!.id, 'approved', 'alice', now + MINUTE)).toEqual({
      ok: false,
      reason: 'NotAwaitingApproval',
    });
    now += MINUTE;
    await controller().reconcile();
    expect(actuator.acted.map((s) => s.entity.name)).toEqual(['n1']);

    now += 60 * MINUTE;
    expect(await decideApproval(store.healing, TEAM, b!.id, 'approved', 'bob', now)).toEqual({
      ok: false,
      reason: 'Expired',
    });
    await controller().reconcile();
    expect(await store.healing.get(TEAM, b!.id)).toMatchObject({
      phase: HealingPhase.Escalated,
      reason: HealingReason.ApprovalExpired,
    });
    expect(actuator.acted.map((s) => s.entity.name)).toEqual(['n1']);
    const approvals = ((await store.healing.get(TEAM, a!.id))!.data as unknown as HealingRunData).approvals;
    expect(approvals).toMatchObject([
      { action: 'restart-kubelet', decision: 'approved', decidedBy: 'alice' },
    ]);
  });

  it('never acts on a trigger that resolved while it waited', async () => {
    const input = nodePolicyInput();
    (input['actions'] as { name: string; risky?: boolean }[])[0]!.risky = true;
    policies.add('node-not-ready', input);
    triggers.openException('e1', [node('n1')]);
    await controller().reconcile();
    const run = await onlyRun();
    await decideApproval(store.healing, TEAM, run.id, 'approved', 'alice', now);
    triggers.resolve('e1');
    await controller().reconcile();
    expect(await onlyRun()).toMatchObject({
      phase: HealingPhase.TriggerResolved,
      reason: HealingReason.TriggerResolved,
    });
    expect(actuator.starts).toEqual([]);
  });

  it('two servers on one store take one action per decision', async () => {
    policies.add('node-not-ready', nodePolicyInput());
    triggers.openException('e1', [node('n1')]);
    const [one, two] = await Promise.all([controller().reconcile(), controller().reconcile()]);
    expect(one.created + two.created).toBe(1);
    expect(actuator.acted).toHaveLength(1);
    expect(await runs()).toHaveLength(1);
  });

  it('calls the actuator again with the same key when a server died between the claim and the call', async () => {
    policies.add('node-not-ready', nodePolicyInput());
    triggers.openException('e1', [node('n1')]);
    let crash = true;
    actuator.onStart = () => {
      if (crash) {
        crash = false;
        throw new Error('server killed');
      }
    };
    await expect(controller().reconcile()).rejects.toThrow('server killed');
    expect((await onlyRun()).phase).toBe(HealingPhase.Acting);
    now += 10_000;
    await controller().reconcile();
    expect(actuator.starts.map((s) => s.key)).toEqual([actuator.starts[0]!.key, actuator.starts[0]!.key]);
    expect(
      await store.healing.ledgerCount(TEAM, 'node-not-ready', 'Node/east/n1', 'action', '2000-01-01'),
    ).toBe(1);
  });

  it('triggers on a node NotReady that lasts 5 minutes, and verifies by the condition itself', async () => {
    const subjects = new Map<string, ConditionSubject>();
    const conditions: ConditionSubjects = {
      list: () => Promise.resolve([...subjects.values()]),
    };
    policies.add(
      'lasting',
      nodePolicyInput({ trigger: { condition: { over: 'nodes', condition: '!node.ready', for: '5m' } } }),
    );
    subjects.set('n1', {
      entity: node('n1'),
      binding: { name: 'n1', ready: false },
      changedAt: now - 2 * MINUTE,
    });
    const c = new HealingController({
      runs: store.healing,
      policies,
      triggers,
      conditions,
      evidence,
      actuator,
      signals,
      domains,
      entities: new FakeEntities(),
      recorder,
      now: () => now,
    });
    await c.reconcile();
    expect(await runs()).toEqual([]); // NotReady for 2 minutes only
    now += 3 * MINUTE;
    actuator.onStart = () =>
      subjects.set('n1', { entity: node('n1'), binding: { name: 'n1', ready: true }, changedAt: now });
    await c.reconcile();
    expect(actuator.acted.map((s) => s.action.name)).toEqual(['restart-kubelet']);
    now += 10_000;
    await c.reconcile();
    now += 5 * MINUTE;
    await c.reconcile();
    expect(await onlyRun()).toMatchObject({ phase: HealingPhase.Healed, triggerKind: 'condition' });
  });

  it('hands a flapping entity to a person instead of healing it again', async () => {
    policies.add(
      'node-not-ready',
      nodePolicyInput({ guardrails: { mode: 'Act', flapping: { healed: 2, window: '1h' } } }),
    );
    let current = '';
    actuator.onStart = () => triggers.resolve(current);
    for (const id of ['e1', 'e2']) {
      current = id;
      triggers.openException(id, [node('n1')], 'NodeNotReady on n1', new Date(now).toISOString());
      await controller().reconcile();
      now += 10_000;
      await controller().reconcile();
      now += 5 * MINUTE;
      await controller().reconcile();
    }
    expect((await runs()).map((r) => r.phase)).toEqual([HealingPhase.Healed, HealingPhase.Healed]);
    triggers.openException('e3', [node('n1')], 'NodeNotReady on n1', new Date(now).toISOString());
    await controller().reconcile();
    expect((await runs()).find((r) => r.triggerKey.startsWith('exception/e3/'))).toMatchObject({
      phase: HealingPhase.Escalated,
      reason: HealingReason.Flapping,
    });
    expect(actuator.acted).toHaveLength(2);
    expect(actuator.pages[0]!.details).toMatchObject({ trigger: { id: 'e3' } });
  });

  it('a leader held mid-pass whose lease moved writes nothing more, tells its term once (ADR 0028)', async () => {
    const LEASE = 'controller/healing';
    expect(await store.leases.tryAcquire(LEASE, 'x', 1000, now)).toBe(true);
    const fence = { lease: LEASE, holder: 'x', transitions: (await store.leases.get(LEASE))!.transitions };
    const refusals: FencedWriteRefused[] = [];
    const term = { fence, refused: (error: FencedWriteRefused) => void refusals.push(error) };
    policies.add('node-not-ready', nodePolicyInput());
    triggers.openException('e1', [node('n1')]);
    // The pass is held as it reads the triggers: its decisions are made on what it read before the move.
    let resume!: () => void;
    const held = new Promise<void>((resolve) => (resume = resolve));
    const active = triggers.active.bind(triggers);
    triggers.active = async () => {
      const read = await active();
      await held;
      return read;
    };
    const pass = controller().reconcile(term);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await store.leases.tryAcquire(LEASE, 'y', 1000, now + 5000)).toBe(true);
    resume();
    expect(await pass).toEqual({ matched: 0, created: 0, advanced: 0, superseded: 0 });
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toBeInstanceOf(FencedWriteRefused);
    expect(await runs()).toEqual([]);
    expect(actuator.starts).toEqual([]);
    expect(recorder.events).toEqual([]);
  });
});
