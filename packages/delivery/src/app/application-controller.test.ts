import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { MemoryEventRecorder, TermScope, type Controller, type ReconcileContext } from '@gantry/controllers';
import { ClusterClientError } from '@gantry/fleet';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import {
  KindRegistry,
  builtinKinds,
  type ApplicationSpec,
  type ApplicationStatus,
  type ComponentSpec,
  type FleetActuator,
  type FleetGateVerdict,
} from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import { loadCatalog } from '../catalog/catalog.ts';
import { createCelEngine } from '../cel-environment.ts';
import { Composer } from '../compose/compose.ts';
import { FakeCluster } from '../kube/fake-cluster.ts';
import { ApplicationCondition, ApplicationReason } from './application-conditions.ts';
import { createApplicationController } from './application-controller.ts';
import { DefinitionSource } from './definitions.ts';
import { DeliveryService, type DeliveryServiceDeps } from './delivery-service.ts';
import { RevisionManager } from './revisions.ts';
import { seedCatalog } from './seed.ts';

const admin: Caller = { principal: SYSTEM_PRINCIPAL, source: 'test' };
const DEPLOYMENTS = '/apis/apps/v1/namespaces/shop/deployments';
const T0 = Date.parse('2026-01-01T00:00:00Z');

let store: Store;
let resources: ResourceService;
let revisions: RevisionManager;
let events: MemoryEventRecorder;
let clusters: Record<string, FakeCluster>;
let controller: Controller;
let service: DeliveryService;
let serviceDeps: DeliveryServiceDeps;
let now = T0;
let scope: TermScope;
/** The fleet gate the controller asks (ADR 0033); open unless a test closes it. */
let gate: (actuator: FleetActuator, at: number) => FleetGateVerdict;

const ctx = (): ReconcileContext => ({
  logger: pino({ level: 'silent' }),
  signal: scope.signal,
  now: () => now,
  term: scope,
});

/** Lets the workload watches list and subscribe (promise callbacks only; no time passes). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

beforeEach(async () => {
  now = T0;
  gate = () => ({ open: true });
  scope = new TermScope();
  store = await Store.open({ url: ':memory:' });
  const kinds = new KindRegistry();
  for (const kind of builtinKinds) kinds.register(kind);
  resources = new ResourceService(kinds, store.resources, () => now);
  const catalog = loadCatalog();
  await seedCatalog(resources, [...catalog.components, ...catalog.traits]);
  const definitions = new DefinitionSource(store.resources);
  revisions = new RevisionManager({ resources, repository: store.resources, definitions });
  await resources.create(admin, 'Team', undefined, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name: 'shop' },
    spec: { members: [] },
  });
  clusters = { east: new FakeCluster('east'), west: new FakeCluster('west') };
  for (const name of Object.keys(clusters))
    await resources.create(admin, 'Cluster', 'shop', {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name },
      spec: { kubeconfigSecret: { name: `${name}-kubeconfig`, key: 'kubeconfig' } },
    });
  const clients = {
    get: async (team: string, name: string) => {
      const found = clusters[name];
      if (!found) throw new ClusterClientError(`${team}/${name}`, 'ClusterNotFound', 'no such cluster');
      return found;
    },
  };
  events = new MemoryEventRecorder();
  const engine = createCelEngine();
  const composer = new Composer({ engine });
  const feed = { subscribe: () => () => undefined };
  controller = createApplicationController({
    resources,
    repository: store.resources,
    records: store.applied,
    revisions,
    clients,
    composer,
    engine,
    feed,
    events,
    fleetGate: { check: async (_team, actuator, at) => gate(actuator, at) },
  });
  serviceDeps = {
    resources,
    repository: store.resources,
    records: store.applied,
    revisions,
    definitions,
    clients,
    composer,
    events,
  };
  service = new DeliveryService(serviceDeps);
  // Leading: the watches stop when the term ends.
  controller.onLeading?.({
    enqueue: () => undefined,
    signal: scope.signal,
    logger: pino({ level: 'silent' }),
    scope,
  });
});

afterEach(async () => {
  scope.end();
  await store.close();
});

const web = (name: string, image = 'nginx:1.27'): ComponentSpec => ({
  name,
  type: 'webservice',
  properties: { image, ports: [{ port: 80 }] },
});

async function createApp(components: ComponentSpec[], clusterNames = ['east', 'west']): Promise<void> {
  await resources.create(admin, 'Application', 'shop', {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web' },
    spec: { components, topology: { clusters: clusterNames, namespace: 'shop' } },
  });
}

/** Changes the application's spec, as a user's write would. */
async function updateSpec(change: Partial<ApplicationSpec>): Promise<void> {
  const app = await resources.get(admin, 'Application', 'shop', 'web');
  await resources.replace(admin, 'Application', 'shop', 'web', {
    ...app,
    spec: { ...(app.spec as ApplicationSpec), ...change },
  });
}

