import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClientFromKubeconfig, type KubeClient, type KubeObject } from '@gantry/fleet';
import { startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import {
  ClusterApplier,
  InvalidManifestError,
  KubeObjectError,
  objectRef,
  refKey,
  type KubeManifest,
} from '../../packages/delivery/src/kube/applier.ts';
import { KindNotServedError, ResourceDiscovery } from '../../packages/delivery/src/kube/discovery.ts';
import { WorkloadWatcher, type WorkloadChange } from '../../packages/delivery/src/kube/workload-watcher.ts';
import { eventually } from '../support/eventually.ts';

/** The delivery side's Kubernetes layer (discovery, server-side apply, workload watches) against a real API server. */
describe('delivery kube layer on the test bed', () => {
  let bed: Testbed;
  let cluster: TestbedCluster;
  let client: KubeClient;
  let applier: ClusterApplier;
  const NS = 'kube-layer';

  const deployment = (
    name: string,
    options: { replicas?: number; labelled?: boolean; namespace?: string } = {},
  ): KubeManifest => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      labels: options.labelled === false ? { app: name } : { app: name, 'app.gantry.dev/name': 'shop' },
    },
    spec: {
      replicas: options.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] },
      },
    },
  });
  const managers = (object: KubeObject | undefined) =>
    ((object?.metadata.managedFields ?? []) as { manager: string; operation: string }[]).map(
      (m) => `${m.manager}/${m.operation}`,
    );

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 1, nodes: 2 });
    cluster = bed.clusters[0]!;
    client = await kubeClientFromKubeconfig(cluster.kubeconfig);
    applier = new ClusterApplier(client);
    expect(await applier.ensureNamespace(NS)).toBe('created');
  }, 600_000);

  afterAll(async () => {
    client?.close();
    await bed?.stop();
  });

  it('discovers the kinds delivery renders, and names a kind the cluster lacks', async () => {
    const discovery = new ResourceDiscovery(client);
    const cases: [string, string, string, boolean][] = [
      ['apps/v1', 'Deployment', 'deployments', true],
      ['v1', 'Service', 'services', true],
      ['v1', 'ConfigMap', 'configmaps', true],
      ['v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true],
      ['batch/v1', 'CronJob', 'cronjobs', true],
      ['autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true],
      ['policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true],
      ['networking.k8s.io/v1', 'Ingress', 'ingresses', true],
      ['v1', 'Namespace', 'namespaces', false],
    ];
    for (const [apiVersion, kind, resource, namespaced] of cases) {
      const resolved = await discovery.resolve(apiVersion, kind);
      expect(resolved, `${apiVersion} ${kind}`).toMatchObject({
        resource,
        namespaced,
        basePath: apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`,
      });
    }
    await expect(discovery.resolve('apps/v1', 'Rollout')).rejects.toThrow(
      new KindNotServedError('apps/v1', 'Rollout'),
    );
    // A group the server does not serve at all answers the same way.
    await expect(discovery.resolve('argoproj.io/v1alpha1', 'Rollout')).rejects.toThrow(
      'the cluster has no kind Rollout in argoproj.io/v1alpha1',
    );
    // An API version Kubernetes retired.
    await expect(discovery.resolve('extensions/v1beta1', 'Ingress')).rejects.toThrow(KindNotServedError);
  });

  it('creates and then updates with server-side apply, as field manager gantry, keeping fields other managers own', async () => {
    const created = await applier.apply(deployment('web'), { defaultNamespace: NS });
    expect(created.metadata).toMatchObject({ name: 'web', namespace: NS, generation: 1 });
    expect(managers(created)).toContain('gantry/Apply');

    // Someone else annotates it; Gantry's next apply does not state that annotation, so it stays.
    await cluster.kubectl(['annotate', 'deployment', 'web', '-n', NS, 'team.example/owner=ops']);
    const updated = await applier.apply(deployment('web', { replicas: 3 }), { defaultNamespace: NS });
    // Deployments bump their generation on annotation changes too (annotations are copied to ReplicaSets).
    expect(updated.metadata.generation).toBeGreaterThan(created.metadata.generation as number);
    expect(updated.metadata.uid).toBe(created.metadata.uid);
    expect((updated.spec as { replicas: number }).replicas).toBe(3);
    expect((updated.metadata.annotations as Record<string, string>)['team.example/owner']).toBe('ops');
    expect(managers(updated).filter((m) => m.startsWith('gantry/'))).toEqual(['gantry/Apply']);
    expect(managers(updated)).toContain('kubectl-annotate/Update');

    const live = await applier.get(objectRef(updated));
    expect((live?.spec as { replicas: number }).replicas).toBe(3);
  });

  it('changes nothing on a dry run', async () => {
    const config: KubeManifest = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'dry' },
      data: { a: '1' },
    };
    const answered = await applier.apply(config, { defaultNamespace: NS, dryRun: true });
    expect(answered.metadata).toMatchObject({ name: 'dry', namespace: NS });
    expect(
      await applier.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'dry' }),
    ).toBeUndefined();
    // Nor on an existing object.
    await applier.apply(deployment('web', { replicas: 5 }), { defaultNamespace: NS, dryRun: true });
    expect(
      (
        (await applier.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'web' }))
          ?.spec as { replicas: number }
      ).replicas,
    ).toBe(3);
  });

  it("passes on the API server's 422 for an invalid object, naming the object", async () => {
    const invalid = deployment('broken', { replicas: -1 });
    const error = await applier.apply(invalid, { defaultNamespace: NS }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeObjectError);
    const objectError = error as KubeObjectError;
    expect(objectError).toMatchObject({
      status: 422,
      reason: 'Invalid',
      operation: 'apply',
      ref: { kind: 'Deployment', namespace: NS, name: 'broken' },
    });
    expect(objectError.serverMessage).toContain('Deployment.apps "broken" is invalid');
    expect(objectError.serverMessage).toContain('spec.replicas');
    expect(objectError.message).toMatch(
      new RegExp(
        `^cannot apply Deployment ${NS}/broken \\(422 Invalid\\): Deployment.apps "broken" is invalid`,
      ),
    );
    expect(
      await applier.get(objectRef({ ...invalid, metadata: { ...invalid.metadata, namespace: NS } })),
    ).toBeUndefined();

    // An unknown field is refused too (server-side apply checks the schema), though the server says 500.
    const typo = await applier
      .apply(
        { ...deployment('typo'), spec: { ...(deployment('typo').spec as object), replica: 2 } },
        { defaultNamespace: NS },
      )
      .catch((e: unknown) => e);
    expect(typo).toMatchObject({ status: 422, reason: 'Invalid' });
    expect((typo as KubeObjectError).serverMessage).toContain('.spec.replica: field not declared in schema');
  });

  it('defaults the namespace of namespaced kinds only, and refuses one on cluster-scoped kinds', async () => {
    const inDefault = await applier.apply(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: '1' } },
      { defaultNamespace: NS },
    );
    expect(inDefault.metadata.namespace).toBe(NS);
    const own = await applier.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: 'default' },
        data: { a: '2' },
      },
      { defaultNamespace: NS },
    );
    expect(own.metadata.namespace).toBe('default');
    const namespace = await applier.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-layer-extra' } },
      { defaultNamespace: NS },
    );
    expect(namespace.metadata.namespace).toBeUndefined();
    await expect(
      applier.apply(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', namespace: NS } },
        { defaultNamespace: NS },
      ),
    ).rejects.toThrow(InvalidManifestError);
    expect(await applier.get({ apiVersion: 'v1', kind: 'Namespace', name: 'x' })).toBeUndefined();
  });

  it('deletes, then reports the object absent', async () => {
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'settings' };
    expect(await applier.get(ref)).toBeDefined();
    expect(await applier.delete(ref)).toBe('deleted');
    expect(await applier.get(ref)).toBeUndefined();
    expect(await applier.delete(ref)).toBe('absent');
    expect(
      await applier.delete({ apiVersion: 'example.dev/v1', kind: 'Widget', namespace: NS, name: 'w' }),
    ).toBe('absent');
  });

  it('ensures namespaces: creates a missing one, leaves an existing one', async () => {
    expect(await applier.ensureNamespace('default')).toBe('exists');
    expect(await applier.ensureNamespace(NS)).toBe('exists');
    expect(await applier.ensureNamespace('kube-layer-new')).toBe('created');
    const created = await applier.get({ apiVersion: 'v1', kind: 'Namespace', name: 'kube-layer-new' });
    expect(created?.status).toEqual({ phase: 'Active' });
    // Applying only a name owns no fields, and the server keeps no managedFields entry without fields.
    expect(managers(created).filter((m) => m.startsWith('gantry/'))).toEqual([]);
    // A deleted namespace lingers while its finalizers run.
    expect(await applier.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'kube-layer-extra' })).toBe(
      'deleted',
    );
    expect(['terminating', 'created']).toContain(await applier.ensureNamespace('kube-layer-extra'));
  });

  it('watches labelled workloads appear, change and disappear, ignoring unlabelled ones', async () => {
    const changes: { key: string; type: WorkloadChange; readyReplicas?: number }[] = [];
    const watcher = new WorkloadWatcher(client, {
      onChange: (object, type) =>
        changes.push({
          key: refKey(objectRef(object)),
          type,
          ...((object.status as { readyReplicas?: number } | undefined)?.readyReplicas !== undefined
            ? { readyReplicas: (object.status as { readyReplicas: number }).readyReplicas }
            : {}),
        }),
    });
    watcher.start();
    try {
      await eventually(() => Promise.resolve(watcher.synced()), Boolean, 30_000);
      expect(watcher.errors()).toEqual([]);
      // The Deployment of the earlier tests is labelled: the list found it, with its kind filled in, as
      // items of a list carry none.
      const raw = await client.request<{ items: KubeObject[] }>(
        'GET',
        `/apis/apps/v1/namespaces/${NS}/deployments`,
      );
      expect(raw.items.map((item) => [item.metadata.name, item.kind])).toEqual([['web', undefined]]);
      const web = watcher.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'web' });
      expect(web).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } });
      expect(web?.metadata.managedFields).toBeUndefined();

      await applier.apply(deployment('unlabelled', { replicas: 1, labelled: false }), {
        defaultNamespace: NS,
      });
      await applier.apply(deployment('watched', { replicas: 2 }), { defaultNamespace: NS });
      const key = `apps/v1/Deployment/${NS}/watched`;
      await eventually(
        () => Promise.resolve(changes.filter((c) => c.key === key)),
        (seen) => seen[0]?.type === 'ADDED',
        15_000,
      );
      // The controller-manager and the scheduler start its pods, kwok runs them: status follows.
      const ready = await eventually(
        () =>
          Promise.resolve(
            watcher.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'watched' }),
          ),
        (d) => (d?.status as { readyReplicas?: number } | undefined)?.readyReplicas === 2,
        60_000,
      );
      expect(ready?.metadata.labels?.['app.gantry.dev/name']).toBe('shop');
      expect(changes.some((c) => c.key === key && c.type === 'MODIFIED' && c.readyReplicas === 2)).toBe(true);

      expect(
        await applier.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'watched' }),
      ).toBe('deleted');
      await eventually(
        () => Promise.resolve(changes.filter((c) => c.key === key).at(-1)?.type),
        (type) => type === 'DELETED',
        15_000,
      );
      expect(
        watcher.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'watched' }),
      ).toBeUndefined();
      expect(changes.some((c) => c.key.endsWith('/unlabelled'))).toBe(false);
      expect(
        watcher.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'unlabelled' }),
      ).toBeUndefined();
    } finally {
      await watcher.stop();
    }
  });

  it('keeps watching the kinds RBAC allows when it forbids others', async () => {
    await cluster.kubectl(['create', 'serviceaccount', 'delivery-limited', '-n', 'default']);
    await cluster.kubectl([
      'create',
      'clusterrole',
      'delivery-limited',
      '--verb=get,list,watch',
      '--resource=deployments.apps',
    ]);
    await cluster.kubectl([
      'create',
      'clusterrolebinding',
      'delivery-limited',
      '--clusterrole=delivery-limited',
      '--serviceaccount=default:delivery-limited',
    ]);
    const token = (
      await cluster.kubectl(['create', 'token', 'delivery-limited', '-n', 'default', '--duration=1h'])
    ).trim();
    const limitedConfig = cluster.kubeconfig
      .replace(/client-certificate-data: .*/g, '')
      .replace(/client-key-data: .*/g, '')
      .replace(/(user:\s*\n)/, `$1    token: ${token}\n`);
    const limited = await kubeClientFromKubeconfig(limitedConfig);
    const watcher = new WorkloadWatcher(limited, {
      kinds: [
        { apiVersion: 'apps/v1', kind: 'Deployment' },
        { apiVersion: 'batch/v1', kind: 'Job' },
        { apiVersion: 'example.dev/v1', kind: 'Widget' },
      ],
      backoff: { baseMs: 100, maxMs: 500 },
    });
    watcher.start();
    try {
      await eventually(
        () =>
          Promise.resolve(
            watcher.synced({ apiVersion: 'apps/v1', kind: 'Deployment' }) && watcher.errors().length === 2,
          ),
        Boolean,
        30_000,
      );
      expect(
        watcher.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'web' }),
      ).toBeDefined();
      expect(watcher.synced()).toBe(false);
      const errors = watcher.errors();
      expect(errors.find((e) => e.kind === 'Job')).toMatchObject({ status: 403, reason: 'Forbidden' });
      expect(errors.find((e) => e.kind === 'Widget')?.message).toBe(
        'the cluster has no kind Widget in example.dev/v1',
      );
    } finally {
      await watcher.stop();
      limited.close();
    }
  });
});
