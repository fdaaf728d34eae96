import { describe, expect, it } from 'vitest';
import { KubeApiError, type KubeClient } from '@gantry/fleet';
import type { ChangeSpec, ChangeWorkloadOperation } from '@gantry/model';
import {
  RESTART_ANNOTATION,
  WorkloadOperationActuator,
  parseWorkloadEntity,
  restartStamp,
  rolloutState,
} from './workload-actuator.ts';

type Obj = {
  kind: string;
  metadata: { name: string; namespace: string; uid: string; generation: number };
  spec: { replicas?: number; template: { metadata: { annotations: Record<string, string> } } };
  status: Record<string, number>;
};

/** A tiny API server: workloads and pods by path; PATCH merges and bumps the generation on a spec change. */
class FakeKube implements KubeClient {
  readonly server = 'https://fake';
  readonly objects = new Map<string, Obj>();
  readonly calls: string[] = [];

  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    this.calls.push(`${method} ${path}`);
    const object = this.objects.get(path);
    if (!object) return Promise.reject(new KubeApiError(`${path} not found`, 404, 'NotFound'));
    if (method === 'GET') return Promise.resolve(structuredClone(object) as T);
    if (method === 'DELETE') {
      this.objects.delete(path);
      return Promise.resolve({} as T);
    }
    const patch = body as {
      spec: { replicas?: number; template?: { metadata: { annotations: Record<string, string> } } };
    };
    const before = JSON.stringify(object.spec);
    if (patch.spec.replicas !== undefined) object.spec.replicas = patch.spec.replicas;
    if (patch.spec.template)
      Object.assign(object.spec.template.metadata.annotations, patch.spec.template.metadata.annotations);
    if (JSON.stringify(object.spec) !== before) object.metadata.generation += 1;
    return Promise.resolve(structuredClone(object) as T);
  }
  watch(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}

  /** The workload's controller catching up: every replica of the current generation updated and available. */
  converge(path: string): void {
    const object = this.objects.get(path)!;
    const replicas = object.spec.replicas ?? 1;
    object.status = {
      observedGeneration: object.metadata.generation,
      replicas,
      updatedReplicas: replicas,
      availableReplicas: replicas,
    };
  }
}

const DEPLOYMENT = '/apis/apps/v1/namespaces/shop/deployments/web';
const POD = '/api/v1/namespaces/shop/pods/web-abc';

