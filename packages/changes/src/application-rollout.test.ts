import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { TermScope, type Controller, type ReconcileContext } from '@gantry/controllers';
import {
  Composer,
  DefinitionSource,
  RevisionManager,
  createApplicationController,
  createCelEngine,
  loadCatalog,
  readPins,
  rolloutChangeName,
  seedCatalog,
  type ApplicationObject,
} from '@gantry/delivery';
import { FakeCluster } from '../../delivery/src/kube/fake-cluster.ts';
import { ClusterClientError, type KubeObject } from '@gantry/fleet';
import type { ApplicationSpec, ChangeStatus } from '@gantry/model';
import { Store } from '@gantry/store';
import {
  ApplicationRevisionActuator,
  applicationEntity,
  createApplicationRevisionChange,
} from './application-actuator.ts';
import { ADMIN, ChangeHarness, TEAM, type EngineTerm } from './testing/harness.ts';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const DEPLOYMENT = '/apis/apps/v1/namespaces/shop/deployments/api';
const NAMES = ['east', 'north', 'west'] as const;

let store: Store;
let harness: ChangeHarness;
let clusters: Record<string, FakeCluster>;
let controller: Controller;
let scope: TermScope;
/** `cluster@revision` whose Deployment never becomes available (a bad release there). */
let broken: Set<string>;

const appCtx = (): ReconcileContext => ({
  logger: pino({ level: 'silent' }),
  signal: scope.signal,
  now: () => harness.now,
  term: scope,
});

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The revision Gantry stamped on an object it applied. */
const revisionOf = (object: KubeObject | undefined) =>
  (object?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.[
    'app.gantry.dev/revision'
  ];

/** Plays each cluster's Deployment controller: available at its generation, except on broken clusters. */
function playClusters(): void {
  for (const [name, cluster] of Object.entries(clusters)) {
    const object = cluster.object(DEPLOYMENT);
    if (!object) continue;
    const generation = (object.metadata as { generation?: number }).generation ?? 1;
    const revision = revisionOf(object);
    const status = broken.has(`${name}@${revision}`)
      ? { observedGeneration: generation, replicas: 1, updatedReplicas: 1, availableReplicas: 0 }
      : { observedGeneration: generation, replicas: 1, updatedReplicas: 1, availableReplicas: 1 };
    if (JSON.stringify(object.status) !== JSON.stringify(status)) cluster.setStatus(DEPLOYMENT, status);
  }
}

/** The application controller until it settles, the clusters playing their part in between. */
async function deliver(): Promise<ApplicationObject> {
  for (let i = 0; i < 2; i++) {
    await controller.reconcile(appCtx(), { team: TEAM, name: 'web' });
    await settle();
    playClusters();
  }
  await controller.reconcile(appCtx(), { team: TEAM, name: 'web' });
  await settle();
  return (await harness.resources.get(ADMIN, 'Application', TEAM, 'web')) as ApplicationObject;
}

/** The revision each cluster's Deployment carries (what Gantry last applied there). */
function liveRevisions(): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(clusters).map(([name, cluster]) => [name, revisionOf(cluster.object(DEPLOYMENT))]),
  );
}

async function updateImage(image: string): Promise<void> {
  const app = await harness.resources.get(ADMIN, 'Application', TEAM, 'web');
  const spec = app.spec as ApplicationSpec;
  await harness.resources.replace(ADMIN, 'Application', TEAM, 'web', {
    ...app,
    spec: { ...spec, components: [{ ...spec.components[0]!, properties: { image, ports: [{ port: 80 }] } }] },
  });
}

/**
 * The engine and the application controller taking turns, the clock moving by the engine's requeues;
 * `observe` sees each step (the change's status and the clusters' live revisions).
 */
async function rollOut(
  term: EngineTerm,
  name: string,
  observe: (status: ChangeStatus, live: Record<string, string | undefined>) => void,
): Promise<ChangeStatus> {
  for (let step = 0; step < 500; step++) {
    const result = await term.engine.reconcile(term.ctx, { team: TEAM, name });
    await deliver();
    const status = await harness.status(name);
    observe(status, liveRevisions());
    if (['Succeeded', 'RolledBack', 'Failed', 'Aborted', 'Paused'].includes(status.phase ?? ''))
      return status;
    harness.now += Math.max(1000, result.requeueAfterMs ?? 60_000);
  }
  const last = await harness.status(name);
  throw new Error(
    `the rollout did not end: ${last.phase} ${last.message} ${JSON.stringify(last.conditions)}`,
  );
}

