import { describe, expect, it } from 'vitest';
import { KubeApiError } from '@gantry/fleet';
import { InputError } from '@gantry/model';
import { KindNotServedError, parseApiVersion, ResourceDiscovery, resourcePath } from './discovery.ts';
import { APPS_V1, CORE_V1, FakeKubeClient } from './fake-kube-client.ts';

describe('parseApiVersion', () => {
  it.each([
    ['v1', { group: '', version: 'v1' }],
    ['apps/v1', { group: 'apps', version: 'v1' }],
    ['networking.k8s.io/v1', { group: 'networking.k8s.io', version: 'v1' }],
  ])('%s', (apiVersion, expected) => expect(parseApiVersion(apiVersion)).toEqual(expected));

  it.each(['', 'a/b/c', '/v1', 'apps/'])('refuses %j', (apiVersion) =>
    expect(() => parseApiVersion(apiVersion)).toThrow(InputError),
  );
});

describe('resourcePath', () => {
  const deployments = {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    resource: 'deployments',
    namespaced: true,
    basePath: '/apis/apps/v1',
  };
  const namespaces = {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    resource: 'namespaces',
    namespaced: false,
    basePath: '/api/v1',
  };

  it('builds object and collection paths for both scopes', () => {
    expect(resourcePath(deployments, 'default', 'web')).toBe(
      '/apis/apps/v1/namespaces/default/deployments/web',
    );
    expect(resourcePath(deployments, 'default')).toBe('/apis/apps/v1/namespaces/default/deployments');
    expect(resourcePath(deployments, undefined)).toBe('/apis/apps/v1/deployments');
    expect(resourcePath(namespaces, undefined, 'shop')).toBe('/api/v1/namespaces/shop');
    // A namespace on a cluster-scoped kind never reaches the path.
    expect(resourcePath(namespaces, 'default', 'shop')).toBe('/api/v1/namespaces/shop');
  });

  it('escapes names', () => {
    expect(resourcePath(deployments, 'a b', 'x/y')).toBe('/apis/apps/v1/namespaces/a%20b/deployments/x%2Fy');
  });
});

describe('ResourceDiscovery', () => {
  it('resolves core and group kinds, skipping subresources, and reads each document once', async () => {
    const client = new FakeKubeClient().withDiscovery({ '/api/v1': CORE_V1, '/apis/apps/v1': APPS_V1 });
    const discovery = new ResourceDiscovery(client);
    expect(await discovery.resolve('apps/v1', 'Deployment')).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      resource: 'deployments',
      namespaced: true,
      basePath: '/apis/apps/v1',
    });
    expect(await discovery.resolve('v1', 'Namespace')).toMatchObject({
      group: '',
      resource: 'namespaces',
      namespaced: false,
      basePath: '/api/v1',
    });
    await Promise.all([discovery.resolve('apps/v1', 'StatefulSet'), discovery.resolve('v1', 'ConfigMap')]);
    expect(client.calls.map((c) => c.path)).toEqual(['/apis/apps/v1', '/api/v1']);
  });

  it('reads a document again once on a miss, so a CRD installed later is found', async () => {
    const client = new FakeKubeClient().withDiscovery({ '/apis/example.dev/v1': [] });
    const discovery = new ResourceDiscovery(client);
    await expect(discovery.resolve('example.dev/v1', 'Widget')).rejects.toThrow(
      'the cluster has no kind Widget in example.dev/v1',
    );
    client.withDiscovery({ '/apis/example.dev/v1': [{ name: 'widgets', kind: 'Widget', namespaced: true }] });
    expect(await discovery.resolve('example.dev/v1', 'Widget')).toMatchObject({ resource: 'widgets' });
    expect(client.calls).toHaveLength(2);
    // The refreshed document now serves the kind from the cache.
    await discovery.resolve('example.dev/v1', 'Widget');
    expect(client.calls).toHaveLength(2);
  });

  it('names the apiVersion and kind when the cluster lacks them, and asks only once per miss', async () => {
    const client = new FakeKubeClient().withDiscovery({ '/apis/apps/v1': APPS_V1 });
    const discovery = new ResourceDiscovery(client);
    await discovery.resolve('apps/v1', 'Deployment');
    const error = await discovery.resolve('apps/v1', 'Deploymnet').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KindNotServedError);
    expect(error).toMatchObject({
      message: 'the cluster has no kind Deploymnet in apps/v1',
      apiVersion: 'apps/v1',
      kind: 'Deploymnet',
      code: 'GANTRY_E_UNKNOWN_KIND',
    });
    expect(client.calls).toHaveLength(2);
    // A group the server does not serve at all (404 on its document) is a missing kind, not a failure.
    await expect(discovery.resolve('example.dev/v1alpha1', 'Widget')).rejects.toThrow(KindNotServedError);
  });

  it('passes other failures on with the document named, and does not cache them', async () => {
    const client = new FakeKubeClient().on(
      'GET',
      '/apis/apps/v1',
      new KubeApiError('403 Forbidden: no discovery for you', 403, 'Forbidden'),
    );
    const discovery = new ResourceDiscovery(client);
    const error = await discovery.resolve('apps/v1', 'Deployment').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({
      status: 403,
      reason: 'Forbidden',
      message: 'reading the discovery document /apis/apps/v1: 403 Forbidden: no discovery for you',
    });
    client.withDiscovery({ '/apis/apps/v1': APPS_V1 });
    expect(await discovery.resolve('apps/v1', 'Deployment')).toMatchObject({ resource: 'deployments' });
  });
});
