import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import {
  MemoryEventRecorder,
  TermScope,
  leaseTermCheck,
  type Controller,
  type ReconcileContext,
} from '@gantry/controllers';
import { ClusterClientError } from '@gantry/fleet';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import { KindRegistry, builtinKinds, type ApplicationSpec, type ApplicationStatus } from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { FencedWriteRefused, Store } from '@gantry/store';
import { loadCatalog } from '../catalog/catalog.ts';
import { createCelEngine } from '../cel-environment.ts';
import { Composer } from '../compose/compose.ts';
import { FakeCluster } from '../kube/fake-cluster.ts';
import { createApplicationController } from './application-controller.ts';
import { DefinitionSource } from './definitions.ts';
import { REVISION_ANNOTATION, RevisionManager } from './revisions.ts';
import { seedCatalog } from './seed.ts';

// Issue 15, part 1: two servers' application controllers share one database and hand the lease to each
// other; nothing one learned in a term may be believed in a later one.

const admin: Caller = { principal: SYSTEM_PRINCIPAL, source: 'test' };
const LEASE = 'controller/application';
const DEPLOYMENT = '/apis/apps/v1/namespaces/shop/deployments/api';
const TTL = 10_000;

let store: Store;
let resources: ResourceService;
let east: FakeCluster;
let now = Date.parse('2026-01-01T00:00:00Z');

/** One server: its own controller (and RevisionManager), as `gantry server` makes them. */
function server(): Controller {
  const definitions = new DefinitionSource(store.resources);
  const engine = createCelEngine();
  return createApplicationController({
    resources,
    repository: store.resources,
    records: store.applied,
    revisions: new RevisionManager({ resources, repository: store.resources, definitions }),
    clients: {
      get: (team, name) =>
        name === 'east'
          ? Promise.resolve(east)
          : Promise.reject(new ClusterClientError(`${team}/${name}`, 'ClusterNotFound', 'no such cluster')),
    },
    composer: new Composer({ engine }),
    engine,
    feed: { subscribe: () => () => undefined },
    events: new MemoryEventRecorder(),
  });
}

/** `holder` takes the lease (the old holder's expired) and starts a term, as the runtime does. */
async function takeLease(holder: string): Promise<TermScope> {
  now += TTL + 1;
  expect(await store.leases.tryAcquire(LEASE, holder, TTL, now)).toBe(true);
  const lease = (await store.leases.get(LEASE))!;
  return new TermScope({
    fence: { lease: LEASE, holder, transitions: lease.transitions },
    check: leaseTermCheck(store.leases),
  });
}

async function reconcile(controller: Controller, term: TermScope): Promise<ApplicationStatus> {
  const ctx: ReconcileContext = {
    logger: pino({ level: 'silent' }),
    signal: term.signal,
    now: () => now,
    term,
  };
  await controller.reconcile(ctx, { team: 'shop', name: 'hello' });
  return (await resources.get(admin, 'Application', 'shop', 'hello')).status as ApplicationStatus;
}

async function setImage(image: string): Promise<void> {
  const app = await resources.get(admin, 'Application', 'shop', 'hello');
  const spec = app.spec as ApplicationSpec;
  await resources.replace(admin, 'Application', 'shop', 'hello', {
    ...app,
    spec: { ...spec, components: [{ ...spec.components[0]!, properties: { image, ports: [{ port: 80 }] } }] },
  });
}

const annotation = () =>
  (east.object(DEPLOYMENT)?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.[
    REVISION_ANNOTATION
  ];
const recordedRevisions = async () => [
  ...new Set((await store.applied.list('shop', 'hello')).map((r) => r.revision)),
];
const revisionNumbers = async () =>
  (await store.resources.list({ kind: 'ApplicationRevision', teams: ['shop'], limit: 100 })).items
    .map((item) => (JSON.parse(item.json) as { spec: { revision: number } }).spec.revision)
    .sort((a, b) => a - b);

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
  const kinds = new KindRegistry();
  for (const kind of builtinKinds) kinds.register(kind);
  resources = new ResourceService(kinds, store.resources, () => now);
  const catalog = loadCatalog();
  await seedCatalog(resources, [...catalog.components, ...catalog.traits]);
  await resources.create(admin, 'Team', undefined, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name: 'shop' },
    spec: { members: [] },
  });
  await resources.create(admin, 'Cluster', 'shop', {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'east' },
    spec: { kubeconfigSecret: { name: 'east-kubeconfig', key: 'kubeconfig' } },
  });
  east = new FakeCluster('east');
  await resources.create(admin, 'Application', 'shop', {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'hello' },
    spec: {
      components: [
        { name: 'api', type: 'webservice', properties: { image: 'hello:7', ports: [{ port: 80 }] } },
      ],
      topology: { clusters: ['east'], namespace: 'shop' },
    },
  });
});

afterEach(async () => {
  await store.close();
});

describe('application controller across terms (issue 15)', () => {
  it('reports the newest revision after the lease comes back, and a paused term changes nothing', async () => {
    const x = server();
    const y = server();

    // X leads: revision 1 (hello:7) is recorded and applied.
    const xFirst = await takeLease('x');
    expect(await reconcile(x, xFirst)).toMatchObject({ revision: 1, latestRevision: 1 });
    expect(annotation()).toBe('1');

    // X is paused (its term never heard it ended); Y takes the lease. The spec changes twice: revision 2,
    // then revision 3 with revision 1's content. Y applies both.
    const yTerm = await takeLease('y');
    await setImage('hello:8');
    expect(await reconcile(y, yTerm)).toMatchObject({ revision: 2, latestRevision: 2 });
    await setImage('hello:7');
    expect(await reconcile(y, yTerm)).toMatchObject({ revision: 3, latestRevision: 3 });
    expect(annotation()).toBe('3');
    const applies = east.callsOf('PATCH').length;

    // X resumes mid-term: it would take revision 1 for the newest (same content, remembered in its term),
    // but its term is over. It applies nothing and writes nothing.
    await expect(reconcile(x, xFirst)).rejects.toBeInstanceOf(FencedWriteRefused);
    expect(east.callsOf('PATCH')).toHaveLength(applies);
    expect(annotation()).toBe('3');
    expect(await recordedRevisions()).toEqual([3]);
    expect((await resources.get(admin, 'Application', 'shop', 'hello')).status).toMatchObject({
      revision: 3,
      latestRevision: 3,
    });

    // X's elector steps down (the term ends, its caches go) and later X takes the lease back.
    xFirst.end();
    const xSecond = await takeLease('x');
    expect(await reconcile(x, xSecond)).toMatchObject({ revision: 3, latestRevision: 3 });
    expect(annotation()).toBe('3');
    expect(await recordedRevisions()).toEqual([3]);
    expect(await revisionNumbers()).toEqual([1, 2, 3]);
  });

  it('a term that ended is refused even before another server writes', async () => {
    const x = server();
    const term = await takeLease('x');
    term.end();
    await expect(reconcile(x, term)).rejects.toBeInstanceOf(FencedWriteRefused);
    expect(annotation()).toBeUndefined();
  });
});