beforeEach(async () => {
  broken = new Set();
  scope = new TermScope();
  store = await Store.open({ url: ':memory:' });
  clusters = Object.fromEntries(NAMES.map((name) => [name, new FakeCluster(name)]));
  const clients = {
    get: async (team: string, name: string) => {
      const found = clusters[name];
      if (!found) throw new ClusterClientError(`${team}/${name}`, 'ClusterNotFound', 'no such cluster');
      return found;
    },
  };
  const actuatorDeps = { repository: store.resources, clients, now: () => harness.now };
  harness = new ChangeHarness(
    store,
    new ApplicationRevisionActuator({
      ...actuatorDeps,
      resources: { replace: (...args) => harness.resources.replace(...args) },
    }),
    T0,
    60_000,
  );
  await harness.createTeam();
  const catalog = loadCatalog();
  await seedCatalog(harness.resources, [...catalog.components, ...catalog.traits]);
  for (const [index, name] of NAMES.entries())
    await harness.resources.create(ADMIN, 'Cluster', TEAM, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name, labels: { 'topology.kubernetes.io/zone': `zone-${index % 2}` } },
      spec: { kubeconfigSecret: { name: `${name}-kubeconfig`, key: 'kubeconfig' } },
    });
  const engine = createCelEngine();
  controller = createApplicationController({
    resources: harness.resources,
    repository: store.resources,
    records: store.applied,
    revisions: new RevisionManager({
      resources: harness.resources,
      repository: store.resources,
      definitions: new DefinitionSource(store.resources),
    }),
    clients,
    composer: new Composer({ engine }),
    engine,
    feed: { subscribe: () => () => undefined },
    events: harness.recorder,
    progressGraceMs: 60_000,
  });
  controller.onLeading?.({
    enqueue: () => undefined,
    signal: scope.signal,
    logger: pino({ level: 'silent' }),
    scope,
  });
  await harness.resources.create(ADMIN, 'Application', TEAM, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web' },
    spec: {
      components: [
        { name: 'api', type: 'webservice', properties: { image: 'nginx:1.27', ports: [{ port: 80 }] } },
      ],
      topology: { clusters: [...NAMES], namespace: 'shop' },
      rollout: {
        plan: {
          batches: [
            { size: '1', bake: '30m' },
            { size: '1', bake: '10m', repeat: true },
          ],
          maxConcurrent: 1,
        },
        gates: { health: false, metrics: [] },
        onFailure: 'Rollback',
        progressDeadlineSeconds: 600,
      },
    },
  });
});

afterEach(async () => {
  scope.end();
  await store.close();
});

