import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaos, startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import type { ChangeStatus, ExceptionRecord, InventoryNode, JobRunWithTargets } from '@gantry/model';
import type { HealingRunData } from '@gantry/healing';
import type { StoredHealingRun } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  kubeAccessForJobs,
  startNodeAgents,
  type KubeAccess,
  type NodeAgents,
} from '../support/testbed-agents.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Self-healing of a node whose kubelet is down, on real parts: kwok nodes of a test-bed cluster, a real
 * `gantry agent` named after each node (its host), the server's own alert rule, correlation and healing.
 *
 * - kwok's chaos stage makes a node NotReady → Gantry's AlertRule fires → correlation opens an exception →
 *   the HealingPolicy matches it → the built-in `node-not-ready` tree finds the host's agent online and
 *   runs the read-only JobTemplate `check-kubelet` on it (a real script on the agent, reading the node
 *   through kubectl: the chaos label is "the kubelet is down") → KubeletDown → `restart-kubelet` as a
 *   Change with `jobRun` on the host → its script lifts the chaos label → kwok makes the node Ready → the
 *   run verifies `entity.ready` → Healed, and the exception is marked mitigated by healing, then resolves.
 * - Stop-the-line with the same remediation in flight: the Change's job is running on the host when the
 *   line stops; the job ends there, but the Change halts at its next step (it does not take the job's end
 *   in) and the run says its action is held by the line; released, both go on and the node is healed.
 */

const CHAOS_LABEL = chaos.labels.nodeNotReady;

