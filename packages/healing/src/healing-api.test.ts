import { describe, expect, it } from 'vitest';
import type { Caller } from '@gantry/identity';
import {
  FakeEvidence,
  FakeTriggers,
  MemoryPolicySource,
  TEAM,
  node,
  nodePolicyInput,
  nodeTreeInput,
  policySpec,
  treeOrThrow,
} from './test-support.ts';
import { HealingApi } from './healing-api.ts';

const caller = (role: 'operator' | 'viewer'): Caller => ({
  principal: { username: `a-${role}`, admin: false, teams: new Map([[TEAM, role]]) },
  source: 'test',
});

function setup() {
  const policies = new MemoryPolicySource();
  policies.trees.set('node-down', treeOrThrow(policies.engine, 'node-down', nodeTreeInput()));
  const triggers = new FakeTriggers();
  const evidence = new FakeEvidence();
  const api = new HealingApi({
    runs: {
      get: () => Promise.reject(new Error('a dry run reads no run')),
      update: () => Promise.reject(new Error('a dry run writes no run')),
      list: () => Promise.reject(new Error('a dry run lists no run')),
    },
    policies,
    triggers,
    entities: { resolve: (_team, refs) => Promise.resolve(refs.map((ref) => node(ref.name))) },
    evidence,
    engine: policies.engine,
    audit: { record: () => Promise.reject(new Error('a dry run audits nothing')) },
    now: () => Date.parse('2026-03-02T08:05:00.000Z'),
  });
  triggers.openException('e1', [node('n1')]);
  return { policies, evidence, api };
}

const withTree = (overrides: Record<string, unknown> = {}) =>
  nodePolicyInput({ diagnosis: { tree: 'node-down' }, ...overrides });

describe('HealingApi.dryRun', () => {
  it('gives the decide stage’s verdict for each mode and action, acting on and writing nothing', async () => {
    const { policies, evidence, api } = setup();
    evidence.set('inventory:node', { found: true, ready: false });
    evidence.set('heartbeat', { found: true, online: false });
    policies.add('acts', withTree());
    policies.add('shadow', withTree({ guardrails: { mode: 'Shadow' } }));
    policies.add(
      'risky',
      withTree({
        actions: [
          { name: 'restart-kubelet', jobRun: { template: 'restart-kubelet' } },
          { name: 'cordon-drain', risky: true, nodeOperation: { operation: 'drain' } },
          { name: 'page', notify: { channels: ['oncall'], page: true } },
        ],
      }),
    );
    const result = await api.dryRun(caller('operator'), TEAM, {
      trigger: { kind: 'exception', id: 'e1' },
    });
    expect(result.considered).toEqual(['acts', 'shadow', 'risky']);
    expect(result.matches.map((m) => [m.policy, m.verdict, m.action?.name, m.rung])).toEqual([
      ['acts', 'act', 'cordon-drain', 1],
      ['shadow', 'shadow', 'cordon-drain', 1],
      ['risky', 'awaitApproval', 'cordon-drain', 1],
    ]);
    expect(result.matches[0]!.diagnosis.path.map((p) => p.step)).toEqual(['a', 'b']);
  });

  it('says the diagnosis stopped when evidence fails, and that a ready node needs nothing', async () => {
    const { policies, evidence, api } = setup();
    policies.add('acts', withTree());
    const failed = await api.dryRun(caller('operator'), TEAM, { trigger: { kind: 'exception', id: 'e1' } });
    expect(failed.matches[0]).toMatchObject({ verdict: 'incomplete' });
    expect(failed.matches[0]!.diagnosis).toMatchObject({ reason: 'EvidenceFailed' });
    evidence.set('inventory:node', { found: true, ready: true });
    const fine = await api.dryRun(caller('operator'), TEAM, { trigger: { kind: 'exception', id: 'e1' } });
    expect(fine.matches[0]).toMatchObject({ verdict: 'none', message: 'Fine: nothing to do' });
  });

  it('tries a suspended policy by name, refuses viewers, unknown policies and a trigger given twice', async () => {
    const { policies, evidence, api } = setup();
    evidence.set('inventory:node', { found: true, ready: true });
    policies.add('asleep', withTree({ suspend: true }));
    const named = await api.dryRun(caller('operator'), TEAM, {
      policy: 'asleep',
      trigger: { kind: 'exception', id: 'e1' },
    });
    expect(named.matches.map((m) => m.policy)).toEqual(['asleep']);
    await expect(
      api.dryRun(caller('viewer'), TEAM, { trigger: { kind: 'exception', id: 'e1' } }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      api.dryRun(caller('operator'), TEAM, { policy: 'nope', trigger: { kind: 'exception', id: 'e1' } }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      api.dryRun(caller('operator'), TEAM, {
        trigger: { kind: 'exception', id: 'e1', binding: { title: 'x' } },
      }),
    ).rejects.toMatchObject({ status: 400 });
    // An unsaved spec naming a tree that exists nowhere: refused with the policy's code and path.
    await expect(
      api.dryRun(caller('operator'), TEAM, {
        spec: policySpec(withTree({ diagnosis: { tree: 'missing' } })),
        trigger: { kind: 'exception', id: 'e1' },
      }),
    ).rejects.toMatchObject({ status: 422, code: 'GANTRY_E_HEALING_POLICY' });
  });
});
