import { describe, expect, it } from 'vitest';
import { KubeApiError, type KubeObject } from '@gantry/fleet';
import { APPS_V1, BATCH_V1, FakeKubeClient } from './fake-kube-client.ts';
import { WorkloadWatcher, type WorkloadChange } from './workload-watcher.ts';

/** A Deployment as list items carry it: no apiVersion or kind. */
const listed = (name: string, resourceVersion: string): KubeObject => ({
  metadata: {
    name,
    namespace: 'shop',
    uid: name,
    resourceVersion,
    labels: { 'app.gantry.dev/name': 'shop' },
    managedFields: [{ manager: 'gantry' }],
  },
  spec: { replicas: 1 },
});
const event = (name: string, resourceVersion: string): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  ...listed(name, resourceVersion),
});

const ref = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name });
const quick = { backoff: { baseMs: 1, maxMs: 1 } };

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('WorkloadWatcher', () => {
  it('lists and watches with the label selector, caching whole objects and reporting changes', async () => {
    const changes: [string, WorkloadChange][] = [];
    const client = new FakeKubeClient()
      .withDiscovery({ '/apis/apps/v1': APPS_V1 })
      .on('GET', '/apis/apps/v1/deployments', {
        metadata: { resourceVersion: '10' },
        items: [listed('web', '5'), listed('api', '6')],
      })
      .onWatch('/apis/apps/v1/deployments', (emit) => {
        emit({ type: 'MODIFIED', object: { ...event('web', '11'), status: { readyReplicas: 1 } } });
        emit({ type: 'MODIFIED', object: event('web', '11') });
        emit({ type: 'ADDED', object: event('db', '12') });
        emit({ type: 'DELETED', object: event('api', '13') });
      });
    const watcher = new WorkloadWatcher(client, {
      kinds: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
      onChange: (object, type) => changes.push([object.metadata.name, type]),
      ...quick,
    });
    expect(watcher.synced()).toBe(false);
    watcher.start();
    await until(() => changes.length === 5, 'five changes');
    expect(watcher.synced()).toBe(true);
    await watcher.stop();

    expect(changes).toEqual([
      ['web', 'ADDED'],
      ['api', 'ADDED'],
      ['web', 'MODIFIED'],
      ['db', 'ADDED'],
      ['api', 'DELETED'],
    ]);
    const web = watcher.get(ref('web'));
    expect(web).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', status: { readyReplicas: 1 } });
    expect(web?.metadata.managedFields).toBeUndefined();
    expect(watcher.get(ref('api'))).toBeUndefined();
    const list = client.calls.find((c) => c.path === '/apis/apps/v1/deployments');
    expect(list?.query.get('labelSelector')).toBe('app.gantry.dev/name');
    expect(client.watchCalls[0]).toMatchObject({
      path: '/apis/apps/v1/deployments',
      params: { labelSelector: 'app.gantry.dev/name', resourceVersion: '10' },
    });
  });

  it('gives list items their kind, and drops on a relist what the relist no longer names', async () => {
    const changes: [string, WorkloadChange][] = [];
    let lists = 0;
    const client = new FakeKubeClient()
      .withDiscovery({ '/apis/apps/v1': APPS_V1 })
      .on('GET', '/apis/apps/v1/deployments', () =>
        ++lists === 1
          ? { metadata: { resourceVersion: '10' }, items: [listed('web', '5'), listed('api', '6')] }
          : { metadata: { resourceVersion: '40' }, items: [listed('web', '5')] },
      )
      .onWatch('/apis/apps/v1/deployments', () => {
        throw new KubeApiError('too old resource version', 410, 'Expired');
      });
    const watcher = new WorkloadWatcher(client, {
      kinds: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
      labelSelector: 'app.gantry.dev/name=shop',
      onChange: (object, type) => changes.push([object.metadata.name, type]),
      ...quick,
    });
    watcher.start();
    await until(() => lists === 2 && client.watchCalls.length === 2, 'the relist');
    await watcher.stop();
    expect(changes).toEqual([
      ['web', 'ADDED'],
      ['api', 'ADDED'],
      ['api', 'DELETED'],
    ]);
    expect(watcher.get(ref('web'))).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
    expect(client.watchCalls[0]?.params.labelSelector).toBe('app.gantry.dev/name=shop');
  });

  it('keeps the other kinds going when the cluster lacks one and RBAC forbids another', async () => {
    const client = new FakeKubeClient()
      .withDiscovery({ '/apis/apps/v1': APPS_V1, '/apis/batch/v1': BATCH_V1 })
      .on('GET', '/apis/apps/v1/deployments', {
        metadata: { resourceVersion: '10' },
        items: [listed('web', '5')],
      })
      .on(
        'GET',
        '/apis/batch/v1/jobs',
        new KubeApiError(
          '403 Forbidden: jobs.batch is forbidden: User "gantry" cannot list resource "jobs"',
          403,
          'Forbidden',
        ),
      );
    const watcher = new WorkloadWatcher(client, {
      kinds: [
        { apiVersion: 'apps/v1', kind: 'Deployment' },
        { apiVersion: 'batch/v1', kind: 'Job' },
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' },
      ],
      ...quick,
    });
    watcher.start();
    await until(
      () => watcher.errors().length === 2 && watcher.synced({ apiVersion: 'apps/v1', kind: 'Deployment' }),
      'deployments synced and two failing kinds',
    );
    await watcher.stop();
    expect(watcher.get(ref('web'))).toBeDefined();
    expect(watcher.synced()).toBe(false);
    expect(watcher.synced({ apiVersion: 'batch/v1', kind: 'Job' })).toBe(false);
    expect(watcher.errors()).toEqual([
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        status: 403,
        reason: 'Forbidden',
        message: '403 Forbidden: jobs.batch is forbidden: User "gantry" cannot list resource "jobs"',
      },
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        message: 'the cluster has no kind Rollout in argoproj.io/v1alpha1',
      },
    ]);
  });

  it('keeps listing when onChange throws, rather than failing and listing again', async () => {
    const client = new FakeKubeClient()
      .withDiscovery({ '/apis/apps/v1': APPS_V1 })
      .on('GET', '/apis/apps/v1/deployments', {
        metadata: { resourceVersion: '10' },
        items: [listed('web', '5')],
      });
    const watcher = new WorkloadWatcher(client, {
      kinds: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
      onChange: () => {
        throw new Error('queue full');
      },
      ...quick,
    });
    watcher.start();
    await until(() => watcher.synced() && client.watchCalls.length === 1, 'the watch');
    await watcher.stop();
    expect(watcher.get(ref('web'))).toBeDefined();
    expect(client.calls.filter((c) => c.path === '/apis/apps/v1/deployments')).toHaveLength(1);
  });

  it('follows a kind added while running, as well as one added before start', async () => {
    const pdb = (name: string, resourceVersion: string): KubeObject => ({
      metadata: listed(name, resourceVersion).metadata,
      status: { currentHealthy: 1 },
    });
    const changes: string[] = [];
    const client = new FakeKubeClient()
      .withDiscovery({
        '/apis/apps/v1': APPS_V1,
        '/apis/policy/v1': [{ name: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true }],
      })
      .on('GET', '/apis/apps/v1/deployments', {
        metadata: { resourceVersion: '1' },
        items: [listed('web', '1')],
      })
      .on('GET', '/apis/policy/v1/poddisruptionbudgets', {
        metadata: { resourceVersion: '2' },
        items: [pdb('web', '2')],
      })
      .onWatch('/apis/apps/v1/deployments', () => {})
      .onWatch('/apis/policy/v1/poddisruptionbudgets', () => {});
    const watcher = new WorkloadWatcher(client, {
      kinds: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
      onChange: (object) => changes.push(`${object.kind}/${object.metadata.name}`),
      ...quick,
    });
    watcher.start();
    await until(() => watcher.synced(), 'the Deployments listed');
    const kind = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' };
    expect(watcher.synced(kind)).toBe(false);
    watcher.watch(kind);
    watcher.watch(kind); // once is enough
    await until(() => watcher.synced(kind), 'the PodDisruptionBudgets listed');
    expect(watcher.get({ ...kind, namespace: 'shop', name: 'web' })).toMatchObject({
      kind: 'PodDisruptionBudget',
      status: { currentHealthy: 1 },
    });
    expect(changes).toEqual(['Deployment/web', 'PodDisruptionBudget/web']);
    expect(client.calls.filter((c) => c.path === '/apis/policy/v1/poddisruptionbudgets')).toHaveLength(1);
    await watcher.stop();

    // Kinds added before start (or between a stop and a start) run with the others.
    const later = new WorkloadWatcher(client, { kinds: [], ...quick });
    later.watch(kind);
    later.start();
    await until(() => later.synced(), 'listed at start');
    await later.stop();
  });
});
