import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryEventRecorder } from '@gantry/controllers';
import type { WebhookMessage } from '@gantry/model';
import { Store } from '@gantry/store';
import {
  approvalChannels,
  createApprovalNotifier,
  healingApprovalLink,
  type ApprovalNotifier,
} from './approval-notice.ts';
import { HealingController, type HealingRunData } from './healing-controller.ts';
import type { HealingNotifier } from './ports.ts';
import { HealingPhase } from './reasons.ts';
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
  policySpec,
  TEAM,
} from './test-support.ts';

const T0 = Date.parse('2026-03-02T08:05:00Z');

describe('approval requests in notifications (ADR 0041)', () => {
  let store: Store;
  const sent: { dedupKey: string; channel: string; message: WebhookMessage }[] = [];
  const notifier: HealingNotifier = {
    enqueue(input) {
      const created = !sent.some((s) => s.dedupKey === input.dedupKey);
      if (created) sent.push(input);
      return Promise.resolve({ id: input.dedupKey, created });
    },
  };

  beforeEach(async () => {
    sent.length = 0;
    store = await Store.open({ url: ':memory:' });
  });
  afterEach(async () => {
    await store.close();
  });

  it('links to the run’s page in the console, opened for a decision', () => {
    expect(healingApprovalLink('https://gantry.example/', 'big data', 'run-1')).toBe(
      'https://gantry.example/healing/teams/big%20data/runs/run-1?decide=1',
    );
    expect(approvalChannels(policySpec(nodePolicyInput()))).toEqual(['oncall']);
  });

  it('tells the ladder’s channels once per request, with the link, when a risky action waits', async () => {
    const input = nodePolicyInput();
    (input['actions'] as { name: string; risky?: boolean }[])[0]!.risky = true;
    const policies = new MemoryPolicySource();
    policies.add('node-not-ready', input);
    const triggers = new FakeTriggers();
    triggers.openException('e1', [node('n1')]);
    let ids = 0;
    const approvals: ApprovalNotifier = createApprovalNotifier({
      notifier,
      externalUrl: 'https://gantry.example',
      now: () => T0,
    });
    const controller = () =>
      new HealingController({
        newId: () => `run-${(ids += 1)}`,
        runs: store.healing,
        policies,
        triggers,
        evidence: kubeletDownEvidence(),
        actuator: new FakeActuator(),
        signals: new FakeSignals(),
        domains: new FakeDomains(),
        entities: new FakeEntities(),
        recorder: new MemoryEventRecorder(),
        now: () => T0,
        approvals,
      });
    await controller().reconcile();
    await controller().reconcile(); // a restarted server: the same request is not sent again
    const [run] = (await store.healing.list({ team: TEAM, limit: 10 })).items;
    expect(run).toMatchObject({ phase: HealingPhase.AwaitingApproval });
    expect(sent.map((s) => s.channel)).toEqual(['oncall']);
    const alert = sent[0]!.message.alerts[0]!;
    const link = `https://gantry.example/healing/teams/${TEAM}/runs/${run!.id}?decide=1`;
    expect(alert.generatorURL).toBe(link);
    expect(alert.annotations).toMatchObject({ approve_url: link });
    expect(alert.labels).toMatchObject({
      alertname: 'GantryHealingApproval',
      action: 'restart-kubelet',
      node: 'n1',
    });
    const data = run!.data as unknown as HealingRunData;
    expect(data.decisions.at(-1)?.message).toContain('(asked on oncall)');
  });
});
