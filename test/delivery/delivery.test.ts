import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaos, startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import { Cli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

// One scenario, in order, against two real clusters of the test bed: an application delivered with a
// per-cluster override, refused trait conflicts, prune, rollback, health following kwok's failures, diff,
// an unreachable third cluster, and delete.

const APP = `${BASE}/teams/shop/applications`;
/** kwok schedules only pods that tolerate its nodes' taints. */
const tolerate = { type: 'tolerations', properties: { tolerations: [{ operator: 'Exists' }] } };

function shop(
  overrides: { workerStorage?: boolean; withWorker?: boolean; apiTraits?: any[]; image?: string } = {},
): any {
  const components: any[] = [
    {
      name: 'api',
      type: 'webservice',
      properties: { image: overrides.image ?? 'nginx:1.27', ports: [{ port: 80 }] },
      traits: [{ type: 'scaler', properties: { replicas: 2 } }, tolerate, ...(overrides.apiTraits ?? [])],
    },
  ];
  if (overrides.withWorker !== false) {
    components.push({
      name: 'worker',
      type: 'worker',
      properties: { image: 'busybox:1.36', cmd: ['sleep', 'infinity'] },
      dependsOn: ['api'],
      traits: [
        tolerate,
        ...(overrides.workerStorage === false
          ? []
          : [
              {
                type: 'storage',
                properties: { pvc: [{ name: 'worker-data', mountPath: '/data', size: '1Gi' }] },
              },
            ]),
      ],
    });
  }
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'shop' },
    spec: {
      components,
      topology: {
        clusterSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] },
        namespace: 'shop',
      },
      overrides: [
        {
          clusters: ['west'],
          components: [{ name: 'api', traits: [{ type: 'scaler', properties: { replicas: 1 } }] }],
        },
      ],
    },
  };
}

