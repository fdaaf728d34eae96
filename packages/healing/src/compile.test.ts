import { describe, expect, it } from 'vitest';
import { createCelEngine } from '@gantry/delivery';
import { KindRegistry, builtinKinds, type DiagnosisTreeSpec } from '@gantry/model';
import { compileBuiltinTrees } from './admission.ts';
import { BUILTIN_TREES } from './builtin/trees.ts';
import { compilePolicy, compileTree } from './compile.ts';
import { nodePolicyInput, nodeTreeInput as tree, policySpec } from './test-support.ts';

const engine = createCelEngine();

const errorsOf = (spec: DiagnosisTreeSpec) => {
  const compiled = compileTree(engine, 't', spec);
  return compiled.ok ? [] : compiled.errors;
};

describe('DiagnosisTree admission', () => {
  it('accepts a tree that can be walked, and every built-in tree', () => {
    expect(errorsOf(tree())).toEqual([]);
    expect([...compileBuiltinTrees(engine).keys()].sort()).toEqual(
      Object.keys(BUILTIN_TREES)
        .map((name) => `builtin/${name}`)
        .sort(),
    );
  });

  it('is a registered kind whose schema accepts the built-in trees', () => {
    const registry = new KindRegistry();
    for (const kind of builtinKinds) registry.register(kind);
    const kind = registry.get('DiagnosisTree');
    for (const [name, spec] of Object.entries(BUILTIN_TREES)) {
      const body = {
        apiVersion: kind.apiVersion,
        kind: 'DiagnosisTree',
        metadata: { name, team: 't' },
        spec,
      };
      expect(kind.validate(structuredClone(body)), name).toMatchObject({ ok: true });
    }
    expect(registry.get('heal').kind).toBe('HealingPolicy');
  });

  it('refuses a cycle with its path and the steps on it', () => {
    const spec = tree();
    spec.steps[1] = { name: 'b', branches: [{ when: 'true', next: 'a' }], otherwise: { next: 'a' } };
    expect(errorsOf(spec)).toEqual(
      expect.arrayContaining([{ path: '/spec/steps/1', message: 'cycle: a → b → a' }]),
    );
  });

  it('refuses a step no path reaches and a branch after one that is always true', () => {
    const spec = tree();
    spec.steps[0]!.otherwise = { conclude: { rootCause: 'X', supporting: [], action: 'none' } };
    expect(errorsOf(spec)).toEqual([
      { path: '/spec/steps/1', message: 'unreachable: no path from a leads to b' },
    ]);
    const shadowed = tree();
    shadowed.steps[0]!.branches.unshift({ when: 'true', next: 'b' });
    expect(errorsOf(shadowed)).toEqual([
      { path: '/spec/steps/0/branches/1', message: 'unreachable: branch 0 is always true' },
    ]);
  });

  it('refuses invalid CEL, unknown evidence and unknown variables at their paths', () => {
    const spec = tree();
    spec.steps[0]!.branches = [
      { when: 'evidence.node.ready &&', next: 'b' },
      { when: 'evidence.kubelet.exitCode == 0', next: 'b' },
      { when: "has(evidence['disk'].value) || metrics.up == 1", next: 'b' },
    ];
    spec.steps[1]!.otherwise = { conclude: { rootCause: 'X', supporting: ['ghost'], action: 'none' } };
    const errors = errorsOf(spec);
    expect(errors).toContainEqual({
      path: '/spec/steps/0/branches/0/when',
      message: expect.stringContaining('syntax error'),
    });
    expect(errors).toContainEqual({ path: '/spec/steps/0/branches/1/when', message: 'no evidence kubelet' });
    expect(errors).toContainEqual({ path: '/spec/steps/0/branches/2/when', message: 'no evidence disk' });
    expect(errors).toContainEqual({
      path: '/spec/steps/0/branches/2/when',
      message: 'unknown variable metrics (a branch reads evidence, entity and trigger)',
    });
    expect(errors).toContainEqual({
      path: '/spec/steps/1/otherwise/conclude/supporting/0',
      message: 'no evidence ghost',
    });
  });

  it('refuses a root or next naming no step, an outcome with both or neither, two sources, unknown placeholders', () => {
    const spec = tree({ root: 'nope' });
    spec.steps[0]!.branches[0] = { when: 'true', next: 'zzz' };
    spec.steps[1]!.otherwise = {};
    spec.evidence.push(
      { name: 'both', heartbeat: {}, alerts: {} },
      { name: 'q', promql: { source: 'p', query: 'up{x="${node}"}' } },
    );
    const errors = errorsOf(spec);
    expect(errors).toContainEqual({ path: '/spec/root', message: 'no step nope' });
    expect(errors).toContainEqual({ path: '/spec/steps/0/branches/0/next', message: 'no step zzz' });
    expect(errors).toContainEqual({
      path: '/spec/steps/1/otherwise',
      message: 'set exactly one of next and conclude',
    });
    expect(errors).toContainEqual({
      path: '/spec/evidence/2',
      message: 'set exactly one of promql, inventory, events, changes, heartbeat, job and alerts',
    });
    expect(errors).toContainEqual({
      path: '/spec/evidence/3/promql/query',
      message: 'unknown placeholder ${node}',
    });
  });
});

