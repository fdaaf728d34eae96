import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaos, startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import { readState } from '../../testbed/src/state.ts';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** Clusters under management, against real API servers with kwok nodes from the test bed. */
describe('fleet on the test bed', () => {
  let bed: Testbed;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  let east: TestbedCluster;
  let west: TestbedCluster;

  const addCluster = async (
    name: string,
    kubeconfig: string,
    labels: Record<string, string>,
    context?: string,
  ) => {
    expect(
      (await api.put(`/api/teams/sre/secrets/${name}-kubeconfig`, { data: { kubeconfig } })).status,
    ).toBe(200);
    const created = await api.post(`${BASE}/teams/sre/clusters`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name, labels },
      spec: { kubeconfigSecret: { name: `${name}-kubeconfig` }, ...(context ? { context } : {}) },
    });
    expect(created.status).toBe(201);
  };
  const cluster = async (name: string) => (await api.get(`${BASE}/teams/sre/clusters/${name}`)).body;
  const condition = (object: any, type: string) =>
    object.status?.conditions?.find((c: any) => c.type === type);
  const nodes = async (name: string) =>
    (await api.get(`/api/inventory/nodes?team=sre&cluster=${name}`)).body.items as any[];

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 2, nodes: 3, progress: true });
    [east, west] = bed.clusters as [TestbedCluster, TestbedCluster];
    server = await startTestServer({ config: { leaseDurationMs: 3000 } });
    api = client(server.url, server.adminToken);
    expect(
      (await api.post(`${BASE}/teams`, team('sre', [{ user: 'admin', role: 'team-admin' }]))).status,
    ).toBe(201);
    await addCluster('east', east.kubeconfig, { region: east.region, env: 'prod' });
    await addCluster('west', west.kubeconfig, { region: west.region, env: 'staging' });
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    await bed?.stop();
  });

  it('connects both clusters and converges their inventory', async () => {
    for (const name of ['east', 'west']) {
      const ready = await eventually(
        () => cluster(name),
        (c) => condition(c, 'Ready')?.status === 'True',
        60_000,
      );
      expect(condition(ready, 'Connected').message).toContain('v1.36.3');
      expect(ready.status.serverVersion).toBe('v1.36.3');
      expect(ready.status.inventory).toMatchObject({ nodes: 3, readyNodes: 3 });
      const listed = await eventually(
        () => nodes(name),
        (items) => items.length === 3,
      );
      expect(listed[0]).toMatchObject({
        cluster: `sre/${name}`,
        kind: 'Node',
        ready: true,
        unschedulable: false,
      });
      expect(Number(listed[0].allocatable.pods)).toBeGreaterThan(0);
    }
    const namespaces = (await api.get('/api/inventory/namespaces?team=sre&cluster=east')).body.items.map(
      (n: any) => n.name,
    );
    expect(namespaces).toEqual(expect.arrayContaining(['default', 'kube-system']));
  });

  it('follows workloads and pod phases, and keeps Kubernetes events as event records', async () => {
    await east.client.create('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }], tolerations: [{ operator: 'Exists' }] },
        },
      },
    });
    const web = await eventually(
      async () =>
        (await api.get('/api/inventory/workloads?team=sre&cluster=east&kind=Deployment')).body.items.find(
          (w: any) => w.name === 'web',
        ),
      (w) => w?.ready === 4,
      60_000,
    );
    expect(web).toMatchObject({ namespace: 'default', desired: 4, healthy: true, images: ['nginx:1.27'] });
    const pods = await eventually(
      async () => (await api.get('/api/inventory/pods?team=sre&cluster=east&namespace=default')).body.items,
      (items) => items[0]?.Running === 4,
    );
    expect(pods[0]).toMatchObject({ namespace: 'default', Running: 4 });
    const events = await eventually(
      async () => (await api.get('/api/events?team=sre&cluster=east&kind=Deployment&name=web')).body.items,
      (items) => items.length > 0,
    );
    expect(events[0]).toMatchObject({
      source: 'kubernetes',
      cluster: 'sre/east',
      namespace: 'default',
      objectKind: 'Deployment',
      objectName: 'web',
      reason: 'ScalingReplicaSet',
    });
  });

  it('shows a node going NotReady within seconds, with the condition kwok set', async () => {
    const target = (await nodes('west'))[0].name as string;
    const started = Date.now();
    await chaos.makeNodeNotReady(west.client, target, {
      reason: 'KubeletDown',
      message: 'chaos from the fleet test',
    });
    const node = await eventually(
      async () => (await nodes('west')).find((n) => n.name === target),
      (n) => n?.ready === false,
      30_000,
    );
    const ready = node.conditions.find((c: any) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'KubeletDown' });
    expect(Date.now() - started).toBeLessThan(15_000);
    await eventually(
      () => cluster('west'),
      (c) => c.status.inventory.readyNodes === 2,
    );
  });

  it('cordons, uncordons and drains a node through the API, with the drain reported', async () => {
    const podsOn = async (node: string) =>
      JSON.parse(
        await east.kubectl(['get', 'pods', '-A', '-o', 'json', '--field-selector', `spec.nodeName=${node}`]),
      ).items as any[];
    const listed = await nodes('east');
    const busy = (
      await Promise.all(listed.map(async (n) => ({ name: n.name as string, pods: await podsOn(n.name) })))
    ).find((n) => n.pods.length > 0)!;
    expect(busy).toBeDefined();

    const cordoned = await api.post(`/api/teams/sre/clusters/east/nodes/${busy.name}/cordon`);
    expect(cordoned.body).toEqual({ node: busy.name, unschedulable: true });
    await eventually(
      async () => (await nodes('east')).find((n) => n.name === busy.name),
      (n) => n.unschedulable === true,
    );
    await api.post(`/api/teams/sre/clusters/east/nodes/${busy.name}/uncordon`);
    await eventually(
      async () => (await nodes('east')).find((n) => n.name === busy.name),
      (n) => n.unschedulable === false,
    );

    const drained = await api.post(`/api/teams/sre/clusters/east/nodes/${busy.name}/drain`, {
      timeoutSeconds: 30,
    });
    expect(drained.status).toBe(200);
    expect(drained.body.cordoned).toBe(true);
    expect(drained.body.evicted.map((p: any) => p.name).sort()).toEqual(
      busy.pods.map((p) => p.metadata.name).sort(),
    );
    expect(drained.body.timedOut).toBe(false);
    const audit = (await api.get('/api/audit?kind=Node&action=drain')).body.items;
    expect(audit[0]).toMatchObject({ actor: 'admin', team: 'sre', name: `east/${busy.name}` });
    await api.post(`/api/teams/sre/clusters/east/nodes/${busy.name}/uncordon`);
  });

  it('respects a PodDisruptionBudget and reports what it could not evict', async () => {
    await east.client.create('/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web' },
      spec: { maxUnavailable: 0, selector: { matchLabels: { app: 'web' } } },
    });
    // Wait until every web pod is healthy again after the last drain: only then does the budget forbid evictions.
    await eventually(
      async () => JSON.parse(await east.kubectl(['get', 'pdb', 'web', '-o', 'json'])),
      (pdb) =>
        pdb.status?.observedGeneration === 1 &&
        pdb.status.currentHealthy === 4 &&
        pdb.status.disruptionsAllowed === 0,
      60_000,
    );
    const healthy = JSON.parse(
      await east.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json']),
    ).items.filter((p: any) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp);
    const node = healthy[0].spec.nodeName as string;
    const drained = await api.post(`/api/teams/sre/clusters/east/nodes/${node}/drain`, { timeoutSeconds: 2 });
    expect(drained.status).toBe(200);
    expect(drained.body.timedOut).toBe(true);
    expect(drained.body.evicted.filter((p: any) => p.name.startsWith('web-'))).toEqual([]);
    const refused = drained.body.remaining
      .filter((p: any) => p.reason.includes('PodDisruptionBudget'))
      .map((p: any) => p.name);
    expect(refused).toEqual(
      expect.arrayContaining(
        healthy.filter((p: any) => p.spec.nodeName === node).map((p: any) => p.metadata.name),
      ),
    );
    await api.post(`/api/teams/sre/clusters/east/nodes/${node}/uncordon`);
  });

  it('names the cause when credentials are wrong or the server is unreachable', async () => {
    const wrongToken = east.kubeconfig
      .replace(/client-certificate-data: .*/g, '')
      .replace(/client-key-data: .*/g, '')
      .replace(/(user:\s*\n)/, '$1    token: not-a-valid-token\n');
    await addCluster('wrong-credentials', wrongToken, { env: 'test' });
    const unauthorized = await eventually(
      () => cluster('wrong-credentials'),
      (c) => condition(c, 'Connected')?.status === 'False',
      30_000,
    );
    expect(condition(unauthorized, 'Connected').reason).toBe('Unauthorized');
    expect(condition(unauthorized, 'Ready').status).toBe('False');

    const closed = east.kubeconfig.replace(east.server, 'https://127.0.0.1:1');
    await addCluster('unreachable', closed, { env: 'test' });
    const unreachable = await eventually(
      () => cluster('unreachable'),
      (c) => condition(c, 'Connected')?.status === 'False',
      30_000,
    );
    expect(condition(unreachable, 'Connected')).toMatchObject({ reason: 'Unreachable' });
    expect(condition(unreachable, 'Connected').message).toContain('ECONNREFUSED');

    await addCluster('no-such-context', east.kubeconfig, { env: 'test' }, 'missing');
    const badContext = await eventually(
      () => cluster('no-such-context'),
      (c) => condition(c, 'Connected')?.status === 'False',
      30_000,
    );
    expect(condition(badContext, 'Connected')).toMatchObject({ reason: 'KubeconfigInvalid' });
    expect(condition(badContext, 'Connected').message).toContain('no context "missing"');
  });

  it('names the kinds RBAC forbids, and keeps the inventory it may read', async () => {
    // A service account that may read nodes and namespaces, and nothing else Gantry watches.
    await west.kubectl(['create', 'serviceaccount', 'gantry-limited', '-n', 'default']);
    await west.kubectl([
      'create',
      'clusterrole',
      'gantry-limited',
      '--verb=get,list,watch',
      '--resource=nodes,namespaces',
    ]);
    await west.kubectl([
      'create',
      'clusterrolebinding',
      'gantry-limited',
      '--clusterrole=gantry-limited',
      '--serviceaccount=default:gantry-limited',
    ]);
    const token = (
      await west.kubectl(['create', 'token', 'gantry-limited', '-n', 'default', '--duration=1h'])
    ).trim();
    const limited = west.kubeconfig
      .replace(/client-certificate-data: .*/g, '')
      .replace(/client-key-data: .*/g, '')
      .replace(/(user:\s*\n)/, `$1    token: ${token}\n`);
    await addCluster('limited', limited, { env: 'test' });
    // Each kind's watch fails on its own: wait until both refused kinds have reported.
    const refused = (c: any) => {
      const synced = condition(c, 'InventorySynced');
      return (
        synced?.reason === 'WatchFailing' &&
        /Pod: 403/.test(synced.message) &&
        /Deployment: 403/.test(synced.message)
      );
    };
    const forbidden = await eventually(() => cluster('limited'), refused, 60_000);
    expect(condition(forbidden, 'Connected').status).toBe('True');
    const message = condition(forbidden, 'InventorySynced').message as string;
    expect(message).toContain('Pod: 403 Forbidden');
    expect(message).toContain('Deployment: 403 Forbidden');
    expect(message).not.toContain('Node:');
    expect(condition(forbidden, 'Ready')).toMatchObject({ status: 'False', reason: 'WatchFailing' });
    await eventually(
      () => nodes('limited'),
      (items) => items.length >= 3,
    );
  });

  it('reports a cluster that disappears mid-watch while the other keeps flowing', async () => {
    const state = readState(bed.stateDir)!;
    const apiserver = state.clusters
      .find((c) => c.name === east.name)!
      .processes.find((p) => p.name === 'kube-apiserver')!;
    process.kill(apiserver.pid, 'SIGKILL');
    const lost = await eventually(
      () => cluster('east'),
      (c) => condition(c, 'Ready')?.status === 'False',
      60_000,
    );
    expect(['Unreachable', 'WatchFailing']).toContain(condition(lost, 'Ready').reason);
    // West is untouched: a new node there appears in the inventory.
    await west.client.create('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'late-node',
        annotations: { 'kwok.x-k8s.io/node': 'fake' },
        labels: { type: 'kwok' },
      },
    });
    await eventually(
      () => nodes('west'),
      (items) => items.some((n) => n.name === 'late-node'),
      30_000,
    );
    expect((await api.get('/readyz')).status).toBe(200);
  });
});
