import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed, type TestbedCluster } from '../../testbed/src/index.ts';
import type { ChangeStatus } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

const TEAM = 'shop';
const APP = `${BASE}/teams/${TEAM}/applications/db`;
const CLUSTERS = ['east', 'north', 'west'] as const;
/** kwok schedules only pods that tolerate its nodes' taints: a revision without it never gets ready. */
const tolerate = { type: 'tolerations', properties: { tolerations: [{ operator: 'Exists' }] } };

const component = (image: string, tolerant = true) => ({
  name: 'db',
  type: 'stateful-service',
  properties: { image, ports: [{ port: 5432 }] },
  traits: [{ type: 'scaler', properties: { replicas: 2 } }, ...(tolerant ? [tolerate] : [])],
});

/**
 * An application's rollout policy on the test bed (ADR 0036): one StatefulSet on three real clusters; a
 * new revision goes out one cluster per wave, each cluster by StatefulSet partition (lowered a pod at a
 * time by the actuator, observed), each wave baked on the server's clock (moved by the test); a revision
 * whose pods cannot run fails its wave and the waves done are rolled back.
 */
describe('application rollouts on the test bed', () => {
  let bed: Testbed;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  /** The server's clock runs ahead of the wall clock by this much: bakes pass without waiting. */
  let offset = 0;

  const cluster = (name: string) => bed.clusters[CLUSTERS.indexOf(name as (typeof CLUSTERS)[number])]!;
  const statefulSet = async (on: TestbedCluster) =>
    JSON.parse(
      await on.kubectl(['get', 'statefulset', 'db', '-n', 'data', '-o', 'json', '--show-managed-fields']),
    );
  /** The revision Gantry last applied to each cluster, read from the clusters themselves. */
  const live = async () =>
    Object.fromEntries(
      await Promise.all(
        CLUSTERS.map(async (name) => [
          name,
          (await statefulSet(cluster(name))).metadata.annotations['app.gantry.dev/revision'],
        ]),
      ),
    );
  const change = async (name: string) =>
    (await api.get(`${BASE}/teams/${TEAM}/changes/${name}`)).body as { status?: ChangeStatus } | undefined;
  /** The change's status once `done` holds; on a timeout, the application's status and the clusters' too. */
  const waitFor = async (name: string, done: (status: ChangeStatus) => boolean, ms = 240_000) => {
    try {
      return await eventually(
        async () => (await change(name))?.status ?? {},
        (status) => done(status),
        ms,
        250,
      );
    } catch (error) {
      const app = (await api.get(APP)).body;
      const sets = await Promise.all(
        CLUSTERS.map(async (name) => [name, (await statefulSet(cluster(name))).status]),
      );
      throw new Error(
        `${(error as Error).message}\napplication: ${JSON.stringify({ metadata: app.metadata, status: app.status })}\nstatefulsets: ${JSON.stringify(sets)}`,
      );
    }
  };
  const edit = async (tolerant: boolean, image: string) => {
    const app = (await api.get(APP)).body;
    expect(
      (await api.put(APP, { ...app, spec: { ...app.spec, components: [component(image, tolerant)] } }))
        .status,
    ).toBe(200);
  };

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 3, nodes: 1, progress: true });
    server = await startTestServer({
      now: () => Date.now() + offset,
      // Leases outlast every move of the clock (about 95 minutes in all): a jump must not depose a holder.
      config: { leaseDurationMs: 4 * 3_600_000, deliveryProgressGraceSeconds: 3, changePollMs: 250 },
    });
    api = client(server.url, server.adminToken);
    expect(
      (await api.post(`${BASE}/teams`, team(TEAM, [{ user: 'admin', role: 'team-admin' }]))).status,
    ).toBe(201);
    for (const [index, name] of CLUSTERS.entries()) {
      expect(
        (
          await api.put(`/api/teams/${TEAM}/secrets/${name}-kubeconfig`, {
            data: { kubeconfig: bed.clusters[index]!.kubeconfig },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await api.post(`${BASE}/teams/${TEAM}/clusters`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'Cluster',
            metadata: { name, labels: { 'topology.kubernetes.io/zone': `zone-${index}` } },
            spec: { kubeconfigSecret: { name: `${name}-kubeconfig` } },
          })
        ).status,
      ).toBe(201);
    }
    expect(
      (
        await api.post(`${BASE}/teams/${TEAM}/applications`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Application',
          metadata: { name: 'db' },
          spec: {
            components: [component('postgres:16.1')],
            topology: { clusters: [...CLUSTERS], namespace: 'data' },
            rollout: {
              plan: {
                batches: [
                  { size: '1', bake: '30m' },
                  { size: '1', bake: '10m', repeat: true },
                ],
              },
              onFailure: 'Rollback',
              partitionStep: 1,
              progressDeadlineSeconds: 600,
            },
          },
        })
      ).status,
    ).toBe(201);
    // The first revision is not held: every cluster gets it at once.
    await eventually(
      async () => (await api.get(APP)).body,
      (app: any) => app?.status?.revision === 1 && app.status.health === 'Healthy',
      300_000,
      250,
    );
  }, 900_000);

  afterAll(async () => {
    await server?.close();
    await bed?.stop();
  });

  it('rolls a new revision out one cluster per wave, by partition within each, baking on the clock', async () => {
    expect(await live()).toEqual({ east: '1', north: '1', west: '1' });
    await edit(true, 'postgres:16.2');
    const first = await waitFor('db-rollout-v2', (s) => s.phase === 'Observing' && s.currentBatch === 0);
    expect(first.batches?.map((batch) => batch.entities)).toEqual([['east/db'], ['north/db'], ['west/db']]);
    expect(await live()).toEqual({ east: '2', north: '1', west: '1' });
    // East rolled by partition: Gantry's rollout manager owns the partition, now back at 0, all pods updated.
    const east = await statefulSet(cluster('east'));
    expect(east.spec.updateStrategy.rollingUpdate.partition).toBe(0);
    expect(east.status.updatedReplicas).toBe(2);
    expect(east.metadata.managedFields.map((field: any) => field.manager)).toContain('gantry-rollout');
    // No partition was touched where the revision has not gone.
    expect((await statefulSet(cluster('north'))).spec.updateStrategy.rollingUpdate?.partition ?? 0).toBe(0);

    // Half an hour of observation passes on the server's clock: the second wave.
    offset += 31 * 60_000;
    await waitFor('db-rollout-v2', (s) => s.phase === 'Observing' && s.currentBatch === 1);
    expect(await live()).toEqual({ east: '2', north: '2', west: '1' });
    offset += 11 * 60_000;
    await waitFor('db-rollout-v2', (s) => s.phase === 'Observing' && s.currentBatch === 2);
    expect(await live()).toEqual({ east: '2', north: '2', west: '2' });
    offset += 11 * 60_000;
    await waitFor('db-rollout-v2', (s) => s.phase === 'Succeeded');
    const app = await eventually(
      async () => (await api.get(APP)).body,
      (body: any) =>
        body.status.revision === 2 &&
        body.metadata.annotations?.['app.gantry.dev/cluster-revisions'] === undefined,
      60_000,
      250,
    );
    expect(app.status.targets.map((target: any) => target.revision)).toEqual([2, 2, 2]);
  }, 900_000);

  it('fails a wave whose pods cannot run and rolls the waves done back, the last first', async () => {
    // Revision 3 drops the toleration: its pods never schedule on the kwok nodes.
    await edit(false, 'postgres:16.3');
    await waitFor('db-rollout-v3', (s) => s.phase === 'Progressing' && s.currentBatch === 0, 120_000);
    expect(await eventually(live, (revisions) => revisions.east === '3', 120_000, 250)).toEqual({
      east: '3',
      north: '2',
      west: '2',
    });
    // East is held mid-partition (its pod 1 cannot come up) until the progress deadline passes.
    offset += 601_000;
    const rolledBack = await waitFor(
      'db-rollout-v3',
      (s) => s.phase === 'RollingBack' || s.phase === 'RolledBack',
    );
    expect(rolledBack.batches?.[0]?.failed[0]).toMatchObject({ entity: 'east/db' });
    // East is back at revision 2 and healthy: its rollback wave is observed, for 30 minutes of the clock.
    await waitFor('db-rollout-v3', (s) => s.rollback?.batches[0]?.phase === 'Observing');
    offset += 31 * 60_000;
    const done = await waitFor('db-rollout-v3', (s) => s.phase === 'RolledBack');
    expect(done.rollback?.batches.map((batch) => batch.entities)).toEqual([['east/db']]);
    expect(await live()).toEqual({ east: '2', north: '2', west: '2' });
    // The undo released the partition: every pod of east is back at revision 2, and ready.
    const east = await eventually(
      () => statefulSet(cluster('east')),
      (sts: any) => sts.status.readyReplicas === 2 && sts.status.updatedReplicas === 2,
      120_000,
      250,
    );
    expect(east.spec.updateStrategy.rollingUpdate.partition).toBe(0);
    const app = (await api.get(APP)).body;
    expect(app.status).toMatchObject({ revision: 2, latestRevision: 3 });
    expect(app.status.conditions.find((c: any) => c.type === 'Applied')).toMatchObject({
      reason: 'RevisionsPinned',
    });
  }, 900_000);
});