describe('application delivery on the test bed', () => {
  let bed: Testbed;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  let east: TestbedCluster;
  let west: TestbedCluster;

  const addCluster = async (name: string, kubeconfig: string, labels: Record<string, string>) => {
    expect(
      (await api.put(`/api/teams/shop/secrets/${name}-kubeconfig`, { data: { kubeconfig } })).status,
    ).toBe(200);
    const created = await api.post(`${BASE}/teams/shop/clusters`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name, labels },
      spec: { kubeconfigSecret: { name: `${name}-kubeconfig` } },
    });
    expect(created.status).toBe(201);
  };
  const app = async () => (await api.get(`${APP}/shop`)).body;
  const condition = (object: any, type: string) =>
    object?.status?.conditions?.find((c: any) => c.type === type);
  const cell = (object: any, component: string, cluster: string) =>
    object?.status?.components?.find((c: any) => c.name === component && c.cluster === cluster);
  const kube = async (cluster: TestbedCluster, path: string) => {
    const response = await cluster.client.request<any>('GET', path);
    return response.status === 200 ? response.body : undefined;
  };
  const deployment = (cluster: TestbedCluster, name: string) =>
    kube(cluster, `/apis/apps/v1/namespaces/shop/deployments/${name}`);
  /** Waits until the application is Ready at `revision` (it may pass through other states on the way). */
  const readyAt = (revision: number) =>
    eventually(
      app,
      (a) =>
        condition(a, 'Ready')?.status === 'True' &&
        a.status.revision === revision &&
        a.metadata.generation === a.status.observedGeneration,
      120_000,
      250,
    );

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 2, nodes: 2, progress: true });
    [east, west] = bed.clusters as [TestbedCluster, TestbedCluster];
    server = await startTestServer({
      config: {
        leaseDurationMs: 3000,
        helmPath: bed.binaries.helm,
        helmChartDirs: fileURLToPath(new URL('../fixtures/charts', import.meta.url)),
        deliveryProgressGraceSeconds: 3,
      },
    });
    api = client(server.url, server.adminToken);
    expect(
      (await api.post(`${BASE}/teams`, team('shop', [{ user: 'admin', role: 'team-admin' }]))).status,
    ).toBe(201);
    await addCluster('east', east.kubeconfig, { env: 'prod' });
    await addCluster('west', west.kubeconfig, { env: 'staging' });
    for (const name of ['east', 'west']) {
      await eventually(
        async () => (await api.get(`${BASE}/teams/shop/clusters/${name}`)).body,
        (c) => condition(c, 'Connected')?.status === 'True',
        60_000,
      );
    }
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    await bed?.stop();
  });

  it('delivers the application to both clusters, with the override on west, and reports a healthy matrix', async () => {
    expect((await api.post(APP, shop())).status).toBe(201);
    const ready = await readyAt(1);
    expect(ready.status.health).toBe('Healthy');
    expect(ready.status.targets.map((t: any) => [t.cluster, t.namespace, t.phase])).toEqual([
      ['east', 'shop', 'Applied'],
      ['west', 'shop', 'Applied'],
    ]);
    for (const component of ['api', 'worker'])
      for (const cluster of ['east', 'west']) expect(cell(ready, component, cluster)?.health).toBe('Healthy');

    const eastApi = await deployment(east, 'api');
    const westApi = await deployment(west, 'api');
    expect(eastApi.spec.replicas).toBe(2);
    expect(westApi.spec.replicas).toBe(1);
    expect(eastApi.metadata.labels).toMatchObject({
      'app.gantry.dev/name': 'shop',
      'app.gantry.dev/team': 'shop',
      'app.gantry.dev/component': 'api',
    });
    expect(eastApi.metadata.managedFields.map((f: any) => f.manager)).toContain('gantry');
    expect(eastApi.spec.template.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect((await kube(east, '/api/v1/namespaces/shop/services/api'))?.spec.ports[0].port).toBe(80);
    expect(await kube(west, '/api/v1/namespaces/shop/persistentvolumeclaims/worker-data')).toBeDefined();

    const revisions = (
      await api.get(`${BASE}/teams/shop/applicationrevisions?labelSelector=app.gantry.dev/name%3Dshop`)
    ).body.items;
    expect(revisions.map((r: any) => [r.metadata.name, r.spec.revision, r.spec.cause])).toEqual([
      ['shop-v1', 1, 'created'],
    ]);
    expect(Object.keys(revisions[0].spec.definitions.components).sort()).toEqual(['webservice', 'worker']);
    expect(Object.keys(revisions[0].spec.definitions.traits).sort()).toEqual([
      'scaler',
      'storage',
      'tolerations',
    ]);
  });

  it('refuses conflicting, duplicate and misplaced traits together, and nothing reaches a cluster', async () => {
    const bad = shop({
      withWorker: false,
      apiTraits: [
        { type: 'hpa', properties: { min: 1, max: 3 } },
        { type: 'scaler', properties: { replicas: 'three' } },
      ],
    });
    bad.metadata.name = 'broken';
    bad.spec.components.push({
      name: 'nightly',
      type: 'cron-job',
      properties: { schedule: '0 1 * * *', image: 'busybox' },
      traits: [{ type: 'expose', properties: { ports: [{ port: 80 }] } }],
    });
    const refused = await api.post(APP, bad);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('GANTRY_E_TRAIT_CHECK');
    const paths = refused.body.details.map((d: any) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/spec/components/0/traits/2/type',
        '/spec/components/0/traits/3/type',
        '/spec/components/1/traits/0/type',
      ]),
    );
    expect(
      refused.body.details.find((d: any) => d.path === '/spec/components/0/traits/2/type').message,
    ).toMatch(/conflicts with trait scaler/);
    expect(
      refused.body.details.find((d: any) => d.path === '/spec/components/0/traits/3/type').message,
    ).toMatch(/attached twice/);
    expect((await api.get(`${APP}/broken`)).status).toBe(404);
    // The dry run says the same.
    expect((await api.post(`${APP}?dryRun=All`, bad)).status).toBe(422);
    expect(await kube(east, '/apis/batch/v1/namespaces/shop/cronjobs/nightly')).toBeUndefined();
  });

  it('prunes what the new revision no longer renders, but never the PVC', async () => {
    const current = await app();
    const next = shop({ withWorker: false });
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    expect((await api.put(`${APP}/shop`, next)).status).toBe(200);
    await readyAt(2);
    for (const cluster of [east, west]) {
      await eventually(
        () => deployment(cluster, 'worker'),
        (d) => d === undefined || d.metadata.deletionTimestamp !== undefined,
        30_000,
      );
      expect(await deployment(cluster, 'api')).toBeDefined();
      expect(await kube(cluster, '/api/v1/namespaces/shop/persistentvolumeclaims/worker-data')).toBeDefined();
    }
    expect((await app()).status.components.map((c: any) => c.name)).not.toContain('worker');
  });

  it('rolls back to revision 1 as a new revision', async () => {
    const rolled = await api.post('/api/teams/shop/applications/shop/rollback', { revision: 1 });
    expect(rolled.status).toBe(200);
    await readyAt(3);
    const revisions = (
      await api.get(`${BASE}/teams/shop/applicationrevisions?labelSelector=app.gantry.dev/name%3Dshop`)
    ).body.items;
    expect(revisions.map((r: any) => [r.spec.revision, r.spec.cause])).toEqual([
      [1, 'created'],
      [2, 'updated'],
      [3, 'rollback to revision 1'],
    ]);
    expect(revisions[2].spec.hash).toBe(revisions[0].spec.hash);
    expect((await deployment(east, 'worker'))?.metadata.labels['app.gantry.dev/component']).toBe('worker');
    expect((await api.post('/api/teams/shop/applications/shop/rollback', { revision: 9 })).status).toBe(404);
  });

  it('shows per-cluster object diffs before anything is applied', async () => {
    const proposed = shop({ image: 'nginx:1.28' }).spec;
    const diff = await api.post('/api/teams/shop/applications/shop/diff', { spec: proposed });
    expect(diff.status).toBe(200);
    for (const target of diff.body.targets) {
      const apiDeployment = target.objects.find((o: any) => o.kind === 'Deployment' && o.name === 'api');
      expect(apiDeployment.action).toBe('update');
      expect(apiDeployment.diff.map((d: any) => d.path)).toContain('/spec/template/spec/containers');
      expect(target.objects.find((o: any) => o.kind === 'Service').action).toBe('unchanged');
    }
    // Nothing changed.
    expect((await deployment(east, 'api')).spec.template.spec.containers[0].image).toBe('nginx:1.27');
  });

  it('reports the component unhealthy while kwok fails its pods, and healthy again after', async () => {
    const current = await app();
    const failing = shop({
      apiTraits: [{ type: 'labels', properties: { labels: { [chaos.labels.podContainerFailed]: 'true' } } }],
    });
    failing.metadata.resourceVersion = current.metadata.resourceVersion;
    expect((await api.put(`${APP}/shop`, failing)).status).toBe(200);
    const sick = await eventually(app, (a) => cell(a, 'api', 'east')?.health === 'Unhealthy', 90_000, 250);
    expect(sick.status.health).toBe('Unhealthy');
    expect(condition(sick, 'Healthy').status).toBe('False');
    expect(condition(sick, 'Healthy').message).toMatch(/api@east/);

    const healed = shop();
    healed.metadata.resourceVersion = (await app()).metadata.resourceVersion;
    expect((await api.put(`${APP}/shop`, healed)).status).toBe(200);
    const back = await eventually(
      app,
      (a) => a.status.health === 'Healthy' && a.metadata.generation === a.status.observedGeneration,
      120_000,
      250,
    );
    expect(cell(back, 'api', 'east').health).toBe('Healthy');
  });

  it("counts a trait output's health: a PodDisruptionBudget that can never be met makes the component unhealthy", async () => {
    const strict = shop({ apiTraits: [{ type: 'pdb', properties: { minAvailable: 3 } }] });
    strict.metadata.resourceVersion = (await app()).metadata.resourceVersion;
    expect((await api.put(`${APP}/shop`, strict)).status).toBe(200);
    // east runs 2 replicas: the budget wants 3 healthy pods, so no drain could ever evict one.
    const blocked = await eventually(app, (a) => cell(a, 'api', 'east')?.health === 'Unhealthy', 90_000, 250);
    expect(cell(blocked, 'api', 'east')).toMatchObject({
      workload: 'Deployment/shop/api',
      message: 'PodDisruptionBudget/shop/api: 2 of 3 required pods healthy, 0 disruption(s) allowed',
    });
    expect(condition(blocked, 'Healthy').message).toMatch(/api@east: PodDisruptionBudget\/shop\/api: 2 of 3/);
    expect((await deployment(east, 'api')).status.availableReplicas).toBe(2);

    const fair = shop({ apiTraits: [{ type: 'pdb', properties: { minAvailable: 1 } }] });
    fair.metadata.resourceVersion = (await app()).metadata.resourceVersion;
    expect((await api.put(`${APP}/shop`, fair)).status).toBe(200);
    const back = await eventually(
      app,
      (a) => a.status.health === 'Healthy' && a.metadata.generation === a.status.observedGeneration,
      120_000,
      250,
    );
    expect(cell(back, 'api', 'east')).toMatchObject({ health: 'Healthy', message: '2/2 available' });
    expect(
      (await kube(east, '/apis/policy/v1/namespaces/shop/poddisruptionbudgets/api'))?.status,
    ).toMatchObject({ currentHealthy: 2, desiredHealthy: 1 });
  });

  it('reports an unreachable cluster in its own target and keeps delivering to the others', async () => {
    const ghost = east.kubeconfig.replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      'server: https://127.0.0.1:1',
    );
    await addCluster('ghost', ghost, { env: 'prod' });
    const seen = await eventually(
      app,
      (a) => a.status.targets?.some((t: any) => t.cluster === 'ghost' && t.phase === 'Unreachable'),
      60_000,
      250,
    );
    expect(seen.status.targets.filter((t: any) => t.cluster !== 'ghost').map((t: any) => t.phase)).toEqual([
      'Applied',
      'Applied',
    ]);
    expect(condition(seen, 'Applied')).toMatchObject({ status: 'False', reason: 'ClusterUnreachable' });
    expect(condition(seen, 'Applied').message).toMatch(/ghost/);
    expect((await api.delete(`${BASE}/teams/shop/clusters/ghost`)).status).toBe(200);
    await eventually(app, (a) => condition(a, 'Ready')?.status === 'True', 60_000, 250);
  });

  it("takes over an object someone else created only when told to, and never another application's", async () => {
    const created = await east.client.request('POST', '/api/v1/namespaces/shop/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings' },
      data: { mode: 'manual' },
    });
    expect(created.status).toBe(201);
    const settings = (name: string, mode: string, adopt = false): any => ({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        components: [
          {
            name: 'settings',
            type: 'k8s-objects',
            properties: {
              objects: [
                { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode } },
              ],
            },
          },
        ],
        topology: { clusters: ['east'], namespace: 'shop' },
        ...(adopt ? { prune: { adoptUnowned: true } } : {}),
      },
    });
    expect((await api.post(APP, settings('config', 'gantry'))).status).toBe(201);
    const refused = await eventually(
      async () => (await api.get(`${APP}/config`)).body,
      (a) => condition(a, 'Applied')?.reason === 'ApplyFailed',
      60_000,
      250,
    );
    expect(condition(refused, 'Applied').message).toMatch(
      /ConfigMap shop\/settings exists and other managers own its fields/,
    );
    expect((await kube(east, '/api/v1/namespaces/shop/configmaps/settings')).data).toEqual({
      mode: 'manual',
    });

    const adopt = settings('config', 'gantry', true);
    adopt.metadata.resourceVersion = refused.metadata.resourceVersion;
    expect((await api.put(`${APP}/config`, adopt)).status).toBe(200);
    await eventually(
      async () => (await api.get(`${APP}/config`)).body,
      (a) => condition(a, 'Ready')?.status === 'True',
      60_000,
      250,
    );
    expect((await kube(east, '/api/v1/namespaces/shop/configmaps/settings')).data).toEqual({
      mode: 'gantry',
    });

    expect((await api.post(APP, settings('intruder', 'mine', true))).status).toBe(201);
    const blocked = await eventually(
      async () => (await api.get(`${APP}/intruder`)).body,
      (a) => condition(a, 'Applied')?.reason === 'ApplyFailed',
      60_000,
      250,
    );
    expect(condition(blocked, 'Applied').message).toMatch(
      /ConfigMap shop\/settings is applied by application config/,
    );
    expect((await kube(east, '/api/v1/namespaces/shop/configmaps/settings')).data).toEqual({
      mode: 'gantry',
    });
    for (const name of ['intruder', 'config']) expect((await api.delete(`${APP}/${name}`)).status).toBe(200);
    await eventually(
      () => kube(east, '/api/v1/namespaces/shop/configmaps/settings'),
      (c) => c === undefined,
      30_000,
    );
  });

  it('delivers a Helm chart rendered by the helm binary, with its values', async () => {
    const chart = fileURLToPath(new URL('../fixtures/charts/hello', import.meta.url));
    const charted = {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'hello' },
      spec: {
        components: [
          {
            name: 'hello',
            type: 'helm',
            properties: { chart, values: { replicaCount: 2, tolerations: [{ operator: 'Exists' }] } },
          },
        ],
        topology: { clusters: ['east'], namespace: 'charts' },
      },
    };
    // A local chart outside GANTRY_HELM_CHART_DIRS is refused at admission, before helm runs.
    const elsewhere = structuredClone(charted);
    elsewhere.spec.components[0]!.properties.chart = '/etc';
    const refused = await api.post(APP, elsewhere);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('GANTRY_E_TRAIT_CHECK');
    expect(JSON.stringify(refused.body.details)).toMatch(
      /local chart \/etc is outside the directories the server allows/,
    );
    expect((await api.post(APP, charted)).status).toBe(201);
    const ready = await eventually(
      async () => (await api.get(`${APP}/hello`)).body,
      (a) => condition(a, 'Ready')?.status === 'True',
      120_000,
      250,
    );
    expect(cell(ready, 'hello', 'east')).toMatchObject({
      health: 'Healthy',
      workload: 'Deployment/charts/hello',
    });
    const live = await kube(east, '/apis/apps/v1/namespaces/charts/deployments/hello');
    expect(live.spec.replicas).toBe(2);
    expect(live.metadata.labels).toMatchObject({
      'app.kubernetes.io/instance': 'hello',
      'app.gantry.dev/name': 'hello',
    });
    expect(await kube(east, '/api/v1/namespaces/charts/services/hello')).toBeDefined();
    expect((await api.delete(`${APP}/hello`)).status).toBe(200);
    await eventually(
      () => kube(east, '/api/v1/namespaces/charts/services/hello'),
      (s) => s === undefined,
      30_000,
    );
  });

  it('shows history and rolls back from the CLI', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-cli-delivery-'));
    try {
      const gantry = (args: readonly string[], options: { stdin?: string } = {}) =>
        new Cli(dir).run(args, options);
      expect(
        (
          await gantry(
            ['login', '--server', server.url, '--username', server.adminUsername, '--password-stdin'],
            { stdin: `${server.adminPassword}\n` },
          )
        ).code,
      ).toBe(0);
      expect((await gantry(['config', 'set-context', '--team', 'shop'])).code).toBe(0);
      const before = (await app()).status.latestRevision as number;
      const history = await gantry(['rollout', 'history', 'shop']);
      expect(history.code).toBe(0);
      expect(history.stdout).toMatch(/^REVISION\s+CAUSE\s+COMPONENTS\s+HASH\s+AGE/);
      expect(history.stdout).toMatch(/\n2\s+updated\s+webservice@1\.0\.0/);
      const undo = await gantry(['rollout', 'undo', 'shop', '--to-revision', '2']);
      expect(undo).toMatchObject({ code: 0, stdout: 'application/shop rolled back to revision 2\n' });
      await readyAt(before + 1);
      for (const cluster of [east, west])
        await eventually(
          () => deployment(cluster, 'worker'),
          (d) => d === undefined || d.metadata.deletionTimestamp !== undefined,
          30_000,
        );
      const status = await gantry(['rollout', 'status', 'shop']);
      expect(status.stdout).toMatch(new RegExp(`revision ${before + 1} health Healthy`));
      expect(status.stdout).toMatch(/COMPONENT\s+EAST\s+WEST\napi\s+Healthy\s+Healthy/);
      // A manifest that would change the image: diff names the object per cluster and exits 1.
      await writeFile(
        join(dir, 'shop.json'),
        JSON.stringify(shop({ withWorker: false, image: 'nginx:1.29' })),
      );
      const diff = await gantry(['diff', '-f', 'shop.json']);
      expect(diff.code).toBe(1);
      expect(diff.stdout).toMatch(
        /cluster east \(namespace shop\):\n(.*\n)* {2}~ Deployment shop\/api update \(component api\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('deleting the application removes what it owns, except the PVC', async () => {
    expect((await api.delete(`${APP}/shop`)).status).toBe(200);
    for (const cluster of [east, west]) {
      for (const name of ['api', 'worker']) {
        await eventually(
          () => deployment(cluster, name),
          (d) => d === undefined || d.metadata.deletionTimestamp !== undefined,
          60_000,
        );
      }
      await eventually(
        () => kube(cluster, '/api/v1/namespaces/shop/services/api'),
        (s) => s === undefined,
        30_000,
      );
      expect(await kube(cluster, '/api/v1/namespaces/shop/persistentvolumeclaims/worker-data')).toBeDefined();
    }
    await eventually(
      async () => (await api.get(`${BASE}/teams/shop/applicationrevisions`)).body.items,
      (items) => items.length === 0,
      30_000,
    );
  });
});
