import { describe, expect, it } from 'vitest';
import { KubeApiError } from '@gantry/fleet';
import {
  ClusterApplier,
  describeRef,
  InvalidManifestError,
  KubeObjectError,
  objectRef,
  refKey,
  type KubeManifest,
} from './applier.ts';
import { KindNotServedError } from './discovery.ts';
import { APPS_V1, CORE_V1, FakeKubeClient } from './fake-kube-client.ts';

const deployment = (namespace?: string): KubeManifest => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', ...(namespace ? { namespace } : {}), labels: { 'app.gantry.dev/name': 'shop' } },
  spec: { replicas: 2 },
});

const cluster = () => new FakeKubeClient().withDiscovery({ '/api/v1': CORE_V1, '/apis/apps/v1': APPS_V1 });

describe('object refs', () => {
  it('keys objects stably, with an empty namespace segment for cluster-scoped ones', () => {
    expect(refKey(objectRef(deployment('default')))).toBe('apps/v1/Deployment/default/web');
    expect(refKey(objectRef({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }))).toBe(
      'v1/Namespace//shop',
    );
    expect(refKey({ apiVersion: 'v1', kind: 'ConfigMap', namespace: '', name: 'x' })).toBe('v1/ConfigMap//x');
    expect(
      objectRef({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', namespace: '' } }),
    ).toEqual({ apiVersion: 'v1', kind: 'Namespace', name: 'shop' });
  });

  it('names objects the way messages do', () => {
    expect(describeRef(objectRef(deployment('default')))).toBe('Deployment default/web');
    expect(describeRef({ apiVersion: 'v1', kind: 'Namespace', name: 'shop' })).toBe('Namespace shop');
  });

  it.each([
    [{ kind: 'Deployment', metadata: { name: 'web' } }, '/apiVersion'],
    [{ apiVersion: 'apps/v1', metadata: { name: 'web' } }, '/kind'],
    [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: {} }, '/metadata/name'],
    [{ apiVersion: 'apps/v1', kind: 'Deployment' }, '/metadata/name'],
  ])('refuses an object without identity %#', (object, path) => {
    expect(() => objectRef(object)).toThrow(InvalidManifestError);
    try {
      objectRef(object);
    } catch (error) {
      expect((error as InvalidManifestError).details[0]?.path).toBe(path);
    }
  });
});

describe('ClusterApplier', () => {
  it('applies server-side as gantry with force, defaulting the namespace', async () => {
    const client = cluster().on(
      'PATCH',
      '/apis/apps/v1/namespaces/shop/deployments/web',
      (call: { body?: unknown }) => ({
        ...(call.body as object),
        metadata: { ...(call.body as KubeManifest).metadata, uid: 'u1' },
      }),
    );
    const live = await new ClusterApplier(client).apply(deployment(), { defaultNamespace: 'shop' });
    expect(live.metadata).toMatchObject({ name: 'web', namespace: 'shop', uid: 'u1' });
    const patch = client.calls.find((c) => c.method === 'PATCH');
    expect(patch?.contentType).toBe('application/apply-patch+yaml');
    expect(Object.fromEntries(patch?.query ?? [])).toEqual({ fieldManager: 'gantry', force: 'true' });
    expect((patch?.body as KubeManifest).metadata.namespace).toBe('shop');
  });

  it("keeps an object's own namespace, honours dryRun and the field manager option", async () => {
    const client = cluster().on(
      'PATCH',
      '/apis/apps/v1/namespaces/other/deployments/web',
      (call: { body?: unknown }) => call.body,
    );
    await new ClusterApplier(client, { fieldManager: 'gantry-test' }).apply(deployment('other'), {
      defaultNamespace: 'shop',
      dryRun: true,
    });
    const patch = client.calls.find((c) => c.method === 'PATCH');
    expect(Object.fromEntries(patch?.query ?? [])).toEqual({
      fieldManager: 'gantry-test',
      force: 'true',
      dryRun: 'All',
    });
  });

  it('applies cluster-scoped kinds without a namespace, and refuses one on them', async () => {
    const client = cluster().on('PATCH', '/api/v1/namespaces/shop', (call: { body?: unknown }) => call.body);
    const applier = new ClusterApplier(client);
    await applier.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
      { defaultNamespace: 'default' },
    );
    expect((client.calls.at(-1)?.body as KubeManifest).metadata).toEqual({ name: 'shop' });
    const error = await applier
      .apply(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', namespace: 'default' } },
        { defaultNamespace: 'default' },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidManifestError);
    expect((error as Error).message).toBe(
      'Namespace x is cluster-scoped and cannot have metadata.namespace "default"',
    );
  });

  it("carries the object, the server's message, status and reason in errors", async () => {
    const invalid = new KubeApiError(
      '422 Invalid: Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      422,
      'Invalid',
    );
    const client = cluster().on('PATCH', '/apis/apps/v1/namespaces/shop/deployments/web', invalid);
    const error = await new ClusterApplier(client)
      .apply(deployment(), { defaultNamespace: 'shop' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeObjectError);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({
      status: 422,
      reason: 'Invalid',
      operation: 'apply',
      ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' },
      serverMessage:
        'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      message:
        'cannot apply Deployment shop/web (422 Invalid): Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    });
    const typo = new KubeApiError(
      '500 Internal Server Error: failed to create typed patch object (shop/web; apps/v1, Kind=Deployment): .spec.replica: field not declared in schema',
      500,
      'Internal Server Error',
    );
    const schema = await new ClusterApplier(
      cluster().on('PATCH', '/apis/apps/v1/namespaces/shop/deployments/web', typo),
    )
      .apply(deployment(), { defaultNamespace: 'shop' })
      .catch((e: unknown) => e);
    expect(schema).toMatchObject({
      status: 422,
      reason: 'Invalid',
      serverMessage:
        'failed to create typed patch object (shop/web; apps/v1, Kind=Deployment): .spec.replica: field not declared in schema',
    });
    const unreachable = cluster().on(
      'PATCH',
      '/apis/apps/v1/namespaces/shop/deployments/web',
      new KubeApiError('connect ECONNREFUSED 127.0.0.1:1', 0, 'ECONNREFUSED'),
    );
    const network = await new ClusterApplier(unreachable)
      .apply(deployment(), { defaultNamespace: 'shop' })
      .catch((e: unknown) => e);
    expect((network as Error).message).toBe(
      'cannot apply Deployment shop/web (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:1',
    );
  });

  it('refuses a kind the cluster does not serve, naming it', async () => {
    const error = await new ClusterApplier(cluster())
      .apply(
        { apiVersion: 'apps/v1', kind: 'Rollout', metadata: { name: 'x' } },
        { defaultNamespace: 'shop' },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KindNotServedError);
    expect((error as Error).message).toBe('the cluster has no kind Rollout in apps/v1');
  });

  it("tells the identity an object will have, by the kind's scope on the cluster", async () => {
    const applier = new ClusterApplier(cluster());
    expect(refKey(await applier.placedRef(deployment(), 'shop'))).toBe('apps/v1/Deployment/shop/web');
    expect(refKey(await applier.placedRef(deployment('other'), 'shop'))).toBe('apps/v1/Deployment/other/web');
    expect(
      refKey(
        await applier.placedRef({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, 'shop'),
      ),
    ).toBe('v1/Namespace//shop');
  });

  it('gets objects, undefined when absent or of a kind not served', async () => {
    const client = cluster().on('GET', '/apis/apps/v1/namespaces/shop/deployments/web', {
      metadata: { name: 'web', namespace: 'shop', uid: 'u1' },
    });
    const applier = new ClusterApplier(client);
    expect(
      (await applier.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }))
        ?.metadata.uid,
    ).toBe('u1');
    expect(
      await applier.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'api' }),
    ).toBeUndefined();
    expect(
      await applier.get({ apiVersion: 'example.dev/v1', kind: 'Widget', namespace: 'shop', name: 'w' }),
    ).toBeUndefined();
    await expect(applier.get({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' })).rejects.toThrow(
      'Deployment web is namespaced and has no namespace',
    );
  });

  it('deletes in the background, absent when already gone', async () => {
    const client = cluster().on('DELETE', '/apis/apps/v1/namespaces/shop/deployments/web', {
      kind: 'Status',
      status: 'Success',
    });
    const applier = new ClusterApplier(client);
    expect(
      await applier.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }),
    ).toBe('deleted');
    expect(Object.fromEntries(client.calls.at(-1)?.query ?? [])).toEqual({ propagationPolicy: 'Background' });
    expect(
      await applier.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'gone' }),
    ).toBe('absent');
    client.on(
      'DELETE',
      '/apis/apps/v1/namespaces/shop/deployments/web',
      new KubeApiError('403 Forbidden: no', 403, 'Forbidden'),
    );
    await expect(
      applier.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }),
    ).rejects.toMatchObject({
      status: 403,
      message: 'cannot delete Deployment shop/web (403 Forbidden): no',
    });
  });

  it('creates a missing namespace and leaves an existing one alone', async () => {
    const client = cluster()
      .on('GET', '/api/v1/namespaces/default', {
        metadata: { name: 'default', uid: 'd' },
        status: { phase: 'Active' },
      })
      .on('GET', '/api/v1/namespaces/old', {
        metadata: { name: 'old', uid: 'o' },
        status: { phase: 'Terminating' },
      })
      .on('PATCH', '/api/v1/namespaces/shop', (call: { body?: unknown }) => call.body);
    const applier = new ClusterApplier(client);
    expect(await applier.ensureNamespace('default')).toBe('exists');
    expect(await applier.ensureNamespace('old')).toBe('terminating');
    expect(client.calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);
    expect(await applier.ensureNamespace('shop')).toBe('created');
    expect(client.calls.at(-1)).toMatchObject({
      method: 'PATCH',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    });
  });
});
