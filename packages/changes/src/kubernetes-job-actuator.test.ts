import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { KubeApiError, type KubeClient } from '@gantry/fleet';
import { ChangeKubernetesJob, type ChangeSpec } from '@gantry/model';
import type { ApplyRequest } from './actuator.ts';
import {
  KubernetesJobActuator,
  KubernetesJobLabels,
  KubernetesJobReason,
  checkKubernetesJob,
  kubernetesJobName,
  stepHash,
} from './kubernetes-job-actuator.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** A tiny API server for Jobs and their pods: POST creates (409 when the name exists), GET, DELETE. */
class FakeKube implements KubeClient {
  readonly server = 'https://fake';
  readonly objects = new Map<string, any>();
  readonly calls: string[] = [];
  logs = new Map<string, string>();

  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    this.calls.push(`${method} ${path}`);
    if (method === 'POST') {
      const job = structuredClone(body) as any;
      const at = `${path}/${job.metadata.name}`;
      if (this.objects.has(at)) return Promise.reject(new KubeApiError('exists', 409, 'AlreadyExists'));
      job.metadata.creationTimestamp = '2026-12-03T10:00:00Z';
      job.metadata.uid = `uid-${this.objects.size}`;
      this.objects.set(at, job);
      return Promise.resolve(structuredClone(job) as T);
    }
    if (method === 'GET' && path.includes('/pods?labelSelector=')) {
      const job = decodeURIComponent(path.split('labelSelector=')[1]!).replace('job-name=', '');
      const items = [...this.objects.values()].filter(
        (o) => o.kind === 'Pod' && o.metadata.labels['job-name'] === job,
      );
      return Promise.resolve({ items } as T);
    }
    const object = this.objects.get(path);
    if (!object) return Promise.reject(new KubeApiError(`${path} not found`, 404, 'NotFound'));
    if (method === 'DELETE') this.objects.delete(path);
    return Promise.resolve(structuredClone(object) as T);
  }
  requestText(path: string): Promise<string> {
    this.calls.push(`GET ${path}`);
    const log = this.logs.get(path.split('?')[0]!);
    return log === undefined
      ? Promise.reject(new KubeApiError('no log', 400, 'BadRequest'))
      : Promise.resolve(log);
  }
  watch(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}

  /** The Job controller and the kubelet: a pod of the Job, then the Job's condition. */
  finish(path: string, condition: 'Complete' | 'Failed', reason?: string): void {
    const job = this.objects.get(path);
    const pod = `${job.metadata.name}-x1`;
    this.objects.set(`/api/v1/namespaces/${job.metadata.namespace}/pods/${pod}`, {
      kind: 'Pod',
      metadata: { name: pod, namespace: job.metadata.namespace, labels: { 'job-name': job.metadata.name } },
    });
    this.logs.set(`/api/v1/namespaces/${job.metadata.namespace}/pods/${pod}/log`, 'kubelet restarted\n');
    job.status = {
      [condition === 'Complete' ? 'succeeded' : 'failed']: 1,
      conditions: [{ type: condition, status: 'True', ...(reason ? { reason } : {}) }],
    };
  }
}

const KEY = 'uid-1/batch/0/entity/east/attempt/1';

function setup(job: Record<string, unknown> = {}) {
  const kube = new FakeKube();
  let now = Date.parse('2026-12-03T10:00:05Z');
  const clients: string[] = [];
  const actuator = new KubernetesJobActuator({
    clients: {
      get: (team, cluster) => {
        clients.push(`${team}/${cluster}`);
        return cluster === 'east'
          ? Promise.resolve(kube)
          : Promise.reject(new Error(`no cluster ${cluster}`));
      },
    },
    now: () => now,
  });
  const spec = {
    kubernetesJob: Value.Default(ChangeKubernetesJob, {
      image: 'registry.example/node-fix:1',
      command: ['/bin/fix'],
      args: ['--node', 'node-7'],
      namespace: 'ops',
      env: { NODE: 'node-7' },
      labels: { purpose: 'repair' },
      nodeName: 'node-7',
      ...job,
    }),
    targets: { names: ['east'] },
  } as unknown as ChangeSpec;
  const request: ApplyRequest = {
    team: 'sre',
    change: 'fix-7',
    spec,
    entity: 'east',
    key: KEY,
    actor: 'alice',
  };
  const path = `/apis/batch/v1/namespaces/ops/jobs/${kubernetesJobName(KEY)}`;
  return { kube, actuator, request, path, clients, advance: (ms: number) => (now += ms) };
}

