import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import type { ChangeStatus } from '@gantry/model';
import type { HealingRunData } from '@gantry/healing';
import type { StoredHealingRun } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

const TEAM = 'shop';
const APP = `${BASE}/teams/${TEAM}/applications/db`;
/** kwok schedules only pods that tolerate its nodes' taints: a revision without it never gets ready. */
const tolerate = { type: 'tolerations', properties: { tolerations: [{ operator: 'Exists' }] } };
const component = (image: string, tolerant: boolean) => ({
  name: 'db',
  type: 'stateful-service',
  properties: { image, ports: [{ port: 5432 }] },
  traits: [{ type: 'scaler', properties: { replicas: 2 } }, ...(tolerant ? [tolerate] : [])],
});

/**
 * An application unhealthy after a revision, rolled back by self-healing through the change engine, on a
 * real cluster: revision 2 of a StatefulSet cannot run its pods → the team's Inspection over workloads
 * finds it short of ready replicas (a risk on the Workload) → the HealingPolicy matches the risk → the
 * built-in `workload-unhealthy-after-change` tree sees the workload unhealthy and the application's
 * revision applied to that cluster minutes before → ChangeSuspected → `applicationRollback`: a Change with
 * `applicationRevision` back to revision 1 on that cluster → the cluster runs revision 1, every pod ready →
 * the run verifies the workload and ends healed.
 */
