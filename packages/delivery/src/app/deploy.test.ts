import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ComponentSpec } from '@gantry/model';
import { Store } from '@gantry/store';
import { catalogDefinitionSet } from '../catalog/catalog.ts';
import { createCelEngine } from '../cel-environment.ts';
import { Composer } from '../compose/compose.ts';
import { ClusterApplier, type ObjectRef } from '../kube/applier.ts';
import { FakeCluster } from '../kube/fake-cluster.ts';
import { ProgressTracker } from './component-health.ts';
import { deployTarget, type DeployRequest } from './deploy.ts';
import { RenderCache } from './render-cache.ts';
import { TargetReason } from './target-outcome.ts';

const engine = createCelEngine();
const composer = new Composer({ engine });
const definitions = catalogDefinitionSet();
const target = { cluster: 'east', namespace: 'shop', environment: '' };
const DEPLOYMENTS = '/apis/apps/v1/namespaces/shop/deployments';
const CONFIGMAPS = '/api/v1/namespaces/shop/configmaps';
const CLAIMS = '/api/v1/namespaces/shop/persistentvolumeclaims';

const web = (name: string, extra: Partial<ComponentSpec> = {}): ComponentSpec => ({
  name,
  type: 'webservice',
  properties: { image: 'nginx:1.27', ports: [{ port: 80 }] },
  ...extra,
});
const objects = (name: string, ...manifests: { apiVersion: string; kind: string; name: string }[]) => ({
  name,
  type: 'k8s-objects',
  properties: {
    objects: manifests.map((m) => ({ apiVersion: m.apiVersion, kind: m.kind, metadata: { name: m.name } })),
  },
});
const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name });
const claim = (name: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', name });

/** Objects' paths on the fake cluster (what the Deployment health reads). */
function pathOf(ref: ObjectRef): string {
  const plural = `${ref.kind.toLowerCase()}s`;
  const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  return ref.namespace
    ? `${base}/namespaces/${ref.namespace}/${plural}/${ref.name}`
    : `${base}/${plural}/${ref.name}`;
}

let store: Store;
let cluster: FakeCluster;
const now = Date.parse('2026-01-01T00:00:00Z');

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
  cluster = new FakeCluster('east');
});
afterEach(async () => {
  await store.close();
});

function deploy(components: ComponentSpec[], options: Partial<DeployRequest> = {}, delivered?: RenderCache) {
  return deployTarget(
    {
      team: 'shop',
      app: 'web',
      revision: 1,
      target,
      components,
      definitions,
      prune: { enabled: true, persistentVolumeClaims: false, adoptUnowned: false },
      resync: false,
      ...options,
    },
    {
      composer,
      engine,
      applier: new ClusterApplier(cluster),
      records: store.applied,
      // The cluster's own copy stands in for the workload watch.
      live: (ref) => cluster.object(pathOf(ref)),
      progress: new ProgressTracker(60_000),
      now: () => now,
      ...(delivered ? { delivered } : {}),
    },
  );
}

const available = { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 };

