import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaos, startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import type { InventoryNode } from '@gantry/model';
import type { HealingRunData } from '@gantry/healing';
import type { StoredHealingRun } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Self-healing closed on real parts: kwok nodes of a test-bed cluster in two racks; a HealingPolicy on the
 * lasting condition "node not Ready and still schedulable".
 *
 * - One node of rack r1 goes NotReady (kwok's chaos stage): the fleet inventory sees it through Gantry's
 *   watch → the healing controller matches it → the built-in `node-not-ready` tree finds no agent for the
 *   host (HostDown) → its action, drain, is submitted as a Change → the change engine drains the node on
 *   the cluster (cordoned through the real API server) → the run verifies the node unschedulable: Healed.
 * - Three of rack r2's five nodes go NotReady while the policy is suspended (maintenance); resumed, it
 *   finds the rack below its minimum healthy share and freezes instead — no Change, no node touched, one
 *   page to the on-call channel for the rack. (Failing one after the other under a live policy with
 *   `for: 0s`, the first node is drained before the others are down: the policy's `for` is what gives a
 *   rack's failure time to show whole, and kwok's stage does not date the transition for it.)
 */

const RACK = 'topology.gantry.dev/rack';

describe('self-healing on the test bed: a node down is drained, half a rack down is left to a person', () => {
  let bed: Testbed;
  let east: TestbedCluster;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  let receiver: WebhookReceiver;
  let rackR1: string[];
  let rackR2: string[];

  const runs = async () =>
    (await server.server.store.healing.list({ team: 'sre', limit: 100 })).items as StoredHealingRun[];
  const runOf = async (node: string) => (await runs()).find((run) => run.entity === `Node/east/${node}`);
  const unschedulable = async (node: string) =>
    (await east.client.get<{ spec?: { unschedulable?: boolean } }>(`/api/v1/nodes/${node}`)).spec
      ?.unschedulable === true;
  const inventoryNotReady = async () =>
    ((await api.get('/api/inventory/nodes?team=sre&cluster=east')).body as { items: InventoryNode[] }).items
      .filter((n) => !n.ready)
      .map((n) => n.name)
      .sort();

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 1, nodes: 10, progress: true });
    [east] = bed.clusters as [TestbedCluster];
    receiver = await startWebhookReceiver();
    server = await startTestServer({ config: { healingIntervalSeconds: 1 } });
    api = client(server.url, server.adminToken);

    const names = (await east.client.get<{ items: { metadata: { name: string } }[] }>('/api/v1/nodes')).items
      .map((n) => n.metadata.name)
      .sort();
    expect(names).toHaveLength(10);
    rackR1 = names.slice(0, 5);
    rackR2 = names.slice(5);
    for (const [rack, members] of [
      ['r1', rackR1],
      ['r2', rackR2],
    ] as const)
      for (const node of members)
        await east.client.patch(`/api/v1/nodes/${node}`, { metadata: { labels: { [RACK]: rack } } });

    expect((await api.post(`${BASE}/teams`, team('sre'))).status).toBe(201);
    expect(
      (
        await api.put('/api/teams/sre/secrets/east-kubeconfig', {
          data: { kubeconfig: east.kubeconfig },
        })
      ).status,
    ).toBe(200);
    const create = async (plural: string, kind: string, name: string, spec: unknown) => {
      const created = await api.post(`${BASE}/teams/sre/${plural}`, {
        apiVersion: 'gantry.dev/v1alpha1',
        kind,
        metadata: { name },
        spec,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    };
    await create('clusters', 'Cluster', 'east', { kubeconfigSecret: { name: 'east-kubeconfig' } });
    await create('notificationchannels', 'NotificationChannel', 'oncall', {
      type: 'webhook',
      webhook: { url: `${receiver.url}/oncall` },
    });
    await eventually(
      async () =>
        ((await api.get('/api/inventory/nodes?team=sre&cluster=east')).body as { items: InventoryNode[] })
          .items,
      (items) => items.length === 10 && items.every((n) => n.ready && n.labels[RACK] !== undefined),
      60_000,
      250,
    );
    await create('healingpolicies', 'HealingPolicy', 'node-down', {
      trigger: {
        // kwok's chaos stage dates the Ready transition at the node's creation, so a `for` would not count
        // from the failure here: the condition acts at once.
        condition: { over: 'nodes', condition: '!node.ready && !node.unschedulable', for: '0s' },
      },
      scope: { subject: 'Node' },
      diagnosis: { tree: 'builtin/node-not-ready' },
      actions: [
        { name: 'restart-kubelet', jobRun: { template: 'restart-kubelet' }, timeout: '10m' },
        { name: 'cordon-drain', nodeOperation: { operation: 'drain' }, timeout: '10m' },
        { name: 'page', notify: { channels: ['oncall'], page: true } },
      ],
      guardrails: { mode: 'Act', maxInFlight: 2, maxInFlightPerDomain: 1, minHealthyShare: 0.6 },
      verification: { bake: '0s', condition: 'entity.unschedulable' },
      escalation: {
        rungs: [
          { action: 'cordon-drain', timeout: '10m' },
          { action: 'page', timeout: '1m' },
        ],
      },
    });
  }, 900_000);

  afterAll(async () => {
    await server?.close();
    await receiver?.close();
    await bed?.stop();
  });

  it('drains a node that went down, through a Change on the real cluster, and verifies it', async () => {
    const down = rackR1[0]!;
    await chaos.makeNodeNotReady(east.client, down, { reason: 'PowerLost', message: 'PSU failed' });
    await expect.poll(inventoryNotReady, { timeout: 60_000, interval: 250 }).toEqual([down]);

    const healed = await eventually(
      () => runOf(down),
      (run) => run?.phase === 'Healed',
      120_000,
      500,
    );
    const data = healed!.data as unknown as HealingRunData;
    expect(data.diagnosis?.conclusion?.rootCause).toBe('HostDown');
    expect(data.actions.map((a) => a.action)).toEqual(['cordon-drain']);
    // The action was a Change, run by the change engine like any other, and it changed the real node.
    const changes = (await api.get(`${BASE}/teams/sre/changes`)).body as {
      items: {
        metadata: { name: string };
        spec: { nodeOperation?: { operation: string } };
        status?: { phase?: string };
      }[];
    };
    expect(changes.items).toHaveLength(1);
    expect(changes.items[0]).toMatchObject({
      spec: { nodeOperation: { operation: 'drain' } },
      status: { phase: 'Succeeded' },
    });
    expect(await unschedulable(down)).toBe(true);
    for (const other of [...rackR1.slice(1), ...rackR2]) expect(await unschedulable(other)).toBe(false);
  }, 300_000);

  it('freezes instead of acting when too much of a rack is down, and pages a person once', async () => {
    const suspend = async (suspended: boolean) => {
      const path = `${BASE}/teams/sre/healingpolicies/node-down`;
      const policy = (await api.get(path)).body as { spec: Record<string, unknown> };
      const put = await api.put(path, { ...policy, spec: { ...policy.spec, suspend: suspended } });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
    };
    await suspend(true);
    const down = rackR2.slice(0, 3);
    for (const node of down)
      await chaos.makeNodeNotReady(east.client, node, { reason: 'PowerLost', message: 'rack r2 PDU' });
    await expect
      .poll(inventoryNotReady, { timeout: 60_000, interval: 250 })
      .toEqual([rackR1[0]!, ...down].sort());
    expect((await runs()).filter((run) => run.domain === 'r2')).toEqual([]);
    await suspend(false);

    const frozen = await eventually(
      async () => Promise.all(down.map(runOf)),
      (all) => all.every((run) => run?.phase === 'Escalated'),
      120_000,
      500,
    );
    for (const run of frozen) expect(run).toMatchObject({ reason: 'DomainUnhealthy' });
    // Nothing touched: no new Change, no node of r2 cordoned.
    expect(((await api.get(`${BASE}/teams/sre/changes`)).body as { items: unknown[] }).items).toHaveLength(1);
    for (const node of rackR2) expect(await unschedulable(node)).toBe(false);
    // One page for the rack (the freezes share its key), to the on-call channel.
    await expect.poll(() => receiver.received.filter((r) => r.path === '/oncall').length).toBeGreaterThan(0);
    const pages = receiver.received.filter((r) => r.path === '/oncall');
    expect(pages).toHaveLength(1);
    expect(JSON.stringify(pages[0]!.message)).toContain('r2');
  }, 300_000);
});
