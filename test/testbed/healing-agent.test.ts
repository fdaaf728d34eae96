import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import type { ChangeStatus, InventoryNode } from '@gantry/model';
import type { HealingRunData } from '@gantry/healing';
import type { StoredHealingRun } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startNodeAgents, type NodeAgents } from '../support/testbed-agents.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * A host whose agent dies, on real parts: kwok nodes of a test-bed cluster in one rack, a real
 * `gantry agent` named after each node. Two agents are SIGKILLed: their hosts go Offline while the API
 * server still calls their nodes Ready → a HealingPolicy over hosts (`!host.online`) with the team's tree
 * `agent-lost` concludes AgentLost → `cordon-drain` of each host's node, as a Change. The rack's
 * DisruptionBudget lets one node out at a time: each node runs a pod guarded by a Kubernetes
 * PodDisruptionBudget that refuses its eviction, so the first drain stays in flight and the second waits
 * on the budget (its node not even cordoned, its run saying so). The PodDisruptionBudget removed, the
 * first drain ends, then the second runs: both nodes drained, one after the other, both runs healed.
 */

const RACK = 'topology.gantry.dev/rack';

describe('self-healing on the test bed: dead agents drain their nodes within the disruption budget', () => {
  let bed: Testbed;
  let east: TestbedCluster;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  let agents: NodeAgents;
  let nodes: string[];

  const runs = async () =>
    (await server.server.store.healing.list({ team: 'sre', limit: 100 })).items as StoredHealingRun[];
  const runOf = async (host: string) => (await runs()).find((run) => run.entity === `Host/east/${host}`);
  const unschedulable = async (node: string) =>
    (await east.client.get<{ spec?: { unschedulable?: boolean } }>(`/api/v1/nodes/${node}`)).spec
      ?.unschedulable === true;
  const drains = async () =>
    (
      (await api.get(`${BASE}/teams/sre/changes`)).body as {
        items: { metadata: { name: string }; spec: any; status?: ChangeStatus }[];
      }
    ).items.filter((c) => c.spec.nodeOperation?.operation === 'drain');
  const blocked = (status: ChangeStatus | undefined) =>
    status?.conditions?.find((c) => c.type === 'Blocked' && c.status === 'True');

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 1, nodes: 4, progress: true });
    [east] = bed.clusters as [TestbedCluster];
    server = await startTestServer({
      config: {
        healingIntervalSeconds: 1,
        agentHeartbeatSeconds: 1,
        hostOfflineAfterSeconds: 3,
        changePollMs: 250,
      },
    });
    api = client(server.url, server.adminToken);
    nodes = (await east.client.get<{ items: { metadata: { name: string } }[] }>('/api/v1/nodes')).items
      .map((n) => n.metadata.name)
      .sort();
    for (const node of nodes)
      await east.client.patch(`/api/v1/nodes/${node}`, { metadata: { labels: { [RACK]: 'r1' } } });

    // A pod on each node, each guarded by one PodDisruptionBudget that allows no eviction.
    await east.client.create('/api/v1/namespaces', { metadata: { name: 'shop' } });
    for (const node of nodes)
      await east.client.create('/apis/apps/v1/namespaces/shop/deployments', {
        metadata: { name: `guarded-${node}` },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'guarded', node } },
          template: {
            metadata: { labels: { app: 'guarded', node } },
            spec: {
              nodeSelector: { 'kubernetes.io/hostname': node },
              containers: [{ name: 'app', image: 'registry.example/app:1' }],
            },
          },
        },
      });
    await east.client.create('/apis/policy/v1/namespaces/shop/poddisruptionbudgets', {
      metadata: { name: 'guarded' },
      spec: { maxUnavailable: 0, selector: { matchLabels: { app: 'guarded' } } },
    });

    expect((await api.post(`${BASE}/teams`, team('sre'))).status).toBe(201);
    expect(
      (await api.put('/api/teams/sre/secrets/east-kubeconfig', { data: { kubeconfig: east.kubeconfig } }))
        .status,
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
    const token = await api.post('/api/teams/sre/join-tokens', { uses: nodes.length });
    expect(token.status).toBe(201);
    agents = startNodeAgents(server.url, token.body.token as string, nodes);
    await eventually(
      async () => (await api.get('/api/teams/sre/hosts')).body.items as { status: string }[],
      (items) => items.length === nodes.length && items.every((host) => host.status === 'Online'),
      60_000,
      250,
    );
    // Every guarded pod runs (kwok), and the inventory has the nodes with their rack.
    await eventually(
      () => east.client.get<any>('/api/v1/namespaces/shop/pods?labelSelector=app%3Dguarded'),
      (pods) =>
        pods.items.length === nodes.length && pods.items.every((p: any) => p.status?.phase === 'Running'),
      60_000,
      250,
    );
    await eventually(
      async () =>
        ((await api.get('/api/inventory/nodes?team=sre&cluster=east')).body as { items: InventoryNode[] })
          .items,
      (items) => items.length === nodes.length && items.every((n) => n.ready && n.labels[RACK] === 'r1'),
      60_000,
      250,
    );

    await create('disruptionbudgets', 'DisruptionBudget', 'rack', {
      entityKind: 'Node',
      domainLabel: RACK,
      maxUnavailable: '1',
    });
    await create('notificationchannels', 'NotificationChannel', 'oncall', {
      type: 'webhook',
      webhook: { url: 'http://127.0.0.1:9/oncall' },
    });
    await create('diagnosistrees', 'DiagnosisTree', 'agent-lost', {
      description: 'A host whose agent is silent while its node looks Ready: nobody can reach it, drain it.',
      subject: 'Host',
      evidence: [
        { name: 'agent', heartbeat: {} },
        { name: 'node', inventory: { object: 'node' } },
      ],
      root: 'silent',
      steps: [
        {
          name: 'silent',
          branches: [
            {
              when: 'evidence.agent.online',
              conclude: { rootCause: 'AgentBack', supporting: ['agent'], action: 'none' },
            },
          ],
          otherwise: {
            conclude: {
              rootCause: 'AgentLost',
              summary: 'the agent is silent: the host cannot be reached or managed; move its pods away',
              supporting: ['agent', 'node'],
              action: 'cordon-drain',
            },
          },
        },
      ],
    });
    await create('healingpolicies', 'HealingPolicy', 'agent-lost', {
      trigger: { condition: { over: 'hosts', condition: '!host.online', for: '0s' } },
      scope: { subject: 'Host' },
      diagnosis: { tree: 'agent-lost' },
      actions: [
        {
          name: 'cordon-drain',
          nodeOperation: { operation: 'drain', drainTimeoutSeconds: 240 },
          timeout: '15m',
        },
        { name: 'page', notify: { channels: ['oncall'], page: true } },
      ],
      // Healing's own caps are wide: here the shared DisruptionBudget is what holds the second drain.
      guardrails: { mode: 'Act', maxInFlight: 10, maxInFlightPerDomain: 10, minHealthyShare: 0 },
      verification: { bake: '0s', condition: 'entity.node.unschedulable' },
      escalation: {
        rungs: [
          { action: 'cordon-drain', timeout: '20m' },
          { action: 'page', timeout: '1m' },
        ],
      },
    });
  }, 900_000);

  afterAll(async () => {
    // A drain still held by the guarded pod would hold the server's close until its timeout.
    await east?.client
      .request('DELETE', '/apis/policy/v1/namespaces/shop/poddisruptionbudgets/guarded')
      .catch(() => undefined);
    agents?.stop();
    await server?.close();
    await bed?.stop();
  });

  it('drains the nodes of killed agents one at a time, as the rack’s budget allows', async () => {
    const dead = nodes.slice(0, 2);
    for (const host of dead) agents.kill(host);
    await eventually(
      async () => (await api.get('/api/teams/sre/hosts')).body.items as { name: string; status: string }[],
      (items) => dead.every((host) => items.find((h) => h.name === host)?.status !== 'Online'),
      30_000,
      250,
    );

    // Both runs act (healing's caps allow it); the change engine lets one drain out, the other waits.
    const [first, second] = await eventually(
      async () => {
        const all = await drains();
        const waits = all.filter((c) => blocked(c.status)?.reason === 'BudgetExhausted');
        return [all.find((c) => !waits.includes(c)), waits[0], all.length] as const;
      },
      ([draining, waiting, count]) => draining !== undefined && waiting !== undefined && count === 2,
      120_000,
      250,
    );
    const nodeOf = (change: typeof first) => String(change!.spec.targets.names[0]).split('/')[1]!;
    const running = nodeOf(first);
    const waiting = nodeOf(second);
    expect([running, waiting].sort()).toEqual(dead);
    expect(blocked(second!.status)?.message).toContain('DisruptionBudget rack');
    // Held for as long as the first drain is in flight: the guarded pod cannot be evicted.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(await unschedulable(running)).toBe(true);
    expect(await unschedulable(waiting)).toBe(false);
    const still = (await drains()).find((c) => c.metadata.name === second!.metadata.name)!;
    expect(blocked(still.status)?.reason).toBe('BudgetExhausted');
    expect(still.status?.batches?.[0]?.applied ?? 0).toBe(0);
    // The waiting run says why it is not done; neither has ended.
    const waitingRun = await eventually(
      () => runOf(waiting),
      (run) => run?.reason === 'HealingActionHeld',
      30_000,
      250,
    );
    expect(waitingRun!.message).toContain('BudgetExhausted');
    expect((await runOf(running))?.phase).toBe('Acting');
    for (const node of nodes.slice(2)) expect(await unschedulable(node)).toBe(false);

    // The PodDisruptionBudget goes: the first drain evicts and ends, then the second takes its turn.
    await east.client.request('DELETE', '/apis/policy/v1/namespaces/shop/poddisruptionbudgets/guarded');
    const healed = await eventually(
      async () => Promise.all(dead.map(runOf)),
      (all) => all.every((run) => run?.phase === 'Healed' || run?.phase === 'Escalated'),
      180_000,
      500,
    );
    for (const run of healed) expect(run, JSON.stringify(run?.data)).toMatchObject({ phase: 'Healed' });
    for (const run of healed) {
      const data = run!.data as unknown as HealingRunData;
      expect(data.diagnosis?.conclusion?.rootCause).toBe('AgentLost');
      expect(data.actions.map((a) => [a.action, a.state])).toEqual([['cordon-drain', 'succeeded']]);
    }
    for (const node of dead) expect(await unschedulable(node)).toBe(true);
    for (const node of nodes.slice(2)) expect(await unschedulable(node)).toBe(false);
    // One after the other: the second ended after the first.
    const done = await drains();
    expect(done).toHaveLength(2);
    const byName = new Map(done.map((c) => [c.metadata.name, c.status!]));
    const firstDone = byName.get(first!.metadata.name)!;
    const secondDone = byName.get(second!.metadata.name)!;
    expect([firstDone.phase, secondDone.phase]).toEqual(['Succeeded', 'Succeeded']);
    expect(Date.parse(secondDone.completedAt!)).toBeGreaterThanOrEqual(Date.parse(firstDone.completedAt!));
    // The guarded pods were evicted from the drained nodes, and from no other.
    const pods = await east.client.get<any>('/api/v1/namespaces/shop/pods?labelSelector=app%3Dguarded');
    const onDead = pods.items.filter(
      (p: any) => dead.includes(p.spec.nodeName) && !p.metadata.deletionTimestamp,
    );
    expect(onDead).toEqual([]);
  }, 300_000);
});