describe('self-healing on the test bed: a bad revision rolled back through the change engine', () => {
  let bed: Testbed;
  let east: TestbedCluster;
  let server: TestServer;
  let api: ReturnType<typeof client>;

  const statefulSet = async () => east.client.get<any>('/apis/apps/v1/namespaces/data/statefulsets/db');
  const runs = async () =>
    (await server.server.store.healing.list({ team: TEAM, limit: 100 })).items as StoredHealingRun[];

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 1, nodes: 1, progress: true });
    [east] = bed.clusters as [TestbedCluster];
    server = await startTestServer({
      config: { healingIntervalSeconds: 1, changePollMs: 250, deliveryProgressGraceSeconds: 3 },
    });
    api = client(server.url, server.adminToken);
    expect(
      (await api.post(`${BASE}/teams`, team(TEAM, [{ user: 'admin', role: 'team-admin' }]))).status,
    ).toBe(201);
    expect(
      (await api.put(`/api/teams/${TEAM}/secrets/east-kubeconfig`, { data: { kubeconfig: east.kubeconfig } }))
        .status,
    ).toBe(200);
    const create = async (plural: string, kind: string, name: string, spec: unknown) => {
      const created = await api.post(`${BASE}/teams/${TEAM}/${plural}`, {
        apiVersion: 'gantry.dev/v1alpha1',
        kind,
        metadata: { name },
        spec,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    };
    await create('clusters', 'Cluster', 'east', { kubeconfigSecret: { name: 'east-kubeconfig' } });
    // No rollout policy: a new revision goes to the cluster at once.
    await create('applications', 'Application', 'db', {
      components: [component('postgres:16.1', true)],
      topology: { clusters: ['east'], namespace: 'data' },
    });
    await eventually(
      async () => (await api.get(APP)).body,
      (app: any) => app?.status?.revision === 1 && app.status.health === 'Healthy',
      300_000,
      250,
    );
    await create('notificationchannels', 'NotificationChannel', 'oncall', {
      type: 'webhook',
      webhook: { url: 'http://127.0.0.1:9/oncall' },
    });
    await create('inspections', 'Inspection', 'replicas', {
      schedule: { cron: '*/3 * * * * *' },
      checks: [
        {
          name: 'short',
          inventory: {
            over: 'workloads',
            condition: 'workload.desired > 0 && workload.ready < workload.desired',
          },
          score: 70,
        },
      ],
    });
    await create('healingpolicies', 'HealingPolicy', 'bad-revision', {
      trigger: { risks: { match: 'risk.check == "short"' } },
      scope: { subject: 'Workload' },
      diagnosis: { tree: 'builtin/workload-unhealthy-after-change' },
      actions: [
        { name: 'rollback', applicationRollback: {}, timeout: '15m' },
        { name: 'page', notify: { channels: ['oncall'], page: true } },
      ],
      guardrails: { mode: 'Act' },
      verification: { bake: '5s', condition: 'entity.desired > 0 && entity.ready == entity.desired' },
      escalation: {
        rungs: [
          { action: 'rollback', timeout: '15m' },
          { action: 'page', timeout: '1m' },
        ],
      },
    });
  }, 900_000);

  afterAll(async () => {
    await server?.close();
    await bed?.stop();
  });

  it('rolls the cluster back to the revision it ran before, through a Change, and verifies it healthy', async () => {
    // Nothing to heal while revision 1 runs.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(await runs()).toEqual([]);

    // Revision 2 drops the toleration: its pod cannot be scheduled.
    const app = (await api.get(APP)).body;
    expect(
      (await api.put(APP, { ...app, spec: { ...app.spec, components: [component('postgres:16.2', false)] } }))
        .status,
    ).toBe(200);
    await eventually(
      statefulSet,
      (sts) => sts.metadata.annotations?.['app.gantry.dev/revision'] === '2',
      120_000,
      250,
    );

    // The risk may close and open again while the StatefulSet rolls (a new episode, a second run): the
    // run that acted is the one that ends healed; any other waits on the policy's one slot and ends with
    // its risk.
    const acted = async () =>
      (await runs()).find(
        (run) =>
          run.entity === 'Workload/east/data/db' &&
          (run.data as unknown as HealingRunData).actions.some((a) => a.action === 'rollback'),
      );
    const ended = await eventually(
      acted,
      (run) => run?.phase === 'Healed' || run?.phase === 'Escalated',
      240_000,
      500,
    );
    for (const other of (await runs()).filter((run) => run.id !== ended!.id))
      expect((other.data as unknown as HealingRunData).actions).toEqual([]);
    expect(ended, JSON.stringify(ended?.data)).toMatchObject({ phase: 'Healed', triggerKind: 'risk' });
    const data = ended!.data as unknown as HealingRunData;
    expect(data.trigger.entity).toMatchObject({
      kind: 'Workload',
      cluster: 'east',
      namespace: 'data',
      workloadKind: 'StatefulSet',
      application: 'db',
    });
    expect(data.diagnosis?.conclusion).toMatchObject({ rootCause: 'ChangeSuspected', action: 'rollback' });
    const evidence = Object.fromEntries(data.diagnosis!.evidence.map((e) => [e.name, e.value as any]));
    expect(evidence['workload'].ready).toBeLessThan(evidence['workload'].desired);
    expect(evidence['recent-changes'].count).toBeGreaterThan(0);
    expect(data.actions.map((a) => [a.action, a.state])).toEqual([['rollback', 'succeeded']]);

    // The rollback was a Change with applicationRevision back to revision 1 on that cluster.
    const changes = (await api.get(`${BASE}/teams/${TEAM}/changes`)).body.items as {
      spec: any;
      status?: ChangeStatus;
    }[];
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      spec: { applicationRevision: { application: 'db', revision: 1 }, targets: { names: ['east'] } },
      status: { phase: 'Succeeded' },
    });
    // The cluster runs revision 1 again, every pod ready; the application knows revision 2 is the latest.
    const sts = await eventually(
      statefulSet,
      (found) => found.status.readyReplicas === 2 && found.status.updatedReplicas === 2,
      120_000,
      250,
    );
    expect(sts.metadata.annotations['app.gantry.dev/revision']).toBe('1');
    expect(sts.spec.template.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    const after = (await api.get(APP)).body;
    expect(after.status).toMatchObject({ latestRevision: 2 });
    expect(after.status.targets.map((t: any) => [t.cluster, t.revision])).toEqual([['east', 1]]);
  }, 420_000);
});
