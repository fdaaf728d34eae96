import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventRecorder } from '@gantry/controllers';
import { HealingController, HealingPhase } from '@gantry/healing';
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
} from '@gantry/healing/testing';
import { Store } from '@gantry/store';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

const T0 = Date.parse('2026-03-02T08:05:00Z');

/**
 * Two servers (two pools) run the healing controller at once on one PostgreSQL database, over 20 failing
 * nodes in 5 racks: every run is created once, each decision acts once (one actuator call per run), and
 * the in-flight caps hold although both servers claim at the same time.
 */
describe('healing controller on PostgreSQL, two servers at once', () => {
  let scratch: ScratchDatabase;
  let a: Store;
  let b: Store;
  beforeAll(async () => {
    scratch = await createScratchDatabase();
    a = await Store.open({ url: scratch.url });
    b = await Store.open({ url: scratch.url });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await scratch?.drop();
  });

  it('takes one action per decision and never more in flight than the caps', async () => {
    const policies = new MemoryPolicySource();
    policies.add(
      'node-not-ready',
      nodePolicyInput({ guardrails: { mode: 'Act', maxInFlight: 4, maxInFlightPerDomain: 1 } }),
    );
    const triggers = new FakeTriggers();
    for (let i = 0; i < 20; i += 1) triggers.openException(`e${i}`, [node(`n${i}`, `r${i % 5}`)]);
    const actuator = new FakeActuator();
    actuator.outcomes.set('restart-kubelet', { state: 'running' });
    const controller = (store: Store) =>
      new HealingController({
        runs: store.healing,
        policies,
        triggers,
        evidence: kubeletDownEvidence(),
        actuator,
        signals: new FakeSignals(),
        domains: new FakeDomains(),
        entities: new FakeEntities(),
        recorder: new MemoryEventRecorder(),
        now: () => T0,
      });
    const one = controller(a);
    const two = controller(b);
    for (let pass = 0; pass < 3; pass += 1) await Promise.all([one.reconcile(), two.reconcile()]);
    const runs = (await a.healing.list({ team: TEAM, limit: 100 })).items;
    expect(runs).toHaveLength(20);
    const inFlight = runs.filter((r) => r.inFlight);
    expect(inFlight).toHaveLength(4);
    expect(new Set(inFlight.map((r) => r.domain)).size).toBe(4);
    expect(runs.filter((r) => r.phase === HealingPhase.Acting)).toHaveLength(4);
    // One call per acting run, never two for one decision.
    expect(actuator.acted.map((s) => s.key).sort()).toEqual(
      [...new Set(actuator.acted.map((s) => s.key))].sort(),
    );
    expect(actuator.acted).toHaveLength(4);
  });
});