async function reconcile(): Promise<ApplicationStatus> {
  await controller.reconcile(ctx(), { team: 'shop', name: 'web' });
  await settle();
  const app = await resources.get(admin, 'Application', 'shop', 'web');
  return app.status as ApplicationStatus;
}

const condition = (status: ApplicationStatus, type: string) =>
  status.conditions?.find((c) => c.type === type);
const available = { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 };

/** The events recorded since `from`, as `type reason [cluster]`. */
const recorded = (from = 0) =>
  events.events
    .slice(from)
    .map((e) => `${e.type} ${e.reason}${e.regarding.cluster ? ` ${e.regarding.cluster}` : ''}`);

describe('application controller', () => {
  it('records a revision, applies to every target, and reports health through the stages', async () => {
    await createApp([web('api')]);
    const first = await reconcile();
    expect(first).toMatchObject({ revision: 1, latestRevision: 1, health: 'Progressing' });
    expect(first.targets?.map((t) => [t.cluster, t.phase])).toEqual([
      ['east', 'Applied'],
      ['west', 'Applied'],
    ]);
    expect(condition(first, ApplicationCondition.Rendered)).toMatchObject({
      status: 'True',
      reason: 'Rendered',
    });
    expect(condition(first, ApplicationCondition.Applied)).toMatchObject({
      status: 'True',
      reason: 'Applied',
    });
    expect(condition(first, ApplicationCondition.Healthy)).toMatchObject({
      status: 'Unknown',
      reason: ApplicationReason.Progressing,
    });
    expect(condition(first, ApplicationCondition.Ready)).toMatchObject({
      status: 'False',
      reason: 'Progressing',
    });
    expect(recorded()).toEqual([
      'Normal RevisionCreated',
      'Normal ObjectsApplied east',
      'Normal ObjectsApplied west',
    ]);
    expect(events.events[1]).toMatchObject({
      regarding: { kind: 'Application', team: 'shop', name: 'web', cluster: 'east' },
      actor: 'controller/application',
      message: 'applied 2 object(s) of revision 1 to namespace shop',
    });

    // The clusters' controllers roll the Deployments out; the watches bring the live objects.
    for (const cluster of Object.values(clusters)) cluster.setStatus(`${DEPLOYMENTS}/api`, available);
    const patches = () => Object.values(clusters).flatMap((c) => c.callsOf('PATCH'));
    const sentBefore = patches().length;
    const healthy = await reconcile();
    expect(healthy.health).toBe('Healthy');
    expect(condition(healthy, ApplicationCondition.Ready)).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(recorded(3)).toEqual(['Normal Healthy']);
    expect(patches().length).toBe(sentBefore);

    // Nothing changed: no write to the clusters, no event.
    await reconcile();
    expect(recorded(4)).toEqual([]);
    expect(patches().length).toBe(sentBefore);
  });

  it('prunes on a new revision and records it', async () => {
    await createApp([web('api'), web('worker')]);
    await reconcile();
    await updateSpec({ components: [web('api')] });
    const from = events.events.length;
    const status = await reconcile();
    expect(status.latestRevision).toBe(2);
    expect(recorded(from)).toEqual([
      'Normal RevisionCreated',
      'Normal ObjectsPruned east',
      'Normal ObjectsPruned west',
    ]);
    expect(clusters.east!.object(`${DEPLOYMENTS}/worker`)).toBeUndefined();
    expect(clusters.east!.object(`${DEPLOYMENTS}/api`)).toBeDefined();
  });

  it('holds a new revision while the fleet gate is closed and deploys it when the window lifts', async () => {
    await createApp([web('api')]);
    await reconcile();
    const opens = T0 + 3_600_000;
    const asked: FleetActuator[] = [];
    gate = (actuator, at) => {
      asked.push(actuator);
      return at < opens
        ? { open: false, reason: 'WindowClosed', message: 'frozen by ChangeWindow holidays', until: opens }
        : { open: true };
    };
    await updateSpec({ components: [web('api', 'nginx:1.28')] });
    const from = events.events.length;
    const patches = () => Object.values(clusters).flatMap((c) => c.callsOf('PATCH')).length;
    const sent = patches();
    const result = await controller.reconcile(ctx(), { team: 'shop', name: 'web' });
    expect(result.requeueAfterMs).toBe(3_600_000);
    let status = (await resources.get(admin, 'Application', 'shop', 'web')).status as ApplicationStatus;
    expect(status).toMatchObject({ revision: 1, latestRevision: 2 });
    expect(condition(status, ApplicationCondition.Applied)).toMatchObject({
      status: 'False',
      reason: ApplicationReason.WindowClosed,
      message: 'revision 2 waits until 2026-01-01T01:00:00.000Z: frozen by ChangeWindow holidays',
    });
    expect(patches()).toBe(sent);
    expect(asked).toEqual(['applications']);

    // Looked at again inside the window: no second event, still nothing sent.
    now = T0 + 1_800_000;
    expect((await controller.reconcile(ctx(), { team: 'shop', name: 'web' })).requeueAfterMs).toBe(1_800_000);
    expect(recorded(from)).toEqual(['Normal RevisionCreated', 'Normal DeployWaiting']);
    expect(patches()).toBe(sent);

    // At the opening (the requeue's time), the revision goes out by itself.
    now = opens;
    status = await reconcile();
    expect(status).toMatchObject({ revision: 2, latestRevision: 2 });
    expect(condition(status, ApplicationCondition.Applied)).toMatchObject({ status: 'True' });
    expect(patches()).toBeGreaterThan(sent);
  });

  it('deploys a new application’s first revision, but holds the next while the line is stopped', async () => {
    gate = () => ({
      open: false,
      reason: 'LineStopped',
      message: 'the line is stopped: fleet-wide by alice',
    });
    await createApp([web('api')]);
    expect(await reconcile()).toMatchObject({ revision: 1 });
    await updateSpec({ components: [web('api', 'nginx:1.28')] });
    expect((await controller.reconcile(ctx(), { team: 'shop', name: 'web' })).requeueAfterMs).toBe(30_000);
    const status = (await resources.get(admin, 'Application', 'shop', 'web')).status as ApplicationStatus;
    expect(condition(status, ApplicationCondition.Applied)).toMatchObject({
      status: 'False',
      reason: ApplicationReason.LineStopped,
    });
    expect(status.revision).toBe(1);
  });

  it('reports a render failure as Rendered False with its reason, sending nothing', async () => {
    await createApp([web('api'), { name: 'bad', type: 'webservice', properties: {} }]);
    const status = await reconcile();
    expect(condition(status, ApplicationCondition.Rendered)).toMatchObject({
      status: 'False',
      reason: ApplicationReason.RenderFailed,
    });
    expect(condition(status, ApplicationCondition.Rendered)?.message).toMatch(
      /^east: rendering failed: bad: /,
    );
    expect(condition(status, ApplicationCondition.Applied)).toMatchObject({
      reason: ApplicationReason.ApplyFailed,
    });
    expect(status.targets?.map((t) => t.phase)).toEqual(['Failed', 'Failed']);
    expect(recorded()).toEqual([
      'Normal RevisionCreated',
      'Warning RenderFailed east',
      'Warning RenderFailed west',
    ]);
    expect(clusters.east!.callsOf('PATCH')).toEqual([]);
  });

  it('marks an unreachable cluster Unreachable while the others apply', async () => {
    clusters.east!.reachable = false;
    await createApp([web('api')]);
    const status = await reconcile();
    expect(status.targets?.map((t) => [t.cluster, t.phase])).toEqual([
      ['east', 'Unreachable'],
      ['west', 'Applied'],
    ]);
    expect(condition(status, ApplicationCondition.Applied)).toMatchObject({
      status: 'False',
      reason: ApplicationReason.ClusterUnreachable,
    });
    expect(status.health).toBe('Unknown');
    expect(status.components?.find((c) => c.cluster === 'east')).toMatchObject({ health: 'Unknown' });
    expect(clusters.west!.object(`${DEPLOYMENTS}/api`)).toBeDefined();
    expect(recorded()).toEqual([
      'Normal RevisionCreated',
      'Warning ClusterUnreachable east',
      'Normal ObjectsApplied west',
    ]);
  });

  it('reports no targets, and removes what it applied on a cluster it no longer targets', async () => {
    await createApp([web('api')]);
    await reconcile();
    await updateSpec({ topology: { clusters: ['west'], namespace: 'shop' } });
    const from = events.events.length;
    await reconcile();
    expect(clusters.east!.object(`${DEPLOYMENTS}/api`)).toBeUndefined();
    expect(recorded(from)).toEqual(['Normal RevisionCreated', 'Normal ObjectsRemoved east']);

    await updateSpec({ topology: { clusters: ['nowhere'], namespace: 'shop' } });
    const none = await reconcile();
    expect(condition(none, ApplicationCondition.Applied)).toMatchObject({
      status: 'False',
      reason: ApplicationReason.NoTargets,
    });
    expect(condition(none, ApplicationCondition.Applied)?.message).toMatch(/nowhere/);
  });

  it('deletes what a deleted application applied, then its revisions, recording it once', async () => {
    await createApp([web('api')]);
    await reconcile();
    await resources.delete(admin, 'Application', 'shop', 'web');
    const from = events.events.length;
    await controller.reconcile(ctx(), { team: 'shop', name: 'web' });
    expect(clusters.east!.object(`${DEPLOYMENTS}/api`)).toBeUndefined();
    expect(clusters.west!.object(`${DEPLOYMENTS}/api`)).toBeUndefined();
    expect(await store.applied.list('shop', 'web')).toEqual([]);
    expect(await revisions.list('shop', 'web')).toEqual([]);
    expect(recorded(from)).toEqual([
      'Normal ObjectsRemoved east',
      'Normal ObjectsRemoved west',
      'Normal ApplicationDeleted',
    ]);
    await controller.reconcile(ctx(), { team: 'shop', name: 'web' });
    expect(recorded(from)).toHaveLength(3);
  });

  it('records a rollback with the user as actor', async () => {
    await createApp([web('api')]);
    await reconcile();
    await updateSpec({ components: [web('api', 'nginx:1.28')] });
    await reconcile();
    const ann: Caller = { principal: { ...SYSTEM_PRINCIPAL, username: 'ann' }, source: 'test' };
    await service.rollback(ann, 'shop', 'web', 1);
    expect(events.events.at(-1)).toMatchObject({
      type: 'Normal',
      reason: 'RolledBack',
      actor: 'ann',
      regarding: { kind: 'Application', team: 'shop', name: 'web' },
    });
  });

  it('rolls back when a status write moved the application between its read and its write', async () => {
    await createApp([web('api')]);
    await reconcile();
    await updateSpec({ components: [web('api', 'nginx:1.28')] });
    await reconcile();
    // The controller's status write lands while the rollback reads the revisions.
    let raced = 0;
    const racing: RevisionManager = Object.create(revisions);
    racing.list = async (team, name) => {
      if (raced++ === 0) {
        const app = await resources.get(admin, 'Application', team, name);
        const status = app.status as ApplicationStatus;
        await resources.replaceStatus(admin, 'Application', team, name, {
          ...app,
          status: { ...status, health: status.health === 'Healthy' ? 'Progressing' : 'Healthy' },
        });
      }
      return revisions.list(team, name);
    };
    const racingService = new DeliveryService({ ...serviceDeps, revisions: racing });
    const rolled = await racingService.rollback(admin, 'shop', 'web', 1);
    expect(raced).toBe(2);
    expect((rolled.spec as ApplicationSpec).components[0]?.properties).toMatchObject({ image: 'nginx:1.27' });
  });
});