describe('HealingPolicy admission', () => {
  const trees = compileBuiltinTrees(engine);
  const errorsOf = (input: Record<string, unknown>) => {
    const compiled = compilePolicy(engine, 't', 'p', policySpec(input), (name) => trees.get(name));
    return compiled.ok ? [] : compiled.errors;
  };

  it('accepts the node policy', () => {
    expect(errorsOf(nodePolicyInput())).toEqual([]);
  });

  it("refuses a tree whose conclusions take an action the policy does not allow, naming the leaf's path", () => {
    const input = nodePolicyInput();
    input['actions'] = (input['actions'] as { name: string }[]).filter((a) => a.name !== 'cordon-drain');
    input['escalation'] = { rungs: [{ action: 'restart-kubelet' }, { action: 'page' }] };
    expect(errorsOf(input)).toEqual([
      {
        path: '/spec/diagnosis/tree',
        message:
          "the tree's conclusion at /spec/steps/1/branches/0/conclude takes action cordon-drain, which the policy does not allow",
      },
    ]);
  });

  it('refuses a ladder that does not end in a page, rungs naming no action, bad CEL and two triggers', () => {
    const input = nodePolicyInput({
      trigger: { exceptions: { match: 'exception.title ==' }, alerts: { match: 'true' } },
      escalation: {
        rungs: [{ action: 'restart-kubelet' }, { action: 'reboot' }, { action: 'cordon-drain' }],
      },
    });
    const errors = errorsOf(input);
    expect(errors).toContainEqual({
      path: '/spec/trigger',
      message: 'set exactly one of exceptions, alerts, risks and condition',
    });
    expect(errors).toContainEqual({
      path: '/spec/escalation/rungs/1/action',
      message: 'no action reboot in the policy',
    });
    expect(errors).toContainEqual({
      path: '/spec/escalation/rungs/2',
      message: 'the last rung must page a person (a notify action with page: true)',
    });
    const cel = errorsOf(nodePolicyInput({ trigger: { exceptions: { match: 'exception.title ==' } } }));
    expect(cel).toContainEqual({
      path: '/spec/trigger/exceptions/match',
      message: expect.stringContaining('syntax error'),
    });
  });

  it('refuses a tree of another subject, a missing tree, and node operations on a non-node policy', () => {
    expect(errorsOf(nodePolicyInput({ diagnosis: { tree: 'builtin/domain-down' } }))).toContainEqual({
      path: '/spec/diagnosis/tree',
      message: 'the tree diagnoses Domain, the policy heals Node',
    });
    expect(errorsOf(nodePolicyInput({ diagnosis: { tree: 'mine' } }))).toEqual([
      { path: '/spec/diagnosis/tree', message: 'no DiagnosisTree mine' },
    ]);
    const workload = nodePolicyInput({
      scope: { subject: 'Workload' },
      diagnosis: { tree: 'builtin/crashloop-after-revision' },
    });
    expect(errorsOf(workload)).toContainEqual({
      path: '/spec/actions/1/nodeOperation',
      message: "only for policies whose subject is Node or Host (the host's node)",
    });
    // A Host policy drains the host's node.
    const host = nodePolicyInput({ scope: { subject: 'Host' }, diagnosis: { tree: 'agent-lost' } });
    expect(errorsOf(host).filter((e) => e.path.endsWith('/nodeOperation'))).toEqual([]);
  });

  it('takes workload operations on workload policies only: a restart or a scale with replicas, never a pod', () => {
    const withAction = (subject: string, workloadOperation: Record<string, unknown>) =>
      errorsOf(
        nodePolicyInput({
          scope: { subject },
          actions: [
            { name: 'bounce', workloadOperation, timeout: '10m' },
            { name: 'page', notify: { channels: ['oncall'], page: true } },
          ],
          escalation: { rungs: [{ action: 'bounce' }, { action: 'page' }] },
        }),
      ).filter((error) => error.path.startsWith('/spec/actions'));
    expect(withAction('Workload', { operation: 'restart' })).toEqual([]);
    const rollback = (subject: string) =>
      errorsOf(
        nodePolicyInput({
          scope: { subject },
          actions: [
            { name: 'back', applicationRollback: {}, timeout: '10m' },
            { name: 'page', notify: { channels: ['oncall'], page: true } },
          ],
          escalation: { rungs: [{ action: 'back' }, { action: 'page' }] },
        }),
      ).filter((error) => error.path.startsWith('/spec/actions'));
    expect(rollback('Workload')).toEqual([]);
    expect(rollback('Node')).toEqual([
      {
        path: '/spec/actions/0/applicationRollback',
        message: 'only for policies whose subject is Workload or Application',
      },
    ]);
    expect(withAction('Workload', { operation: 'scale', replicas: 3 })).toEqual([]);
    expect(withAction('Node', { operation: 'restart' })).toEqual([
      { path: '/spec/actions/0/workloadOperation', message: 'only for policies whose subject is Workload' },
    ]);
    expect(withAction('Workload', { operation: 'scale' })).toEqual([
      { path: '/spec/actions/0/workloadOperation/replicas', message: 'scale needs replicas' },
    ]);
    expect(withAction('Workload', { operation: 'deletePod' })).toEqual([
      {
        path: '/spec/actions/0/workloadOperation/operation',
        message: 'a policy acts on a workload, not one of its pods: restart its rollout instead',
      },
    ]);
  });
});
