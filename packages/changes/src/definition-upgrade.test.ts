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
  type RevisionObject,
} from '@gantry/delivery';
import { FakeCluster } from '../../delivery/src/kube/fake-cluster.ts';
import { ClusterClientError, type KubeObject } from '@gantry/fleet';
import { isGantryError, type ApplicationSpec, type ChangeStatus, type Resource } from '@gantry/model';
import { Store } from '@gantry/store';
import type { ChangeActuator } from './actuator.ts';
import { ApplicationRevisionActuator } from './application-actuator.ts';
import { DefinitionUpgradeActuator } from './definition-actuator.ts';
import { ADMIN, ChangeHarness, TEAM, type EngineTerm } from './testing/harness.ts';

// Definition upgrades (ADR 0039) and clusters joining a rollout, with the application controller and the
// change engine taking turns over fake clusters, on a fake clock.

const T0 = Date.parse('2026-03-02T10:00:00Z');
const NAMES = ['east', 'north', 'west', 'south'] as const;
/** The applications, their component (its Deployment) and the clusters they start on. */
const APPS = {
  web: { component: 'api', clusters: ['east', 'north', 'west'] },
  shop: { component: 'cart', clusters: ['east', 'west'] },
} as const;
type AppName = keyof typeof APPS;
const deploymentOf = (app: AppName) => `/apis/apps/v1/namespaces/shop/deployments/${APPS[app].component}`;
const MARK = 'example.com/definition';

let store: Store;
let harness: ChangeHarness;
let clusters: Record<string, FakeCluster>;
let controller: Controller;
let scope: TermScope;
let feed: ((change: { kind: string; team: string; name: string; type?: string; object?: unknown }) => void)[];
/** `cluster@app@revision` whose Deployment never becomes available. */
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

const annotationsOf = (object: KubeObject | undefined) =>
  (object?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {};

function playClusters(): void {
  for (const [name, cluster] of Object.entries(clusters))
    for (const app of Object.keys(APPS) as AppName[]) {
      const object = cluster.object(deploymentOf(app));
      if (!object) continue;
      const generation = (object.metadata as { generation?: number }).generation ?? 1;
      const revision = annotationsOf(object)['app.gantry.dev/revision'];
      const available = broken.has(`${name}@${app}@${revision}`) ? 0 : 1;
      const status = {
        observedGeneration: generation,
        replicas: 1,
        updatedReplicas: 1,
        availableReplicas: available,
      };
      if (JSON.stringify(object.status) !== JSON.stringify(status))
        cluster.setStatus(deploymentOf(app), status);
    }
}

async function deliver(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    for (const app of Object.keys(APPS)) {
      if (!(await store.resources.get({ kind: 'Application', team: TEAM, name: app }))) continue;
      await controller.reconcile(appCtx(), { team: TEAM, name: app });
    }
    await settle();
    playClusters();
  }
}

const revisionsOf = async (app: AppName) =>
  (await harness.resources.list(ADMIN, 'ApplicationRevision', { team: TEAM, limit: 100 })).items
    .map((item) => item as RevisionObject)
    .filter((revision) => revision.spec.application === app);

const application = async (name: AppName) =>
  (await harness.resources.get(ADMIN, 'Application', TEAM, name)) as ApplicationObject;

/** `cluster:revision+mark` of each app's Deployment on each cluster it is on (`+` when the new definition rendered it). */
function live(app: AppName): string {
  return NAMES.flatMap((cluster) => {
    const object = clusters[cluster]!.object(deploymentOf(app));
    if (!object) return [];
    const annotations = annotationsOf(object);
    const template = (
      object as { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }
    ).spec?.template?.metadata?.annotations;
    return [`${cluster}@${annotations['app.gantry.dev/revision']}${template?.[MARK] ? '+' : ''}`];
  }).join(' ');
}

async function rollOut(
  term: EngineTerm,
  name: string,
  observe: (status: ChangeStatus) => Promise<void> | void = () => undefined,
): Promise<ChangeStatus> {
  for (let step = 0; step < 500; step++) {
    const result = await term.engine.reconcile(term.ctx, { team: TEAM, name });
    await deliver();
    const status = await harness.status(name);
    await observe(status);
    if (['Succeeded', 'RolledBack', 'Failed', 'Aborted', 'Paused'].includes(status.phase ?? ''))
      return status;
    harness.now += Math.max(1000, result.requeueAfterMs ?? 60_000);
  }
  throw new Error(`${name} did not end`);
}