describe('deployTarget', () => {
  it('creates the namespace, applies every object, records them, and reads health from the live objects', async () => {
    const outcome = await deploy([web('api')]);
    expect(outcome).toMatchObject({ reason: TargetReason.Applied, phase: 'Applied', sent: 2, pruned: 0 });
    expect(cluster.paths()).toEqual([
      '/api/v1/namespaces/shop',
      '/api/v1/namespaces/shop/services/api',
      `${DEPLOYMENTS}/api`,
    ]);
    expect(outcome.cells).toEqual([
      expect.objectContaining({
        name: 'api',
        cluster: 'east',
        health: 'Progressing',
        workload: 'Deployment/shop/api',
      }),
    ]);
    expect((await store.applied.list('shop', 'web', 'east')).map((r) => r.ref)).toEqual([
      'apps/v1/Deployment/shop/api',
      'v1/Service/shop/api',
    ]);

    cluster.setStatus(`${DEPLOYMENTS}/api`, available);
    const again = await deploy([web('api')]);
    expect(again.cells[0]).toMatchObject({ health: 'Healthy', message: '1/1 available' });
  });

  it('does not send unchanged objects again, except when resyncing', async () => {
    await deploy([web('api')]);
    const before = cluster.calls.length;
    const unchanged = await deploy([web('api')], { revision: 2 });
    expect(unchanged).toMatchObject({ reason: TargetReason.Applied, sent: 0 });
    expect(cluster.callsOf('PATCH', before)).toEqual([]);

    const changed = await deploy(
      [web('api', { properties: { image: 'nginx:1.28', ports: [{ port: 80 }] } })],
      { revision: 3 },
    );
    expect(changed.sent).toBe(1);
    expect(cluster.callsOf('PATCH', before)).toEqual([`PATCH ${DEPLOYMENTS}/api`]);

    const resync = await deploy(
      [web('api', { properties: { image: 'nginx:1.28', ports: [{ port: 80 }] } })],
      { resync: true },
    );
    expect(resync.sent).toBe(2);
  });

  it('skips rendering when nothing changed since the last clean pass (render cache)', async () => {
    const delivered = new RenderCache();
    const cached = (revisionHash: string) => deploy([web('api')], { revisionHash }, delivered);
    await cached('h1');
    const before = cluster.calls.length;
    expect(await cached('h1')).toMatchObject({ reason: TargetReason.Applied, sent: 0 });
    expect(cluster.calls.length).toBe(before);
    await cached('h2');
    expect(cluster.calls.length).toBeGreaterThan(before);
  });

  it('prunes what is no longer rendered, but never a PersistentVolumeClaim unless told', async () => {
    await deploy([objects('cfg', configMap('a'), configMap('b'), claim('data'))]);
    expect(cluster.paths()).toContain(`${CLAIMS}/data`);

    const pruned = await deploy([objects('cfg', configMap('a'))]);
    expect(pruned).toMatchObject({ reason: TargetReason.Applied, pruned: 1 });
    expect(cluster.object(`${CONFIGMAPS}/b`)).toBeUndefined();
    expect(cluster.object(`${CLAIMS}/data`)).toBeDefined();
    expect((await store.applied.list('shop', 'web', 'east')).map((r) => r.ref)).toEqual([
      'v1/ConfigMap/shop/a',
    ]);

    await deploy([objects('cfg', configMap('a'), claim('scratch'))]);
    await deploy([objects('cfg', configMap('a'))], {
      prune: { enabled: true, persistentVolumeClaims: true, adoptUnowned: false },
    });
    expect(cluster.object(`${CLAIMS}/scratch`)).toBeUndefined();
  });

  it('keys cluster-scoped custom kinds by the cluster discovery, so they are neither re-sent nor pruned', async () => {
    cluster = new FakeCluster('east', {
      '/apis/example.dev/v1': [{ name: 'widgets', kind: 'Widget', namespaced: false }],
    });
    const widget = objects('cr', { apiVersion: 'example.dev/v1', kind: 'Widget', name: 'w' });
    expect(await deploy([widget])).toMatchObject({ reason: TargetReason.Applied, sent: 1 });
    expect(cluster.object('/apis/example.dev/v1/widgets/w')).toBeDefined();
    expect(await deploy([widget], { revision: 2 })).toMatchObject({
      reason: TargetReason.Applied,
      sent: 0,
      pruned: 0,
    });
    expect((await store.applied.list('shop', 'web', 'east')).map((r) => r.ref)).toEqual([
      'example.dev/v1/Widget//w',
    ]);
  });

  it('waits to apply a component until what it depends on is healthy', async () => {
    const components = [web('db'), web('api', { dependsOn: ['db'] })];
    const waiting = await deploy(components);
    expect(waiting).toMatchObject({ reason: TargetReason.WaitingForDependencies, phase: 'Waiting' });
    expect(waiting.message).toBe('api waiting for db to be healthy');
    expect(cluster.object(`${DEPLOYMENTS}/api`)).toBeUndefined();
    expect(waiting.cells.map((c) => [c.name, c.health])).toEqual([
      ['db', 'Progressing'],
      ['api', 'Progressing'],
    ]);

    cluster.setStatus(`${DEPLOYMENTS}/db`, available);
    const applied = await deploy(components);
    expect(applied).toMatchObject({ reason: TargetReason.Applied, sent: 2 });
    expect(cluster.object(`${DEPLOYMENTS}/api`)).toBeDefined();
  });

  it('sends nothing when a component does not render, and says why', async () => {
    const outcome = await deploy([web('api'), web('bad', { properties: {} })]);
    expect(outcome).toMatchObject({ reason: TargetReason.RenderFailed, phase: 'Failed', sent: 0 });
    expect(outcome.message).toMatch(/^rendering failed: bad: /);
    expect(outcome.cells.map((c) => c.message)).toEqual(['not rendered', 'not rendered']);
    expect(cluster.calls).toEqual([]);
  });

  it('tells an unreachable cluster from a refused object by the error, not by its text', async () => {
    cluster.refuse(`${DEPLOYMENTS}/api`, 'the host name is unreachable in spec.template');
    const refused = await deploy([web('api')]);
    expect(refused).toMatchObject({ reason: TargetReason.ApplyFailed, phase: 'Failed' });
    expect(refused.message).toContain('unreachable in spec.template');
    expect(refused.cells[0]).toMatchObject({ health: 'Unhealthy' });

    cluster.reachable = false;
    expect(await deploy([web('api')])).toMatchObject({
      reason: TargetReason.ClusterUnreachable,
      phase: 'Unreachable',
    });
  });

  it('never takes over an object another application applied', async () => {
    await store.applied.record(
      [
        {
          team: 'shop',
          app: 'other',
          cluster: 'east',
          ref: 'v1/ConfigMap/shop/a',
          component: 'x',
          object: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'a' },
          hash: 'h',
          revision: 1,
        },
      ],
      new Date(now).toISOString(),
    );
    const outcome = await deploy([objects('cfg', configMap('a'))]);
    expect(outcome).toMatchObject({ reason: TargetReason.ApplyFailed });
    expect(outcome.message).toContain('is applied by application other');
    expect(cluster.object(`${CONFIGMAPS}/a`)).toBeUndefined();
  });
});
