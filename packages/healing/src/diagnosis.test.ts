import { describe, expect, it } from 'vitest';
import { createCelEngine } from '@gantry/delivery';
import { compileBuiltinTrees } from './admission.ts';
import { diagnose, DiagnosisReason } from './diagnosis.ts';
import { FakeEvidence, FakeTriggers, kubeletDownEvidence, node, TEAM, treeOrThrow } from './test-support.ts';

const engine = createCelEngine();
const trees = compileBuiltinTrees(engine);
const T0 = Date.parse('2026-03-02T08:05:00Z');
const clock = { now: () => T0 };

function input(name = 'n1') {
  const entity = node(name);
  const trigger = new FakeTriggers().openException('e1', [entity]);
  return { team: TEAM, entity, trigger, at: T0 };
}

describe('diagnosis of a node NotReady', () => {
  const tree = trees.get('builtin/node-not-ready')!;

  it('finds the kubelet down on a live host, keeping the path and every value seen', async () => {
    const evidence = kubeletDownEvidence();
    const diagnosis = await diagnose(tree, input(), evidence, clock);
    expect(diagnosis).toMatchObject({
      reason: DiagnosisReason.Concluded,
      conclusion: { rootCause: 'KubeletDown', action: 'restart-kubelet' },
      path: [
        {
          step: 'still-not-ready',
          branch: 'otherwise',
          tried: [{ index: 0, result: false }],
          next: 'host-alive',
        },
        { step: 'host-alive', branch: 'otherwise', tried: [{ index: 0, result: false }], next: 'kubelet' },
        { step: 'kubelet', branch: 0, tried: [{ index: 0, result: true }] },
      ],
      supporting: { kubelet: { exitCode: 3 }, agent: { online: true } },
    });
    expect(diagnosis.evidence.map((e) => [e.name, e.ok])).toEqual([
      ['node', true],
      ['agent', true],
      ['kubelet', true],
    ]);
    // The diagnostic job ran once, although two branches and the conclusion read it.
    expect(evidence.calls.filter((c) => c === 'job:check-kubelet')).toHaveLength(1);
  });

  it('says the host is down when its agent is silent, without running a job on it', async () => {
    const evidence = kubeletDownEvidence();
    evidence.set('heartbeat', { found: true, online: false, status: 'Offline', ageSeconds: 600 });
    const diagnosis = await diagnose(tree, input(), evidence, clock);
    expect(diagnosis.conclusion).toMatchObject({ rootCause: 'HostDown', action: 'cordon-drain' });
    expect(evidence.calls).not.toContain('job:check-kubelet');
  });

  it('calls it a partition when host and kubelet are up', async () => {
    const evidence = kubeletDownEvidence();
    evidence.set('job:check-kubelet', { state: 'Succeeded', exitCode: 0, output: 'active' });
    const diagnosis = await diagnose(tree, input(), evidence, clock);
    expect(diagnosis.conclusion).toMatchObject({ rootCause: 'NetworkPartition', action: 'escalate' });
  });

  it('stops at an evidence query that fails, says which, and concludes nothing', async () => {
    const evidence = kubeletDownEvidence();
    evidence.set('heartbeat', { ok: false, reason: 'ProviderError', message: 'database unreachable' });
    const diagnosis = await diagnose(tree, input(), evidence, clock);
    expect(diagnosis).toMatchObject({
      reason: DiagnosisReason.EvidenceFailed,
      message: 'evidence agent failed (ProviderError): database unreachable',
      failed: { evidence: 'agent', step: 'host-alive', branch: 0 },
    });
    expect(diagnosis.conclusion).toBeUndefined();
    expect(evidence.calls).not.toContain('job:check-kubelet');
  });

  it('stops at a branch that errs (a missing key) instead of taking another branch', async () => {
    const evidence = kubeletDownEvidence();
    evidence.set('job:check-kubelet', { state: 'Failed', output: '' });
    const diagnosis = await diagnose(tree, input(), evidence, clock);
    expect(diagnosis).toMatchObject({
      reason: DiagnosisReason.BranchFailed,
      failed: { step: 'kubelet', branch: 0 },
    });
    expect(diagnosis.conclusion).toBeUndefined();
  });
});

describe('diagnosis cost', () => {
  it('walks a 10-step tree in well under 200 ms of engine time, query latency excluded', async () => {
    const steps = Array.from({ length: 10 }, (_, i) => ({
      name: `s${i}`,
      branches: [
        {
          when: `evidence.m${i}.value > 100.0 && evidence.m${i}.count > 0`,
          conclude: { rootCause: 'High', supporting: [`m${i}`], action: 'none' },
        },
      ],
      otherwise:
        i < 9 ? { next: `s${i + 1}` } : { conclude: { rootCause: 'Low', supporting: [], action: 'none' } },
    }));
    const tree = treeOrThrow(engine, 'ten', {
      subject: 'Node',
      evidence: steps.map((_, i) => ({
        name: `m${i}`,
        promql: { source: 'p', query: `m${i}{node="\${entity.name}"}` },
      })),
      root: 's0',
      steps,
    });
    const evidence = new FakeEvidence();
    evidence.set('promql', { count: 1, value: 1.5, samples: [] });
    evidence.delayMs = 5;
    const diagnosis = await diagnose(tree, input(), evidence, clock);
    expect(diagnosis.conclusion?.rootCause).toBe('Low');
    expect(diagnosis.path).toHaveLength(10);
    expect(evidence.calls).toHaveLength(10);
    expect(diagnosis.engineMs).toBeLessThan(200);
  });
});