/** webservice with `upgradePolicy` and, when `marked`, a pod annotation its new generation adds. */
async function editWebservice(upgradePolicy: 'Staged' | 'Immediate', marked: boolean): Promise<number> {
  const current = (await harness.resources.get(
    ADMIN,
    'ComponentDefinition',
    undefined,
    'webservice',
  )) as Resource<{
    templates: {
      template: { spec: { template: { metadata?: { annotations?: Record<string, string> } } } };
    }[];
  }>;
  const spec = structuredClone(current.spec);
  const pod = spec.templates[0]!.template.spec.template;
  pod.metadata = { ...pod.metadata, annotations: marked ? { [MARK]: 'v2' } : {} };
  if (!marked) delete pod.metadata.annotations;
  const replaced = await harness.resources.replace(ADMIN, 'ComponentDefinition', undefined, 'webservice', {
    ...current,
    spec: { ...spec, upgradePolicy },
  });
  return replaced.metadata.generation;
}

async function setup(
  actuator: (deps: ConstructorParameters<typeof DefinitionUpgradeActuator>[0]) => ChangeActuator,
) {
  const clients = {
    get: async (team: string, name: string) => {
      const found = clusters[name];
      if (!found) throw new ClusterClientError(`${team}/${name}`, 'ClusterNotFound', 'no such cluster');
      return found;
    },
  };
  const revisions = (resources: ChangeHarness['resources']) =>
    new RevisionManager({
      resources,
      repository: store.resources,
      definitions: new DefinitionSource(store.resources),
    });
  harness = new ChangeHarness(
    store,
    actuator({
      repository: store.resources,
      resources: { replace: (...args) => harness.resources.replace(...args) },
      revisions: {
        recordUpgrade: (...args) => revisions(harness.resources).recordUpgrade(...args),
        list: (...args) => revisions(harness.resources).list(...args),
      },
      clients,
      now: () => harness.now,
    }),
    T0,
    60_000,
  );
  await harness.createTeam();
  const catalog = loadCatalog();
  await seedCatalog(harness.resources, [...catalog.components, ...catalog.traits]);
  for (const name of NAMES.slice(0, 3))
    await harness.resources.create(ADMIN, 'Cluster', TEAM, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name, labels: { fleet: 'shop', ring: name === 'east' ? 'canary' : 'main' } },
      spec: { kubeconfigSecret: { name: `${name}-kubeconfig`, key: 'kubeconfig' } },
    });
  const engine = createCelEngine();
  controller = createApplicationController({
    resources: harness.resources,
    repository: store.resources,
    records: store.applied,
    revisions: revisions(harness.resources),
    clients,
    composer: new Composer({ engine }),
    engine,
    feed: { subscribe: (listener: (typeof feed)[number]) => (feed.push(listener), () => undefined) } as never,
    events: harness.recorder,
    progressGraceMs: 60_000,
  });
  controller.onLeading?.({
    enqueue: () => undefined,
    signal: scope.signal,
    logger: pino({ level: 'silent' }),
    scope,
  });
}

async function createApp(name: AppName, extra: Partial<ApplicationSpec> = {}): Promise<void> {
  const { component, clusters: on } = APPS[name];
  await harness.resources.create(ADMIN, 'Application', TEAM, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, labels: { tier: name === 'web' ? 'front' : 'back' } },
    spec: {
      components: [
        { name: component, type: 'webservice', properties: { image: 'nginx:1.27', ports: [{ port: 80 }] } },
      ],
      topology: { clusters: [...on], namespace: 'shop' },
      ...extra,
    },
  });
}

beforeEach(async () => {
  broken = new Set();
  feed = [];
  scope = new TermScope();
  store = await Store.open({ url: ':memory:' });
  clusters = Object.fromEntries(NAMES.map((name) => [name, new FakeCluster(name)]));
});