describe('self-healing on the test bed: a kubelet down is restarted by a job on its host', () => {
  let bed: Testbed;
  let east: TestbedCluster;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  let agents: NodeAgents;
  let kube: KubeAccess;
  let nodes: string[];

  const runs = async () =>
    (await server.server.store.healing.list({ team: 'sre', limit: 100 })).items as StoredHealingRun[];
  const runOf = async (node: string) => (await runs()).find((run) => run.entity === `Node/east/${node}`);
  const nodeReady = async (node: string) =>
    (
      (await api.get('/api/inventory/nodes?team=sre&cluster=east')).body as { items: InventoryNode[] }
    ).items.find((n) => n.name === node)?.ready;
  const chaosLabel = async (node: string) =>
    (await east.client.get<{ metadata: { labels?: Record<string, string> } }>(`/api/v1/nodes/${node}`))
      .metadata.labels?.[CHAOS_LABEL];
  const changes = async () =>
    (
      (await api.get(`${BASE}/teams/sre/changes`)).body as {
        items: {
          metadata: { name: string; labels?: Record<string, string> };
          spec: any;
          status?: ChangeStatus;
        }[];
      }
    ).items;
  const exceptionOf = async (node: string) =>
    (
      (await api.get(`/api/teams/sre/exceptions?entity=Node/${node}&cluster=east`)).body as {
        items: ExceptionRecord[];
      }
    ).items;
  /** A hold file: while it exists, `restart-kubelet` on that host waits (a remediation kept in flight). */
  const hold = (node: string) => join(kube.dir, `hold-${node}`);

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 1, nodes: 3, progress: true });
    [east] = bed.clusters as [TestbedCluster];
    server = await startTestServer({
      config: { healingIntervalSeconds: 1, healthGroupWait: '1s', changePollMs: 250 },
    });
    api = client(server.url, server.adminToken);
    kube = kubeAccessForJobs(bed, east);
    nodes = (await east.client.get<{ items: { metadata: { name: string } }[] }>('/api/v1/nodes')).items
      .map((n) => n.metadata.name)
      .sort();

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
    await eventually(
      async () =>
        ((await api.get('/api/inventory/nodes?team=sre&cluster=east')).body as { items: InventoryNode[] })
          .items,
      (items) => items.length === nodes.length && items.every((n) => n.ready),
      60_000,
      250,
    );

    // "The kubelet" of a kwok node is its chaos label: active when the label is absent.
    await create('jobtemplates', 'JobTemplate', 'check-kubelet', {
      parameters: { type: 'object', properties: { node: { type: 'string' } }, required: ['node'] },
      script: {
        interpreter: 'sh',
        source: [
          'set -e',
          `down=$(${kube.kubectl} get node "$GANTRY_PARAM_NODE" -o jsonpath='{.metadata.labels.${CHAOS_LABEL.replaceAll('.', '\\.')}}')`,
          'if [ "$down" = true ]; then echo "kubelet.service: inactive (dead)"; exit 3; fi',
          'echo "kubelet.service: active (running)"',
        ].join('\n'),
      },
      timeoutSeconds: 120,
    });
    await create('jobtemplates', 'JobTemplate', 'restart-kubelet', {
      script: {
        interpreter: 'sh',
        source: [
          'set -e',
          `while [ -e "${kube.dir}/hold-$GANTRY_TARGET" ]; do sleep 0.2; done`,
          `${kube.kubectl} label node "$GANTRY_TARGET" ${CHAOS_LABEL}-`,
          'echo "kubelet.service restarted"',
        ].join('\n'),
      },
      timeoutSeconds: 300,
    });
    await create('notificationchannels', 'NotificationChannel', 'oncall', {
      type: 'webhook',
      webhook: { url: 'http://127.0.0.1:9/oncall' },
    });
    // Gantry's own rule over the inventory; it keeps firing a little after the node is back, so that the
    // exception is still open when healing verifies, and it resolves after.
    await create('alertrules', 'AlertRule', 'node-not-ready', {
      cel: { over: 'nodes', condition: '!node.ready' },
      interval: '5s',
      keepFiringFor: '30s',
      severity: 'critical',
    });
    await create('healingpolicies', 'HealingPolicy', 'kubelet', {
      trigger: { exceptions: { match: 'exception.severity == "critical"' } },
      scope: { subject: 'Node' },
      diagnosis: { tree: 'builtin/node-not-ready' },
      actions: [
        { name: 'restart-kubelet', jobRun: { template: 'restart-kubelet' }, timeout: '10m' },
        { name: 'cordon-drain', nodeOperation: { operation: 'drain' }, timeout: '10m' },
        { name: 'page', notify: { channels: ['oncall'], page: true } },
      ],
      guardrails: { mode: 'Act', maxInFlight: 2, maxInFlightPerDomain: 2, minHealthyShare: 0 },
      // kwok needs a moment after the label is lifted, and the inventory's watch another.
      verification: { bake: '15s', condition: 'entity.ready' },
      escalation: {
        rungs: [
          { action: 'restart-kubelet', timeout: '10m' },
          { action: 'page', timeout: '1m' },
        ],
      },
    });
  }, 900_000);

  afterAll(async () => {
    if (api) await api.post('/api/teams/sre/stop-the-line/release', { reason: 'test over' });
    agents?.stop();
    await server?.close();
    kube?.remove();
    await bed?.stop();
  });

  it('finds the host online and its kubelet down, restarts it by a job on the host, and closes the exception healed', async () => {
    const node = nodes[0]!;
    await chaos.makeNodeNotReady(east.client, node, {
      reason: 'KubeletNotReady',
      message: 'kubelet stopped',
    });
    await expect.poll(() => nodeReady(node), { timeout: 60_000, interval: 250 }).toBe(false);

    const healed = await eventually(
      () => runOf(node),
      (run) => run?.phase === 'Healed' || run?.phase === 'Escalated',
      180_000,
      500,
    );
    expect(healed, JSON.stringify(healed?.data)).toMatchObject({ phase: 'Healed', triggerKind: 'exception' });
    const data = healed!.data as unknown as HealingRunData;
    // The tree's path: not ready → the host's agent online → the diagnostic job says the kubelet is down.
    expect(data.diagnosis?.path.map((step) => [step.step, step.branch])).toEqual([
      ['still-not-ready', 'otherwise'],
      ['host-alive', 'otherwise'],
      ['kubelet', 0],
    ]);
    expect(data.diagnosis?.conclusion?.rootCause).toBe('KubeletDown');
    const evidence = Object.fromEntries(data.diagnosis!.evidence.map((e) => [e.name, e]));
    expect(evidence['agent']).toMatchObject({ ok: true, value: { found: true, online: true } });
    expect(evidence['kubelet']).toMatchObject({ ok: true, value: { exitCode: 3, state: 'Failed' } });
    expect(String((evidence['kubelet']!.value as { output: string }).output)).toContain('inactive (dead)');
    expect(data.actions.map((a) => [a.action, a.state])).toEqual([['restart-kubelet', 'succeeded']]);
    expect(data.verifications).toMatchObject([{ healed: true }]);

    // The restart was a Change with jobRun on the node's host, run by the change engine on the real agent.
    const [change] = await changes();
    expect(change).toMatchObject({
      spec: { jobRun: { template: 'restart-kubelet' }, targets: { names: [node] } },
      status: { phase: 'Succeeded' },
    });
    const jobRuns = (await api.get('/api/jobs/runs?team=sre&limit=100')).body.items as JobRunWithTargets[];
    expect(jobRuns.map((r) => [r.template, r.targets.hosts, r.state]).sort()).toEqual([
      ['check-kubelet', [node], 'Failed'],
      ['restart-kubelet', [node], 'Succeeded'],
    ]);
    expect(await chaosLabel(node)).toBeUndefined();
    expect(await nodeReady(node)).toBe(true);

    // The exception: marked mitigated by healing (with the run's verdict), then resolved once the rule
    // stops firing; closed without a person.
    const [exception] = await exceptionOf(node);
    expect(exception).toBeDefined();
    expect(exception!.mitigatedAt).toBeDefined();
    const closed = await eventually(
      async () => (await api.get(`/api/teams/sre/exceptions/${exception!.id}`)).body as ExceptionRecord,
      (record) => record.state === 'resolved',
      120_000,
      500,
    );
    expect(Date.parse(closed.mitigatedAt!)).toBeLessThanOrEqual(Date.parse(closed.resolvedAt!));
    const timeline = (await api.get(`/api/teams/sre/exceptions/${exception!.id}/timeline`)).body as {
      entries: { type: string; reason?: string; toState?: string; event?: { reason: string } }[];
    };
    const mitigated = timeline.entries.find(
      (entry) => entry.type === 'state-changed' && entry.toState === 'mitigated',
    );
    expect(mitigated?.reason).toContain('healed automatically by kubelet');
    // "Why did it do that?": the run's transitions are on the exception's timeline, as events of its node.
    const reasons = timeline.entries.map((entry) => entry.event?.reason).filter(Boolean);
    expect(reasons).toEqual(
      expect.arrayContaining(['DiagnosisConcluded', 'HealingActionStarted', 'HealingVerified']),
    );
  }, 300_000);

  it('stop-the-line halts the remediation in flight at its next step, and the run says so', async () => {
    const node = nodes[1]!;
    writeFileSync(hold(node), '');
    await chaos.makeNodeNotReady(east.client, node, {
      reason: 'KubeletNotReady',
      message: 'kubelet stopped',
    });
    // The remediation in flight: its Change has started the job on the host, which waits on the hold.
    const inFlight = await eventually(
      async () => (await changes()).find((c) => c.spec.targets.names?.includes(node)),
      (c) => c?.status?.batches?.[0]?.phase === 'Applying',
      180_000,
      250,
    );
    const name = inFlight!.metadata.name;
    const stopped = await api.post('/api/teams/sre/stop-the-line', { reason: 'incident INC-42: freeze' });
    expect(stopped.status).toBe(201);
    rmSync(hold(node));
    // The job ends on the host (the kubelet is back: the node turns Ready) ...
    await eventually(
      async () =>
        ((await api.get('/api/jobs/runs?team=sre&limit=100')).body.items as JobRunWithTargets[]).find(
          (r) => r.template === 'restart-kubelet' && r.targets.hosts?.[0] === node,
        ),
      (r) => r?.state === 'Succeeded',
      60_000,
      250,
    );
    // ... but the Change halts where it was: it waits on the line and takes nothing more in.
    const halted = await eventually(
      async () => (await api.get(`${BASE}/teams/sre/changes/${name}`)).body.status as ChangeStatus,
      (status) => status.phase === 'Waiting',
      30_000,
      250,
    );
    expect(halted.conditions?.find((c) => c.type === 'Blocked')).toMatchObject({
      status: 'True',
      reason: 'LineStopped',
    });
    // The run reports its action held by the line, with who stopped it and why.
    const held = await eventually(
      () => runOf(node),
      (run) => run?.reason === 'HealingActionHeld',
      30_000,
      250,
    );
    expect(held).toMatchObject({ phase: 'Acting' });
    expect(held!.message).toContain('LineStopped');
    expect(held!.message).toContain('INC-42');
    // Held for as long as the line is stopped: the engine polls every 250 ms, healing every second.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const still = (await api.get(`${BASE}/teams/sre/changes/${name}`)).body.status as ChangeStatus;
    expect(still.phase).toBe('Waiting');
    expect(still.batches?.[0]).toMatchObject({ phase: 'Applying', applied: 0 });
    expect((await runOf(node))?.phase).toBe('Acting');
    expect(existsSync(hold(node))).toBe(false);

    // Released: the Change takes the job's end in, the run verifies the node and ends healed.
    expect((await api.post('/api/teams/sre/stop-the-line/release', { reason: 'incident over' })).status).toBe(
      200,
    );
    const healed = await eventually(
      () => runOf(node),
      (run) => run?.phase === 'Healed' || run?.phase === 'Escalated',
      120_000,
      500,
    );
    expect(healed?.phase).toBe('Healed');
    expect((await api.get(`${BASE}/teams/sre/changes/${name}`)).body.status.phase).toBe('Succeeded');
    const data = healed!.data as unknown as HealingRunData;
    // Held, then done as soon as the line let the Change take the job's end in.
    expect(data.decisions.map((d) => d.reason).slice(2)).toEqual([
      'HealingActionStarted',
      'HealingActionHeld',
      'HealingActionSucceeded',
      'HealingVerified',
    ]);
    expect(data.actions).toMatchObject([{ action: 'restart-kubelet', state: 'succeeded' }]);
    expect(data.actions[0]!.reason).toBeUndefined();
  }, 300_000);
});