function setup(operation: ChangeWorkloadOperation | undefined) {
  const kube = new FakeKube();
  kube.objects.set(DEPLOYMENT, {
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', uid: 'u1', generation: 3 },
    spec: { replicas: 2, template: { metadata: { annotations: {} } } },
    status: { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
  });
  kube.objects.set(POD, {
    kind: 'Pod',
    metadata: { name: 'web-abc', namespace: 'shop', uid: 'p1', generation: 1 },
    spec: { template: { metadata: { annotations: {} } } },
    status: {},
  });
  const clusters: string[] = [];
  const actuator = new WorkloadOperationActuator({
    clients: {
      get: (team, cluster) => {
        clusters.push(`${team}/${cluster}`);
        return Promise.resolve(kube);
      },
    },
    operationOf: () => operation,
  });
  const request = (entity: string, key = 'uid/batch/0/entity/x/attempt/0') => ({
    team: 'ops',
    change: 'heal-1',
    spec: {} as ChangeSpec,
    entity,
    key,
    actor: 'controller/healing',
  });
  return { kube, actuator, request, clusters };
}

describe('WorkloadOperationActuator', () => {
  it('restarts a rollout once per key and follows it until every replica is updated and available', async () => {
    const { kube, actuator, request, clusters } = setup({ operation: 'restart' });
    const first = await actuator.apply(request('east/shop/Deployment/web'));
    expect(first).toMatchObject({ status: 'Running', handle: '4' });
    expect(clusters).toEqual(['ops/east']);
    expect(kube.objects.get(DEPLOYMENT)!.spec.template.metadata.annotations).toEqual({
      [RESTART_ANNOTATION]: restartStamp('uid/batch/0/entity/x/attempt/0'),
    });
    // The same step again (its outcome was never journaled): nothing patched, no second rollout.
    const again = await actuator.apply(request('east/shop/Deployment/web'));
    expect(again).toMatchObject({ status: 'Running', handle: '4' });
    expect(kube.calls.filter((call) => call.startsWith('PATCH'))).toHaveLength(1);
    expect(kube.objects.get(DEPLOYMENT)!.metadata.generation).toBe(4);

    const running = await actuator.progress({ ...request('east/shop/Deployment/web'), handle: '4' });
    expect(running).toMatchObject({ status: 'Running', message: 'the controller has not seen it yet' });
    kube.converge(DEPLOYMENT);
    expect(await actuator.progress({ ...request('east/shop/Deployment/web'), handle: '4' })).toEqual({
      status: 'Succeeded',
      message: '2 replica(s) updated and available',
    });
    // Another step (another key) is another rollout.
    await actuator.apply(request('east/shop/Deployment/web', 'uid/batch/0/entity/x/attempt/1'));
    expect(kube.objects.get(DEPLOYMENT)!.metadata.generation).toBe(5);
  });

  it('scales a workload and is done when the replicas are there; the same replicas again change nothing', async () => {
    const { kube, actuator, request } = setup({ operation: 'scale', replicas: 5 });
    expect(await actuator.apply(request('east/shop/Deployment/web'))).toMatchObject({
      status: 'Running',
      handle: '4',
      message: 'scaling to 5',
    });
    kube.converge(DEPLOYMENT);
    expect(await actuator.apply(request('east/shop/Deployment/web'))).toEqual({
      status: 'Succeeded',
      message: '5 replica(s) updated and available',
    });
    expect(kube.objects.get(DEPLOYMENT)!.metadata.generation).toBe(4);
  });

  it('deletes a pod; a pod already gone counts as deleted', async () => {
    const { kube, actuator, request } = setup({ operation: 'deletePod' });
    expect(await actuator.apply(request('east/shop/Pod/web-abc'))).toEqual({
      status: 'Succeeded',
      message: 'pod shop/web-abc deleted',
    });
    expect(kube.objects.has(POD)).toBe(false);
    expect(await actuator.apply(request('east/shop/Pod/web-abc'))).toEqual({
      status: 'Succeeded',
      message: 'pod shop/web-abc was gone',
    });
  });

  it('refuses what it cannot do, with typed reasons, and has no inverse', async () => {
    expect(
      await setup({ operation: 'scale', replicas: 1 }).actuator.apply(
        setup(undefined).request('east/shop/DaemonSet/agent'),
      ),
    ).toMatchObject({ status: 'Failed', reason: 'NotSupported' });
    expect(
      await setup({ operation: 'restart' }).actuator.apply(setup(undefined).request('east/web')),
    ).toMatchObject({
      status: 'Failed',
      reason: 'BadEntity',
    });
    expect(
      await setup({ operation: 'restart' }).actuator.apply(
        setup(undefined).request('east/shop/Deployment/api'),
      ),
    ).toMatchObject({ status: 'Failed', reason: 'WorkloadNotFound' });
    expect(
      await setup(undefined).actuator.apply(setup(undefined).request('east/shop/Deployment/web')),
    ).toMatchObject({
      status: 'Failed',
      reason: 'NoOperation',
    });
    const { actuator } = setup({ operation: 'restart' });
    expect(await actuator.resolve('ops', {} as ChangeSpec, { selector: 'app=web' })).toMatchObject({
      ok: false,
      reason: 'NotSupported',
    });
    expect(
      await actuator.resolve('ops', {} as ChangeSpec, {
        names: ['west/a/Deployment/z', 'east/shop/Deployment/web'],
      }),
    ).toEqual({ ok: true, entities: ['east/shop/Deployment/web', 'west/a/Deployment/z'] });
    expect(await actuator.resolve('ops', {} as ChangeSpec, { names: ['east/web'] })).toMatchObject({
      ok: false,
      reason: 'BadEntity',
    });
    expect(actuator.canUndo()).toBe(false);
    expect(actuator.subject('ops', 'east/shop/Pod/web-abc')).toEqual({
      kind: 'Pod',
      team: 'ops',
      cluster: 'east',
      name: 'web-abc',
    });
  });

  it('judges a DaemonSet by its scheduled pods', () => {
    const daemonSet = {
      kind: 'DaemonSet',
      metadata: { name: 'agent', uid: 'd', generation: 2 },
      status: {
        observedGeneration: 2,
        desiredNumberScheduled: 3,
        updatedNumberScheduled: 2,
        numberAvailable: 3,
      },
    };
    expect(rolloutState(daemonSet, 2)).toMatchObject({
      status: 'Running',
      message: '2/3 updated, 3 available',
    });
    daemonSet.status.updatedNumberScheduled = 3;
    expect(rolloutState(daemonSet, 2)).toMatchObject({ status: 'Succeeded' });
    expect(parseWorkloadEntity('a/b/Deployment/c')).toEqual({
      cluster: 'a',
      namespace: 'b',
      kind: 'Deployment',
      name: 'c',
    });
  });
});