afterEach(async () => {
  scope.end();
  await store.close();
});

const upgradeChange = (generation: number, targets: Record<string, unknown> = { selector: '' }) => ({
  definitionUpgrade: { kind: 'ComponentDefinition', name: 'webservice', generation },
  targets,
  plan: {
    batches: [
      { size: '1', bake: '30m' },
      { size: '2', bake: '10m', repeat: true },
    ],
    maxConcurrent: 2,
  },
  gates: { health: false, metrics: [] },
  failurePolicy: 'Rollback',
});

describe('definition upgrades (definitionUpgrade changes)', () => {
  beforeEach(async () => {
    await setup((deps) => new DefinitionUpgradeActuator(deps));
    await createApp('web');
    await createApp('shop');
    await deliver();
  });

  it(
    'holds a Staged definition edit, then moves every instance that uses it wave by wave',
    { timeout: 120_000 },
    async () => {
      expect(live('web')).toBe('east@1 north@1 west@1');
      const generation = await editWebservice('Staged', true);
      await deliver();
      // Staged: no application takes the new generation by itself.
      expect((await application('web')).status).toMatchObject({ revision: 1, latestRevision: 1 });
      expect(live('web')).toBe('east@1 north@1 west@1');
      expect(live('shop')).toBe('east@1 west@1');

      await harness.apply('Change', 'webservice-g2', upgradeChange(generation));
      const term = (await harness.lead('server-a'))!;
      const seen: string[] = [];
      const final = await rollOut(term, 'webservice-g2', (status) => {
        const line = `${status.phase} web[${live('web')}] shop[${live('shop')}]`;
        if (seen.at(-1) !== line) seen.push(line);
      });
      expect(final.phase, JSON.stringify(final.conditions)).toBe('Succeeded');
      expect(final.batches?.map((batch) => batch.entities)).toEqual([
        ['east/shop'],
        ['east/web', 'north/web'],
        ['west/shop', 'west/web'],
      ]);
      // The first wave: one instance, observed 30 minutes while every other runs the old definition.
      expect(seen).toContain('Observing web[east@1 north@1 west@1] shop[east@2+ west@1]');
      expect(seen).toContain('Observing web[east@2+ north@2+ west@1] shop[east@2+ west@1]');
      expect(seen.at(-1)).toBe('Succeeded web[east@2+ north@2+ west@2+] shop[east@2+ west@2+]');
      harness.now += 10_000;
      await deliver();
      for (const name of ['web', 'shop'] as const) {
        const app = await application(name);
        expect(app.status).toMatchObject({ revision: 2, latestRevision: 2 });
        expect(readPins(app)).toBeUndefined();
      }
      const revision = (await harness.resources.get(
        ADMIN,
        'ApplicationRevision',
        TEAM,
        'web-v2',
      )) as RevisionObject;
      expect(revision.spec.upgrade).toEqual({
        change: 'webservice-g2',
        kind: 'ComponentDefinition',
        name: 'webservice',
        generation,
      });
      expect(revision.spec.definitions.components.webservice?.generation).toBe(generation);
      // The definition is the applications' own now: an edit of web renders with it.
      const web = await application('web');
      await harness.resources.replace(ADMIN, 'Application', TEAM, 'web', {
        ...web,
        spec: { ...web.spec, description: 'edited' },
      });
      await deliver();
      expect((await application('web')).status).toMatchObject({ revision: 3, latestRevision: 3 });
      const third = (await harness.resources.get(
        ADMIN,
        'ApplicationRevision',
        TEAM,
        'web-v3',
      )) as RevisionObject;
      expect(third.spec.definitions.components.webservice?.generation).toBe(generation);
      expect(live('web')).toBe('east@2+ north@2+ west@2+');
    },
  );

  it('rolls the instances done back to the old definition when one fails', { timeout: 120_000 }, async () => {
    const generation = await editWebservice('Staged', true);
    await deliver();
    broken.add('north@web@2');
    await harness.apply('Change', 'webservice-g2', upgradeChange(generation));
    const term = (await harness.lead('server-a'))!;
    const seen: string[] = [];
    const final = await rollOut(term, 'webservice-g2', (status) => {
      const line = `${status.phase} web[${live('web')}] shop[${live('shop')}]`;
      if (seen.at(-1) !== line) seen.push(line);
    });
    expect(final.phase).toBe('RolledBack');
    expect(seen).toContain('Progressing web[east@2+ north@2+ west@1] shop[east@2+ west@1]');
    expect(seen.at(-1)).toBe('RolledBack web[east@1 north@1 west@1] shop[east@1 west@1]');
    harness.now += 10_000;
    await deliver();
    // The upgrade's revisions are no pin's any more: the applications are back on revision 1, unpinned,
    // and an edit records a revision with the old generation of the definition.
    const web = await application('web');
    expect(web.status).toMatchObject({ revision: 1, latestRevision: 1 });
    expect(readPins(web)).toBeUndefined();
    await harness.resources.replace(ADMIN, 'Application', TEAM, 'web', {
      ...web,
      spec: { ...web.spec, description: 'edited' },
    });
    await deliver();
    expect((await application('web')).status).toMatchObject({ revision: 3, latestRevision: 3 });
    // Rendered alike (no object changed, so none was sent again): still without the new annotation.
    expect(live('web')).toBe('east@1 north@1 west@1');
    const third = (await harness.resources.get(
      ADMIN,
      'ApplicationRevision',
      TEAM,
      'web-v3',
    )) as RevisionObject;
    expect(third.spec.definitions.components.webservice?.generation).toBe(generation - 1);
  });

  it(
    'pins once per key; an edit of the application mid-upgrade takes the generation the upgrade pinned, everywhere',
    { timeout: 60_000 },
    async () => {
      const generation = await editWebservice('Staged', true);
      await deliver();
      const actuator = harness.actuator as DefinitionUpgradeActuator;
      const spec = upgradeChange(generation) as never;
      const request = (entity: string, key: string) => ({
        team: TEAM,
        change: 'up',
        spec,
        entity,
        key,
        actor: 'test',
      });
      expect(await actuator.apply(request('east/web', 'k1'))).toMatchObject({ status: 'Running' });
      const pinned = await application('web');
      expect(await actuator.apply(request('east/web', 'k1'))).toMatchObject({ status: 'Running' });
      expect((await application('web')).metadata.resourceVersion).toBe(pinned.metadata.resourceVersion);
      expect(readPins(pinned)).toEqual({ base: 1, clusters: { east: 2 }, latest: 2, previous: { east: 1 } });
      await deliver();
      expect(live('web')).toBe('east@2+ north@1 west@1');
      // Without a rollout policy a newer revision goes everywhere at once (ADR 0036); its definitions are
      // the newest accepted revision's, the upgrade's.
      const now = await application('web');
      await harness.resources.replace(ADMIN, 'Application', TEAM, 'web', {
        ...now,
        spec: { ...now.spec, description: 'edited' },
      });
      await deliver();
      const edited = await application('web');
      expect(edited.status?.targets?.map((target) => target.revision)).toEqual([3, 3, 3]);
      expect(live('web')).toBe('east@2+ north@3+ west@3+'); // east rendered alike: nothing sent again
      expect(readPins(edited)).toBeUndefined();
      // North already runs the generation: its apply records nothing more, and undoing it changes nothing.
      expect(await actuator.apply(request('north/web', 'k2'))).toMatchObject({ status: 'Running' });
      expect((await revisionsOf('web')).map((revision) => revision.spec.revision)).toEqual([1, 2, 3]);
      expect(await actuator.undo(request('north/web', 'u1'))).toMatchObject({ status: 'Succeeded' });
    },
  );

  it(
    'ignores an upgrade revision no pin names yet (a crash between recording it and pinning), and a repeat pins it',
    { timeout: 60_000 },
    async () => {
      const generation = await editWebservice('Staged', true);
      await deliver();
      const manager = new RevisionManager({
        resources: harness.resources,
        repository: store.resources,
        definitions: new DefinitionSource(store.resources),
      });
      const definition = (await harness.resources.get(
        ADMIN,
        'ComponentDefinition',
        undefined,
        'webservice',
      )) as Resource<{
        version: string;
      }>;
      const recorded = await manager.recordUpgrade(await application('web'), {
        change: 'up',
        kind: 'ComponentDefinition',
        name: 'webservice',
        generation,
        entry: { version: definition.spec.version, generation, spec: definition.spec },
      });
      expect(recorded).toBe(2);
      // A new term (another server after the crash): nothing remembered, every revision listed again.
      scope.end();
      scope = new TermScope();
      controller.onLeading?.({
        enqueue: () => undefined,
        signal: scope.signal,
        logger: pino({ level: 'silent' }),
        scope,
      });
      await deliver();
      // Neither deployed everywhere nor recorded again: the application carries on at revision 1.
      expect((await application('web')).status).toMatchObject({ revision: 1, latestRevision: 1 });
      expect(live('web')).toBe('east@1 north@1 west@1');
      expect((await revisionsOf('web')).map((revision) => revision.spec.revision)).toEqual([1, 2]);
      // The engine repeats the apply after the crash: the same revision, now pinned.
      const actuator = harness.actuator as DefinitionUpgradeActuator;
      const request = {
        team: TEAM,
        change: 'up',
        spec: upgradeChange(generation) as never,
        entity: 'north/web',
        key: 'k',
        actor: 'test',
      };
      expect(await actuator.apply(request)).toMatchObject({ status: 'Running' });
      await deliver();
      expect(live('web')).toBe('east@1 north@2+ west@1');
      expect((await application('web')).status).toMatchObject({ latestRevision: 2 });
      expect((await revisionsOf('web')).map((revision) => revision.spec.revision)).toEqual([1, 2]);
    },
  );

  it('resolves names, instances and selectors over the applications that use the definition', async () => {
    const generation = await editWebservice('Staged', true);
    const actuator = harness.actuator as DefinitionUpgradeActuator;
    const spec = upgradeChange(generation) as never;
    await expect(actuator.resolve(TEAM, spec, { names: ['shop', 'north/web'] })).resolves.toEqual({
      ok: true,
      entities: ['east/shop', 'north/web', 'west/shop'],
    });
    await expect(actuator.resolve(TEAM, spec, { selector: 'ring=canary' })).resolves.toEqual({
      ok: true,
      entities: ['east/shop', 'east/web'],
    });
    await expect(actuator.resolve(TEAM, spec, { selector: 'tier=back' })).resolves.toEqual({
      ok: true,
      entities: ['east/shop', 'west/shop'],
    });
    expect(actuator.subject(TEAM, 'east/web')).toEqual({
      kind: 'Application',
      team: TEAM,
      name: 'web',
      cluster: 'east',
    });
  });

  it('refuses at apply time an unknown definition, one not Staged, a generation it never had, a target that does not use it', async () => {
    const refusal = async (spec: Record<string, unknown>) => {
      try {
        await harness.apply('Change', 'bad', spec);
      } catch (error) {
        if (isGantryError(error)) return { status: error.status, code: error.code, details: error.details };
      }
      return undefined;
    };
    const immediate = await editWebservice('Immediate', false);
    expect(
      await refusal({
        ...upgradeChange(1),
        definitionUpgrade: { kind: 'ComponentDefinition', name: 'nope', generation: 1 },
      }),
    ).toEqual({
      status: 422,
      code: 'GANTRY_E_DEFINITION_UPGRADE',
      details: [{ path: '/spec/definitionUpgrade/name', message: 'no ComponentDefinition nope' }],
    });
    expect(await refusal(upgradeChange(immediate))).toMatchObject({
      details: [
        {
          path: '/spec/definitionUpgrade/name',
          message: expect.stringContaining('not upgradePolicy: Staged'),
        },
      ],
    });
    const staged = await editWebservice('Staged', true);
    expect(await refusal(upgradeChange(staged + 5))).toMatchObject({
      details: [{ path: '/spec/definitionUpgrade/generation' }],
    });
    expect(await refusal(upgradeChange(staged, { names: ['web', 'nope', 'south/web'] }))).toMatchObject({
      code: 'GANTRY_E_DEFINITION_UPGRADE',
      details: [
        { path: '/spec/targets/names/1', message: expect.stringContaining('no application nope') },
        { path: '/spec/targets/names/2', message: expect.stringContaining('not delivered to cluster south') },
      ],
    });
    expect(await refusal(upgradeChange(staged, { names: ['a/b/c'] }))).toMatchObject({
      code: 'GANTRY_E_CHANGE_PLAN',
      details: [{ path: '/spec/targets/names/0' }],
    });
  });
});