describe('application rollouts (applicationRevision changes)', () => {
  it(
    'deploys the first revision everywhere, then rolls a new one out wave by wave',
    { timeout: 120_000 },
    async () => {
      const first = await deliver();
      expect(first.status).toMatchObject({ revision: 1, health: 'Healthy' });
      expect(liveRevisions()).toEqual({ east: '1', north: '1', west: '1' });

      await updateImage('nginx:1.28');
      const held = await deliver();
      // The new revision is recorded but held: every cluster keeps revision 1, and the policy's Change exists.
      expect(held.status).toMatchObject({ revision: 1, latestRevision: 2 });
      expect(liveRevisions()).toEqual({ east: '1', north: '1', west: '1' });
      const name = rolloutChangeName('web', 2);
      expect(name).toBe('web-rollout-v2');
      const change = await harness.resources.get(ADMIN, 'Change', TEAM, name);
      expect(change.spec).toMatchObject({
        applicationRevision: { application: 'web', revision: 2 },
        targets: { names: ['east', 'north', 'west'] },
        failurePolicy: 'Rollback',
      });

      const term = (await harness.lead('server-a'))!;
      const seen: string[] = [];
      const final = await rollOut(term, name, (status, live) => {
        const line = `${status.phase} ${NAMES.map((cluster) => `${cluster}@${live[cluster]}`).join(' ')}`;
        if (seen.at(-1) !== line) seen.push(line);
      });
      expect(final.phase).toBe('Succeeded');
      // One cluster per wave, in the plan's order (entities sorted), each observed before the next.
      expect(seen.filter((line) => !line.startsWith('Pending'))).toEqual([
        'Progressing east@2 north@1 west@1',
        'Observing east@2 north@1 west@1',
        'Progressing east@2 north@2 west@1',
        'Observing east@2 north@2 west@1',
        'Progressing east@2 north@2 west@2',
        'Observing east@2 north@2 west@2',
        'Succeeded east@2 north@2 west@2',
      ]);
      expect(final.batches?.map((batch) => batch.entities)).toEqual([
        ['east/web'],
        ['north/web'],
        ['west/web'],
      ]);
      // The bakes were counted on the clock: 30 minutes after the first wave, 10 after each other.
      const [one, two] = final.batches!;
      expect(Date.parse(one!.completedAt!) - Date.parse(one!.observeUntil!)).toBeLessThan(60_000);
      expect(Date.parse(two!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(one!.observeUntil!));

      // Once the change has ended and every cluster runs revision 2, the pins go and the status says 2.
      harness.now += 10_000;
      const done = await deliver();
      expect(done.status).toMatchObject({ revision: 2, latestRevision: 2 });
      expect(readPins(done)).toBeUndefined();
      expect(done.status?.targets?.map((target) => target.revision)).toEqual([2, 2, 2]);
    },
  );

  it('rolls the completed waves back when a wave turns unhealthy', { timeout: 120_000 }, async () => {
    await deliver();
    await updateImage('nginx:1.28');
    await deliver();
    broken.add('north@2');
    const term = (await harness.lead('server-a'))!;
    const steps: string[] = [];
    const final = await rollOut(term, rolloutChangeName('web', 2), (status, live) => {
      const line = `${status.phase} ${NAMES.map((cluster) => `${cluster}@${live[cluster]}`).join(' ')}`;
      if (steps.at(-1) !== line) steps.push(line);
    });
    expect(final.phase, JSON.stringify(final)).toBe('RolledBack');
    expect(final.batches?.[1]?.failed).toEqual([
      { entity: 'north/web', message: expect.stringContaining('north at revision 2') },
    ]);
    // North went to 2 and failed there; then north and east went back to 1, the last wave first; west never moved.
    expect(steps).toContain('Progressing east@2 north@2 west@1');
    expect(steps).toContain('RollingBack east@2 north@1 west@1');
    expect(steps.at(-1)).toBe('RolledBack east@1 north@1 west@1');
    expect(final.rollback?.batches.map((batch) => batch.entities)).toEqual([['north/web'], ['east/web']]);
    const app = await deliver();
    // The fleet stays at revision 1; revision 2 stays recorded, and its rollout is not started again.
    expect(app.status).toMatchObject({ revision: 1, latestRevision: 2 });
    expect(liveRevisions()).toEqual({ east: '1', north: '1', west: '1' });
    expect(app.status?.conditions?.find((c) => c.type === 'Applied')).toMatchObject({
      status: 'False',
      reason: 'RevisionsPinned',
    });
  });

  it(
    'rolls the application back to an older revision with the same actuator (for self-healing)',
    { timeout: 120_000 },
    async () => {
      await deliver();
      await updateImage('nginx:1.28');
      await deliver();
      const term = (await harness.lead('server-a'))!;
      expect((await rollOut(term, rolloutChangeName('web', 2), () => undefined)).phase).toBe('Succeeded');
      harness.now += 10_000;
      expect((await deliver()).status).toMatchObject({ revision: 2 });
      const name = await createApplicationRevisionChange(harness.resources, ADMIN, {
        team: TEAM,
        application: 'web',
        revision: 1,
        name: 'web-back-to-1',
        clusters: [...NAMES],
        plan: {
          batches: [
            { size: '2', bake: '5m' },
            { size: '1', bake: '5m' },
          ],
          maxConcurrent: 2,
        },
        reason: 'revision 2 burns the error budget',
      });
      const steps: string[] = [];
      const final = await rollOut(term, name, (status, live) => {
        const line = `${status.phase} ${NAMES.map((cluster) => `${cluster}@${live[cluster]}`).join(' ')}`;
        if (steps.at(-1) !== line) steps.push(line);
      });
      expect(final.phase).toBe('Succeeded');
      expect(steps).toContain('Observing east@1 north@1 west@2');
      expect(liveRevisions()).toEqual({ east: '1', north: '1', west: '1' });
      // The fleet runs revision 1 and stays there: revision 2's rollout has ended, none starts again.
      const app = await deliver();
      expect(app.status).toMatchObject({ revision: 1, latestRevision: 2 });
      expect(readPins(app)?.clusters).toEqual({ east: 1, north: 1, west: 1 });
    },
  );

  it('answers the clusters as entities with their labels, and the application on a cluster as subject', async () => {
    await deliver();
    const actuator = harness.actuator as ApplicationRevisionActuator;
    const labels = await actuator.labels(TEAM);
    expect(labels.get(applicationEntity('north', 'web'))).toEqual({
      'topology.kubernetes.io/zone': 'zone-1',
      'gantry.dev/cluster': 'north',
    });
    const spec = {
      applicationRevision: { application: 'web', revision: 1, progressDeadlineSeconds: 600 },
      targets: {},
    } as never;
    await expect(
      actuator.resolve(TEAM, spec, { selector: 'topology.kubernetes.io/zone=zone-0' }),
    ).resolves.toEqual({ ok: true, entities: ['east/web', 'west/web'] });
    await expect(actuator.resolve(TEAM, spec, { names: ['south'] })).resolves.toMatchObject({
      ok: false,
      reason: 'ClusterNotTargeted',
    });
    await expect(
      actuator.resolve(
        TEAM,
        { applicationRevision: { application: 'web', revision: 9, progressDeadlineSeconds: 600 } } as never,
        { names: ['east'] },
      ),
    ).resolves.toMatchObject({ ok: false, reason: 'RevisionNotFound' });
    // A policy's rollout of an older revision than the newest recorded never starts.
    await updateImage('nginx:1.28');
    await deliver();
    await expect(
      actuator.resolve(
        TEAM,
        {
          applicationRevision: {
            application: 'web',
            revision: 1,
            onlyIfLatest: true,
            progressDeadlineSeconds: 600,
          },
        } as never,
        { names: ['east'] },
      ),
    ).resolves.toMatchObject({ ok: false, reason: 'Superseded' });
    expect(actuator.subject(TEAM, 'east/web')).toEqual({
      kind: 'Application',
      team: TEAM,
      name: 'web',
      cluster: 'east',
    });
  });

  it('pins once per key: a repeated apply writes nothing more, and an undo returns to the revision before', async () => {
    await deliver();
    await updateImage('nginx:1.28');
    await deliver();
    const actuator = harness.actuator as ApplicationRevisionActuator;
    const spec = {
      applicationRevision: { application: 'web', revision: 2, progressDeadlineSeconds: 600 },
      targets: { names: ['east'] },
    } as never;
    const request = { team: TEAM, change: 'c', spec, entity: 'east/web', key: 'k', actor: 'test' };
    const first = await actuator.apply(request);
    expect(first.status).toBe('Running');
    const pinned = (await harness.resources.get(ADMIN, 'Application', TEAM, 'web')) as ApplicationObject;
    expect(readPins(pinned)).toEqual({ base: 1, clusters: { east: 2 }, latest: 2, previous: { east: 1 } });
    await actuator.apply(request);
    const again = (await harness.resources.get(ADMIN, 'Application', TEAM, 'web')) as ApplicationObject;
    expect(again.metadata.resourceVersion).toBe(pinned.metadata.resourceVersion);
    await deliver();
    expect(liveRevisions()).toEqual({ east: '2', north: '1', west: '1' });
    const done = await actuator.progress({ ...request, handle: (first as { handle: string }).handle });
    expect(done).toMatchObject({ status: 'Succeeded' });
    expect(await actuator.undo(request)).toMatchObject({ status: 'Running' });
    await deliver();
    expect(liveRevisions()).toEqual({ east: '1', north: '1', west: '1' });
    // West was never pinned by the change: nothing to undo there.
    expect(await actuator.undo({ ...request, entity: 'west/web' })).toMatchObject({ status: 'Succeeded' });
  });

  it('fails a cluster that is not healthy past the progress deadline', async () => {
    await deliver();
    await updateImage('nginx:1.28');
    await deliver();
    broken.add('east@2');
    const actuator = harness.actuator as ApplicationRevisionActuator;
    const spec = {
      applicationRevision: { application: 'web', revision: 2, progressDeadlineSeconds: 30 },
      targets: { names: ['east'] },
    } as never;
    const request = { team: TEAM, change: 'c', spec, entity: 'east/web', key: 'k', actor: 'test' };
    const started = (await actuator.apply(request)) as { handle: string };
    await deliver();
    expect(await actuator.progress({ ...request, handle: started.handle })).toMatchObject({
      status: 'Running',
    });
    harness.now += 31_000;
    await deliver();
    expect(await actuator.progress({ ...request, handle: started.handle })).toMatchObject({
      status: 'Failed',
      reason: 'ProgressDeadlineExceeded',
    });
  });
});
