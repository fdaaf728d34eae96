import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaos, startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import type { ChangeJournal, ChangeStatus, InventoryNode } from '@gantry/model';
import type { HealingRunData } from '@gantry/healing';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * A Change's `kubernetesJob` on a real API server with a real Job controller (kube-controller-manager) and
 * kwok nodes (ADR 0041). kwok runs no containers; its stages stand in for the kubelet:
 * - `pod-complete` (testbed/stages/pod/pod-complete.yaml) ends a Running, Ready pod owned by a Job as
 *   `Succeeded` 1–6 s later, so the Job controller marks the Job `Complete`;
 * - `pod-container-running-failed` ends a Running pod labelled
 *   `pod-container-running-failed.stage.kwok.x-k8s.io: "true"` as `Failed` (exit code 1), with a weight that
 *   beats pod-complete's, so a Job whose pod carries that label (the action's `labels`) ends `Failed`
 *   (`BackoffLimitExceeded`, as Gantry sets `backoffLimit: 0`).
 * kwok serves no container logs: the step's detail says the log could not be read.
 */
describe('a Change that runs a Kubernetes Job (test bed)', () => {
  let bed: Testbed;
  let east: TestbedCluster;
  let server: TestServer;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 1, nodes: 2, progress: true });
    [east] = bed.clusters as [TestbedCluster];
    server = await startTestServer({ config: { healingIntervalSeconds: 1 } });
    api = client(server.url, server.adminToken);
    expect((await api.post(`${BASE}/teams`, team('sre'))).status).toBe(201);
    expect(
      (await api.put('/api/teams/sre/secrets/east-kubeconfig', { data: { kubeconfig: east.kubeconfig } }))
        .status,
    ).toBe(200);
    expect(
      (
        await api.post(`${BASE}/teams/sre/clusters`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Cluster',
          metadata: { name: 'east' },
          spec: { kubeconfigSecret: { name: 'east-kubeconfig' } },
        })
      ).status,
    ).toBe(201);
  }, 900_000);

  afterAll(async () => {
    await server?.close();
    await bed?.stop();
  });

  const change = (name: string, kubernetesJob: Record<string, unknown>, names = ['east']) =>
    api.post(`${BASE}/teams/sre/changes`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Change',
      metadata: { name },
      spec: {
        kubernetesJob,
        targets: { names },
        plan: { batches: [{ size: '1', bake: '0s' }] },
        failurePolicy: 'Abort',
      },
    });
  const ended = (name: string) =>
    eventually(
      async () =>
        (await api.get(`${BASE}/teams/sre/changes/${name}`)).body.status as ChangeStatus | undefined,
      (status) => ['Succeeded', 'Failed', 'Aborted'].includes(status?.phase ?? ''),
      90_000,
      500,
    );
  const doneStep = async (name: string) =>
    ((await api.get(`/api/teams/sre/changes/${name}/journal?limit=100`)).body as ChangeJournal).items.find(
      (entry) => entry.type === 'EntityDone',
    );

  it('creates the Job labelled with the change and the step, and the Job’s completion is the step’s', async () => {
    const created = await change('node-fix', {
      image: 'registry.example/node-fix:1',
      command: ['/bin/fix'],
      args: ['--node', 'node-1'],
      namespace: 'default',
      env: { MODE: 'repair' },
    });
    expect(created.status).toBe(201);
    const jobs = await eventually(
      () =>
        east.client.get<any>(
          `/apis/batch/v1/namespaces/default/jobs?labelSelector=${encodeURIComponent('gantry.dev/change=node-fix')}`,
        ),
      (list) => list.items.length === 1,
      60_000,
      500,
    );
    const job = jobs.items[0];
    expect(job.metadata.name).toMatch(/^gantry-[0-9a-f]{20}$/);
    expect(job.metadata.labels).toMatchObject({
      'gantry.dev/team': 'sre',
      'gantry.dev/change-step': expect.any(String),
    });
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 3600,
    });
    expect(job.spec.template.spec.containers[0]).toMatchObject({
      image: 'registry.example/node-fix:1',
      command: ['/bin/fix'],
      args: ['--node', 'node-1'],
      env: [{ name: 'MODE', value: 'repair' }],
    });

    const status = await ended('node-fix');
    expect(status?.phase).toBe('Succeeded');
    const step = await doneStep('node-fix');
    expect(step?.data).toMatchObject({ status: 'Succeeded' });
    expect(String(step?.data['message'])).toContain(`Job default/${job.metadata.name} succeeded`);
    expect(String(step?.data['message'])).toContain("the pod's log cannot be read");
    // The real Job controller marked it Complete; one Job for the step, not two.
    const after = await east.client.get<any>(`/apis/batch/v1/namespaces/default/jobs/${job.metadata.name}`);
    expect(after.status.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Complete', status: 'True' })]),
    );
  }, 180_000);

  it('a Job whose pod fails fails the step, typed, and the change aborts', async () => {
    expect(
      (
        await change('node-fix-broken', {
          image: 'registry.example/node-fix:1',
          labels: { 'pod-container-running-failed.stage.kwok.x-k8s.io': 'true' },
        })
      ).status,
    ).toBe(201);
    const status = await ended('node-fix-broken');
    expect(status?.phase).toBe('Aborted');
    const step = await doneStep('node-fix-broken');
    expect(step?.data).toMatchObject({ status: 'Failed', reason: 'JobFailed' });
    expect(String(step?.data['message'])).toMatch(/failed: BackoffLimitExceeded/);
  }, 180_000);

  // Self-healing's `kubernetesJob` action on the same cluster: a kwok node down (chaos stage), the built-in
  // tree concludes HostDown (no agent), the policy's action for it is a Job template filled with the node's
  // name, submitted as a Change whose Job the real Job controller runs to completion.
  it('heals a node down with a Kubernetes Job filled with the node’s name, as a Change', async () => {
    const create = async (plural: string, kind: string, name: string, spec: unknown) => {
      const created = await api.post(`${BASE}/teams/sre/${plural}`, {
        apiVersion: 'gantry.dev/v1alpha1',
        kind,
        metadata: { name },
        spec,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    };
    const nodes = await eventually(
      async () =>
        ((await api.get('/api/inventory/nodes?team=sre&cluster=east')).body as { items: InventoryNode[] })
          .items,
      (items) => items.length === 2 && items.every((n) => n.ready),
      60_000,
      250,
    );
    const down = nodes.map((n) => n.name).sort()[0]!;
    await create('notificationchannels', 'NotificationChannel', 'oncall', {
      type: 'webhook',
      webhook: { url: 'http://127.0.0.1:9/oncall' },
    });
    const repair = (name: string) => ({
      name,
      timeout: '10m',
      kubernetesJob: {
        image: 'registry.example/node-repair:2',
        command: ['/repair'],
        args: ['--node', '${entity.node}', '--cause', '${diagnosis.rootCause}'],
        env: { TRIGGER: '${trigger.id}' },
        labels: { node: '${entity.node}' },
      },
    });
    await create('healingpolicies', 'HealingPolicy', 'node-repair', {
      trigger: { condition: { over: 'nodes', condition: '!node.ready', for: '0s' } },
      scope: { subject: 'Node' },
      diagnosis: { tree: 'builtin/node-not-ready' },
      actions: [
        repair('restart-kubelet'),
        repair('cordon-drain'),
        { name: 'page', notify: { channels: ['oncall'], page: true } },
      ],
      guardrails: { mode: 'Act', minHealthyShare: 0.4 },
      verification: { bake: '0s', condition: 'true' },
      escalation: {
        rungs: [
          { action: 'cordon-drain', timeout: '10m' },
          { action: 'page', timeout: '1m' },
        ],
      },
    });
    await chaos.makeNodeNotReady(east.client, down, { reason: 'PowerLost', message: 'PSU failed' });

    const healed = await eventually(
      async () =>
        (await server.server.store.healing.list({ team: 'sre', limit: 10 })).items.find(
          (run) => run.entity === `Node/east/${down}`,
        ),
      (run) => run?.phase === 'Healed' || run?.phase === 'Escalated',
      180_000,
      500,
    );
    const data = healed!.data as unknown as HealingRunData;
    expect(healed!.phase, JSON.stringify(data.decisions)).toBe('Healed');
    expect(data.diagnosis?.conclusion?.rootCause).toBe('HostDown');
    const changes = (await api.get(`${BASE}/teams/sre/changes`)).body.items as any[];
    const change = changes.find((c) => c.metadata.labels?.['healing.gantry.dev/run'] === healed!.id);
    expect(change).toMatchObject({
      spec: {
        kubernetesJob: { args: ['--node', down, '--cause', 'HostDown'], labels: { node: down } },
        targets: { names: ['east'] },
      },
      status: { phase: 'Succeeded' },
    });
    const jobs = await east.client.get<any>(
      `/apis/batch/v1/namespaces/default/jobs?labelSelector=${encodeURIComponent(`gantry.dev/change=${change.metadata.name}`)}`,
    );
    expect(jobs.items).toHaveLength(1);
    expect(jobs.items[0].spec.template.spec.containers[0].args).toEqual([
      '--node',
      down,
      '--cause',
      'HostDown',
    ]);
    expect(jobs.items[0].status.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Complete', status: 'True' })]),
    );
  }, 300_000);

  it('refuses at apply time, with field paths, what cannot be a Job on a cluster', async () => {
    const refused = await change(
      'bad-job',
      { image: 'x', nodeName: 'Not_A_Node', labels: { 'gantry.dev/change': 'mine' } },
      ['east/node-1'],
    );
    expect(refused.status).toBe(422);
    expect(refused.body.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining([
        '/spec/targets/names/0',
        '/spec/kubernetesJob/nodeName',
        '/spec/kubernetesJob/labels/gantry.dev/change',
      ]),
    );
  });
});
