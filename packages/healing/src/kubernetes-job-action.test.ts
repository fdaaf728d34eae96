import { Value } from '@sinclair/typebox/value';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCelEngine } from '@gantry/delivery';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import { builtinKinds, HealingAction, KindRegistry, type ChangeSpec } from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import { changesFleet, createChangeActuator, healingChangeName } from './actuator.ts';
import { registerHealingAdmission } from './admission.ts';
import { compilePolicy } from './compile.ts';
import {
  checkKubernetesJobTemplate,
  fillKubernetesJob,
  type HealingKubernetesJob,
} from './kubernetes-job-template.ts';
import type { HealingActionRequest } from './ports.ts';
import { createResourceChangeSubmitter, createResourceSilenceCreator } from './resource-ports.ts';
import { node, nodePolicyInput, policySpec, TEAM } from './test-support.ts';

const ADMIN = { principal: SYSTEM_PRINCIPAL, source: 'test' };
const T0 = Date.parse('2026-03-02T08:00:00Z');

const repairAction = (job: Record<string, unknown> = {}) =>
  Value.Default(HealingAction, {
    name: 'repair-node',
    timeout: '20m',
    kubernetesJob: {
      image: 'registry.example/node-repair:2',
      command: ['/repair', '--node', '${entity.node}'],
      args: ['--cause=${diagnosis.rootCause}', '--trigger', '${trigger.id}'],
      namespace: 'ops',
      env: { NODE: '${entity.node}', CLUSTER: '${entity.cluster}' },
      labels: { node: '${entity.node}' },
      nodeName: '${entity.node}',
      ...job,
    },
  }) as HealingAction;

describe('the kubernetesJob healing action', () => {
  it('fills placeholders once, as plain text, and keeps the argv an argv', () => {
    const filled = fillKubernetesJob(
      repairAction().kubernetesJob!,
      { ...node('n7'), name: 'n7' },
      'exc-1',
      'KubeletDown; rm -rf / ${entity.cluster}',
    );
    expect(filled).toMatchObject({
      ok: true,
      job: {
        command: ['/repair', '--node', 'n7'],
        // The root cause's own `${...}` is not expanded again, and its `;` is just text in one argument.
        args: ['--cause=KubeletDown; rm -rf / ${entity.cluster}', '--trigger', 'exc-1'],
        env: { NODE: 'n7', CLUSTER: 'east' },
        labels: { node: 'n7' },
        nodeName: 'n7',
        image: 'registry.example/node-repair:2',
      },
    });
  });

  it('refuses a filled node name or label value Kubernetes would refuse', () => {
    const workload = {
      kind: 'Workload' as const,
      name: 'web',
      cluster: 'east',
      namespace: 'shop',
      domain: '',
      labels: {},
    };
    expect(fillKubernetesJob(repairAction().kubernetesJob!, workload, 't', undefined)).toMatchObject({
      ok: false,
      reason: 'BadParameter',
    });
    const label = repairAction({ labels: { cause: '${diagnosis.rootCause}' }, nodeName: undefined });
    delete (label.kubernetesJob as Partial<HealingKubernetesJob>).nodeName;
    expect(fillKubernetesJob(label.kubernetesJob!, node('n1'), 't', 'not a label value!')).toMatchObject({
      ok: false,
      reason: 'BadParameter',
    });
  });

  it('admission names unknown placeholders, templated images and Gantry labels by path', () => {
    const job = repairAction({
      image: 'registry.example/${entity.name}',
      args: ['${entity.secret}'],
      labels: { 'gantry.dev/change': 'x' },
    }).kubernetesJob!;
    expect(checkKubernetesJobTemplate(job, '/spec/actions/0/kubernetesJob').map((e) => e.path)).toEqual([
      '/spec/actions/0/kubernetesJob/args/0',
      '/spec/actions/0/kubernetesJob/image',
      '/spec/actions/0/kubernetesJob/labels/gantry.dev/change',
    ]);
    const engine = createCelEngine();
    const input = nodePolicyInput();
    (input['actions'] as unknown[])[0] = { ...repairAction({ args: ['${nope}'] }), name: 'restart-kubelet' };
    const compiled = compilePolicy(engine, TEAM, 'p', policySpec(input), () => undefined);
    expect('errors' in compiled ? compiled.errors : []).toContainEqual(
      expect.objectContaining({ path: '/spec/actions/0/kubernetesJob/args/0' }),
    );
  });

  describe('on the resource API', () => {
    let store: Store;
    let resources: ResourceService;
    beforeEach(async () => {
      store = await Store.open({ url: ':memory:' });
      const kinds = new KindRegistry();
      for (const kind of builtinKinds) kinds.register(kind);
      resources = new ResourceService(kinds, store.resources, () => T0);
      registerHealingAdmission({ resources, repository: store.resources, engine: createCelEngine() });
      await resources.create(ADMIN, 'Team', undefined, {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Team',
        metadata: { name: TEAM },
        spec: { members: [] },
      });
    });
    afterEach(async () => {
      await store.close();
    });

    it("submits a one-entity Change with the filled Job on the entity's cluster, once per key", async () => {
      const actuator = createChangeActuator({
        changes: createResourceChangeSubmitter(resources),
        notifier: { enqueue: () => Promise.resolve({ id: 'x', created: true }) },
        silences: createResourceSilenceCreator(resources),
        now: () => T0,
        externalUrl: 'https://gantry.example',
      });
      const request: HealingActionRequest = {
        key: 'healing/run-1/rung/0/attempt/0',
        team: TEAM,
        policy: 'node-not-ready',
        runId: 'run-1',
        entity: node('n7'),
        action: repairAction(),
        summary: 'KubeletDown',
        details: {},
        triggerId: 'exc-1',
        rootCause: 'KubeletDown',
      };
      expect(changesFleet(request)).toBe(true);
      const first = await actuator.start(request);
      expect(await actuator.start(request)).toEqual(first);
      expect(first).toEqual({ ok: true, handle: `change/${healingChangeName(request.key)}`, done: false });
      const changes = (await resources.list(ADMIN, 'Change', { team: TEAM })).items;
      expect(changes).toHaveLength(1);
      expect(changes[0]!.spec as ChangeSpec).toMatchObject({
        kubernetesJob: { nodeName: 'n7', args: ['--cause=KubeletDown', '--trigger', 'exc-1'] },
        targets: { names: ['east'] },
        plan: { batches: [{ size: '1', bake: '0s' }] },
        failurePolicy: 'Abort',
      });
      const noCluster = await actuator.start({
        ...request,
        key: 'k2',
        entity: { kind: 'Host', name: 'h1', domain: '', labels: {} },
      });
      expect(noCluster).toMatchObject({ ok: false, reason: 'NoCluster' });
    });
  });
});