describe('a cluster that joins while a rollout runs', () => {
  beforeEach(async () => {
    await setup((deps) => new ApplicationRevisionActuator(deps));
    await createApp('web', {
      topology: { clusterSelector: { matchLabels: { fleet: 'shop' } }, namespace: 'shop' },
      rollout: {
        strategy: 'Fleet',
        plan: {
          batches: [
            { size: '1', bake: '30m' },
            { size: '1', bake: '10m', repeat: true },
          ],
          maxConcurrent: 1,
        },
        gates: { health: false, metrics: [] },
        onFailure: 'Rollback',
        windows: [],
        progressDeadlineSeconds: 600,
      },
    });
    await deliver();
  });

  async function join(name: string): Promise<void> {
    const cluster = await harness.resources.create(ADMIN, 'Cluster', TEAM, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name, labels: { fleet: 'shop' } },
      spec: { kubeconfigSecret: { name: `${name}-kubeconfig`, key: 'kubeconfig' } },
    });
    for (const listener of feed)
      listener({ kind: 'Cluster', type: 'ADDED', team: TEAM, name, object: cluster });
  }

  it(
    'gets the old revision before the first wave has passed, the new one after, and goes back with a rollback',
    { timeout: 120_000 },
    async () => {
      const web = await application('web');
      await harness.resources.replace(ADMIN, 'Application', TEAM, 'web', {
        ...web,
        spec: {
          ...web.spec,
          components: [
            { ...web.spec.components[0]!, properties: { image: 'nginx:1.28', ports: [{ port: 80 }] } },
          ],
        },
      });
      await deliver();
      broken.add('west@web@2');
      const name = rolloutChangeName('web', 2);
      const term = (await harness.lead('server-a'))!;
      const seen: string[] = [];
      let joined = false;
      const final = await rollOut(term, name, async (status) => {
        // Joins during the first wave's observation: the revision has not proven itself yet.
        if (!joined && status.phase === 'Observing' && status.currentBatch === 0) {
          joined = true;
          await join('south');
          await deliver();
        }
        const line = `${status.phase}/${status.currentBatch} ${live('web')}`;
        if (seen.at(-1) !== line) seen.push(line);
      });
      expect(joined).toBe(true);
      expect(final.phase).toBe('RolledBack');
      // South is not an entity of the change: it follows it.
      expect(final.batches?.flatMap((batch) => batch.entities)).toEqual([
        'east/web',
        'north/web',
        'west/web',
      ]);
      expect(seen).toContain('Observing/0 east@2 north@1 west@1 south@1');
      expect(seen).toContain('Observing/1 east@2 north@2 west@1 south@2');
      expect(seen.at(-1)).toBe('RolledBack/2 east@1 north@1 west@1 south@1');
      await deliver();
      expect((await application('web')).status).toMatchObject({ revision: 1 });
    },
  );

  it(
    'runs the new revision once the rollout has succeeded, and the pins go',
    { timeout: 120_000 },
    async () => {
      const web = await application('web');
      await harness.resources.replace(ADMIN, 'Application', TEAM, 'web', {
        ...web,
        spec: { ...web.spec, description: 'v2' },
      });
      await deliver();
      const term = (await harness.lead('server-a'))!;
      let joined = false;
      const final = await rollOut(term, rolloutChangeName('web', 2), async (status) => {
        if (!joined && status.currentBatch === 2) {
          joined = true;
          await join('south');
          await deliver();
          expect(live('web')).toContain('south@2');
        }
      });
      expect(final.phase).toBe('Succeeded');
      harness.now += 10_000;
      await deliver();
      const app = await application('web');
      expect(app.status).toMatchObject({ revision: 2 });
      expect(readPins(app)).toBeUndefined();
      expect(live('web')).toBe('east@2 north@2 west@2 south@2');
    },
  );
});
