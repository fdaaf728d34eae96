import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import type { ChangeJournal, ChangeStatus } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The node operation actuator against a real API server with kwok nodes: a Change cordons a cluster's
 * nodes in observed batches (real seconds), then another uncordons them; the nodes' spec and Gantry's
 * events show each one changed once.
 */
describe('changes of nodes on the test bed', () => {
  let bed: Testbed;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  let east: TestbedCluster;

  const change = (name: string, operation: string) => ({
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Change',
    metadata: { name },
    spec: {
      nodeOperation: { operation },
      targets: { selector: '', clusters: ['east'] },
      plan: {
        batches: [
          { size: '1', bake: '2s' },
          { size: '50%', bake: '1s', repeat: true },
        ],
        maxConcurrent: 2,
      },
    },
  });
  const status = async (name: string) =>
    (await api.get(`${BASE}/teams/sre/changes/${name}`)).body.status as ChangeStatus | undefined;
  const unschedulable = async () =>
    ((await east.client.get<any>('/api/v1/nodes')).items as any[]).map(
      (node) => node.spec.unschedulable === true,
    );

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 1, nodes: 4, progress: true });
    [east] = bed.clusters as [TestbedCluster];
    server = await startTestServer({ config: { leaseDurationMs: 3000 } });
    api = client(server.url, server.adminToken);
    expect(
      (await api.post(`${BASE}/teams`, team('sre', [{ user: 'admin', role: 'team-admin' }]))).status,
    ).toBe(201);
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
    await eventually(
      async () => (await api.get('/api/inventory/nodes?team=sre&cluster=east')).body.items as any[],
      (items) => items.length === 4,
      60_000,
    );
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    await bed?.stop();
  });

  it('cordons the nodes in batches with their observation, then uncordons them', async () => {
    expect(await unschedulable()).toEqual([false, false, false, false]);
    expect((await api.post(`${BASE}/teams/sre/changes`, change('cordon-east', 'cordon'))).status).toBe(201);
    // After the first batch, one node only, while it is observed.
    const first = await eventually(
      () => status('cordon-east'),
      (s) => s?.phase === 'Observing' && s.currentBatch === 0,
      30_000,
    );
    expect(first!.batches!.map((batch) => batch.entities.length)).toEqual([1, 2, 1]);
    expect((await unschedulable()).filter(Boolean)).toHaveLength(1);
    const done = await eventually(
      () => status('cordon-east'),
      (s) => s?.phase === 'Succeeded',
      60_000,
    );
    expect(done!.targetCount).toBe(4);
    expect(await unschedulable()).toEqual([true, true, true, true]);
    for (const batch of done!.batches!)
      expect(Date.parse(batch.completedAt!)).toBeGreaterThanOrEqual(Date.parse(batch.observeUntil!));

    const journal = (await api.get('/api/teams/sre/changes/cordon-east/journal')).body as ChangeJournal;
    const applied = journal.items.filter((entry) => entry.type === 'EntityDone').map((entry) => entry.entity);
    expect(applied.sort()).toEqual(done!.batches!.flatMap((batch) => batch.entities).sort());
    const events = (await api.get('/api/events?team=sre&reason=NodeCordoned')).body.items as any[];
    expect(events).toHaveLength(4);
    expect(events.every((event) => event.count === 1 && event.actor === 'system:gantry')).toBe(true);

    expect((await api.post(`${BASE}/teams/sre/changes`, change('uncordon-east', 'uncordon'))).status).toBe(
      201,
    );
    await eventually(
      () => status('uncordon-east'),
      (s) => s?.phase === 'Succeeded',
      60_000,
    );
    expect(await unschedulable()).toEqual([false, false, false, false]);
  });
});