describe('KubernetesJobActuator', () => {
  it('creates the Job named after the step, labelled with the change and the step, and follows it', async () => {
    const { kube, actuator, request, path, clients } = setup();
    const started = await actuator.apply(request);
    expect(started).toMatchObject({ status: 'Running', handle: `ops/${kubernetesJobName(KEY)}` });
    expect(clients).toEqual(['sre/east']);
    const job = kube.objects.get(path);
    expect(job.metadata.labels).toMatchObject({
      [KubernetesJobLabels.change]: 'fix-7',
      [KubernetesJobLabels.step]: stepHash(KEY),
      [KubernetesJobLabels.team]: 'sre',
    });
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 3600,
    });
    expect(job.spec.template.metadata.labels).toMatchObject({
      purpose: 'repair',
      [KubernetesJobLabels.change]: 'fix-7',
    });
    expect(job.spec.template.spec).toEqual({
      restartPolicy: 'Never',
      nodeName: 'node-7',
      containers: [
        {
          name: 'job',
          image: 'registry.example/node-fix:1',
          command: ['/bin/fix'],
          args: ['--node', 'node-7'],
          env: [{ name: 'NODE', value: 'node-7' }],
        },
      ],
    });

    kube.finish(path, 'Complete');
    const done = await actuator.progress({ ...request, handle: 'ops/x' });
    expect(done.status).toBe('Succeeded');
    expect((done as { message: string }).message).toContain(`Job ops/${kubernetesJobName(KEY)} succeeded`);
    expect((done as { message: string }).message).toContain('kubelet restarted');
  });

  it('a repeated apply of the same step creates no second Job and answers the one it made', async () => {
    const { kube, actuator, request, path } = setup();
    await actuator.apply(request);
    kube.finish(path, 'Complete');
    const again = await actuator.apply(request);
    expect(again.status).toBe('Succeeded');
    expect(kube.calls.filter((c) => c.startsWith('POST'))).toHaveLength(2);
    expect([...kube.objects.keys()].filter((k) => k.includes('/jobs/'))).toEqual([path]);
  });

  it("refuses to follow a Job of the step's name that another step made", async () => {
    const { kube, actuator, request, path } = setup();
    await actuator.apply(request);
    kube.objects.get(path).metadata.labels[KubernetesJobLabels.step] = 'someone-else';
    expect(await actuator.apply(request)).toMatchObject({
      status: 'Failed',
      reason: KubernetesJobReason.NameTaken,
    });
  });

  it('reports a failed Job typed, with the condition’s reason and the log tail', async () => {
    const { kube, actuator, request, path } = setup();
    await actuator.apply(request);
    kube.finish(path, 'Failed', 'DeadlineExceeded');
    const failed = await actuator.progress({ ...request, handle: 'h' });
    expect(failed).toMatchObject({ status: 'Failed', reason: KubernetesJobReason.JobFailed });
    expect((failed as { message: string }).message).toMatch(
      /failed: DeadlineExceeded\n\[pod .* log tail\]\nkubelet restarted/,
    );
  });

  it('says so when the log cannot be read, and still reports the outcome', async () => {
    const { kube, actuator, request, path } = setup();
    await actuator.apply(request);
    kube.finish(path, 'Complete');
    kube.logs.clear();
    const done = await actuator.progress({ ...request, handle: 'h' });
    expect(done.status).toBe('Succeeded');
    expect((done as { message: string }).message).toContain("[the pod's log cannot be read: no log]");
  });

  it('fails the step past the progress deadline and deletes the Job', async () => {
    const { kube, actuator, request, path, advance } = setup({ progressDeadlineSeconds: 60 });
    await actuator.apply(request);
    advance(50_000);
    expect((await actuator.progress({ ...request, handle: 'h' })).status).toBe('Running');
    advance(20_000);
    expect(await actuator.progress({ ...request, handle: 'h' })).toMatchObject({
      status: 'Failed',
      reason: KubernetesJobReason.ProgressDeadlineExceeded,
    });
    expect(kube.objects.has(path)).toBe(false);
  });

  it('a Job gone before it ended, or a cluster the team does not have, fail typed', async () => {
    const { kube, actuator, request, path } = setup();
    await actuator.apply(request);
    kube.objects.delete(path);
    expect(await actuator.progress({ ...request, handle: 'h' })).toMatchObject({
      status: 'Failed',
      reason: KubernetesJobReason.JobMissing,
    });
    expect(await actuator.apply({ ...request, entity: 'west' })).toMatchObject({
      status: 'Failed',
      reason: KubernetesJobReason.BadCluster,
    });
  });

  it('targets clusters by name only, and has no undo', async () => {
    const { actuator, request } = setup();
    expect(await actuator.resolve('sre', request.spec, { names: ['west', 'east'] })).toEqual({
      ok: true,
      entities: ['east', 'west'],
    });
    expect(await actuator.resolve('sre', request.spec, { selector: 'a=b' })).toMatchObject({ ok: false });
    expect(actuator.canUndo()).toBe(false);
  });

  it('admission refuses a selector, node-shaped targets, a bad node name and gantry.dev labels, with paths', () => {
    const { request } = setup({ nodeName: 'Node_7', labels: { 'gantry.dev/change': 'x' }, command: [] });
    const spec = { ...request.spec, targets: { names: ['east/node-7'] } } as ChangeSpec;
    expect(checkKubernetesJob(spec).map((e) => e.path)).toEqual([
      '/spec/targets/names/0',
      '/spec/kubernetesJob/nodeName',
      '/spec/kubernetesJob/labels/gantry.dev/change',
      '/spec/kubernetesJob/command',
    ]);
    expect(checkKubernetesJob({ ...request.spec, targets: { selector: '' } } as ChangeSpec)[0]?.path).toBe(
      '/spec/targets/selector',
    );
  });
});
