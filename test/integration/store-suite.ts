import { Migrator, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '@gantry/model';
import { Store, migrations, type Database, type EventRecordQuery, type GantryEventRow } from '@gantry/store';

function object(name: string, resourceVersion: string, labels?: Record<string, string>): Resource {
  const now = new Date().toISOString();
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Widget',
    metadata: {
      name,
      team: 't',
      uid: `uid-${name}-${resourceVersion}`,
      resourceVersion,
      generation: 1,
      creationTimestamp: now,
      updatedTimestamp: now,
      ...(labels ? { labels } : {}),
    },
    spec: {},
  };
}

/** The store's contract, run against every database it supports. */
export function describeStoreSuite(
  database: string,
  open: () => Promise<{ url: string; cleanup?: () => Promise<void> }>,
) {
  describe(`store on ${database}`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;
    let storeUrl: string;

    beforeAll(async () => {
      const target = await open();
      cleanup = target.cleanup;
      storeUrl = target.url;
      store = await Store.open({ url: target.url });
    });
    afterAll(async () => {
      await store?.close();
      await cleanup?.();
    });

    it('migrates down and up again (every migration is reversible)', async () => {
      const db = store.connection.db as unknown as Kysely<unknown>;
      const migrator = new Migrator({
        db,
        provider: { getMigrations: () => Promise.resolve(migrations(store.dialect)) },
        migrationTableName: 'gantry_migrations',
        migrationLockTableName: 'gantry_migrations_lock',
      });
      const down = await migrator.migrateDown();
      expect(down.error).toBeUndefined();
      expect(await store.ready()).toBe(false);
      const up = await migrator.migrateToLatest();
      expect(up.error).toBeUndefined();
      expect(await store.ready()).toBe(true);
    });

    it('commits an object, its change record and its audit entry together, or none of them', async () => {
      const key = { kind: 'Widget', team: 't', name: 'atomic' };
      await expect(
        store.resources.write(key, () => ({
          type: 'ADDED',
          next: () => {
            throw new Error('boom while building');
          },
        })),
      ).rejects.toThrow('boom');
      const versionBefore = await store.resources.currentResourceVersion();
      expect(await store.resources.get(key)).toBeUndefined();
      const { object: written } = await store.resources.write(key, () => ({
        type: 'ADDED',
        next: (rv) => object('atomic', rv),
        audit: { actor: 'test', source: 'test', action: 'create', ...key },
      }));
      expect(Number(written.metadata.resourceVersion)).toBe(versionBefore + 1);
      const changes = await store.resources.changesSince(versionBefore, { limit: 10 });
      expect(changes.map((c) => [c.type, c.name, c.resourceVersion])).toEqual([
        ['ADDED', 'atomic', versionBefore + 1],
      ]);
      const audit = await store.audit.query({ name: 'atomic', limit: 10 });
      expect(audit.entries[0]?.resourceVersion).toBe(String(versionBefore + 1));
    });

    it('hands out strictly increasing versions to concurrent writers, each change recorded once', async () => {
      const start = await store.resources.currentResourceVersion();
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          store.resources.write({ kind: 'Widget', team: 't', name: `c${i}` }, () => ({
            type: 'ADDED',
            next: (rv) => object(`c${i}`, rv, { batch: 'concurrent' }),
          })),
        ),
      );
      const changes = await store.resources.changesSince(start, { limit: 100 });
      expect(changes.map((c) => c.resourceVersion)).toEqual(
        Array.from({ length: 40 }, (_, i) => start + i + 1),
      );
      expect(new Set(changes.map((c) => c.name)).size).toBe(40);
      const page = await store.resources.list({
        kind: 'Widget',
        selector: [{ key: 'batch', op: 'in', values: ['concurrent'] }],
        limit: 100,
      });
      expect(page.items).toHaveLength(40);
    });

    it('keeps label rows in step with the object', async () => {
      const key = { kind: 'Widget', team: 't', name: 'relabel' };
      await store.resources.write(key, () => ({
        type: 'ADDED',
        next: (rv) => object('relabel', rv, { a: '1' }),
      }));
      await store.resources.write(key, () => ({
        type: 'MODIFIED',
        next: (rv) => object('relabel', rv, { b: '2' }),
      }));
      const byOld = await store.resources.list({
        kind: 'Widget',
        selector: [{ key: 'a', op: 'exists' }],
        limit: 10,
      });
      const byNew = await store.resources.list({
        kind: 'Widget',
        selector: [{ key: 'b', op: 'in', values: ['2'] }],
        limit: 10,
      });
      expect(byOld.items).toHaveLength(0);
      expect(byNew.items.map((o) => o.name)).toEqual(['relabel']);
      await store.resources.write(key, (current) => ({
        type: 'DELETED',
        next: (rv) => ({ ...current!, metadata: { ...current!.metadata, resourceVersion: rv } }),
      }));
      const rows = await (store.connection.db as Kysely<Database>)
        .selectFrom('resource_labels')
        .selectAll()
        .where('name', '=', 'relabel')
        .execute();
      expect(rows).toEqual([]);
    });

    it('reports the versions of named objects without their bodies', async () => {
      const written = await Promise.all(
        ['v-a', 'v-b'].map((name) =>
          store.resources.write({ kind: 'Widget', team: 't', name }, () => ({
            type: 'ADDED',
            next: (rv) => object(name, rv),
          })),
        ),
      );
      const versions = await store.resources.versions('Widget', 't', ['v-a', 'v-b', 'v-missing']);
      expect(Object.fromEntries(versions)).toEqual(
        Object.fromEntries(
          written.map(({ object: o }) => [o.metadata.name, Number(o.metadata.resourceVersion)]),
        ),
      );
      expect((await store.resources.versions('Widget', 't', [])).size).toBe(0);
    });

    it('compacts old changes and reports the oldest resumable version', async () => {
      const current = await store.resources.currentResourceVersion();
      await store.resources.compactChanges(5);
      expect(await store.resources.oldestResumableVersion()).toBe(current - 5);
      expect((await store.resources.changesSince(0, { limit: 100 })).length).toBe(5);
    });

    it('grants a lease to one holder until it expires or is released', async () => {
      expect(await store.leases.tryAcquire('controller/x', 'a', 1000, 10_000)).toBe(true);
      expect(await store.leases.tryAcquire('controller/x', 'b', 1000, 10_500)).toBe(false);
      expect(await store.leases.tryAcquire('controller/x', 'a', 1000, 10_900)).toBe(true);
      expect(await store.leases.tryAcquire('controller/x', 'b', 1000, 11_500)).toBe(false);
      expect(await store.leases.tryAcquire('controller/x', 'b', 1000, 12_000)).toBe(true);
      expect((await store.leases.get('controller/x'))?.transitions).toBe(1);
      await store.leases.release('controller/x', 'b');
      expect(await store.leases.tryAcquire('controller/x', 'a', 1000, 12_100)).toBe(true);
      const contenders = await Promise.all(
        ['p', 'q', 'r', 's'].map((holder) =>
          store.leases.tryAcquire('controller/race', holder, 1000, 20_000),
        ),
      );
      expect(contenders.filter(Boolean)).toHaveLength(1);
    });

    it('stores users and tokens, and finds tokens by hash only', async () => {
      const now = new Date().toISOString();
      expect(
        await store.users.insert({
          username: 'u1',
          passwordHash: 'h',
          admin: false,
          disabled: false,
          createdAt: now,
          updatedAt: now,
        }),
      ).toBe(true);
      expect(
        await store.users.insert({
          username: 'u1',
          passwordHash: 'h',
          admin: false,
          disabled: false,
          createdAt: now,
          updatedAt: now,
        }),
      ).toBe(false);
      await store.users.insertToken({
        id: 't1',
        username: 'u1',
        name: 'n',
        kind: 'api',
        tokenHash: 'abc',
        createdAt: now,
        expiresAt: now,
        lastUsedAt: null,
        revokedAt: null,
      });
      expect((await store.users.findTokenByHash('abc'))?.id).toBe('t1');
      await store.users.delete('u1');
      expect(await store.users.findTokenByHash('abc')).toBeUndefined();
    });

    it('folds repeats of a Gantry event into one record, beside Kubernetes events, and filters both', async () => {
      const gantry = (at: string, fields: Partial<GantryEventRow> = {}): GantryEventRow => ({
        team: 'ev',
        cluster: 'ev/east',
        namespace: '',
        objectKind: 'Node',
        objectName: 'worker-1',
        type: 'Normal',
        reason: 'NodeCordoned',
        message: 'cordoned',
        actor: 'alice',
        count: 1,
        firstSeen: at,
        lastSeen: at,
        ...fields,
      });
      await store.events.fold([gantry('2026-03-01T00:00:00.000Z')]);
      // A batch holding the same event twice, and a repeat of the stored one by someone else.
      await store.events.fold([
        gantry('2026-03-01T00:01:00.000Z', { actor: 'bob', count: 2 }),
        gantry('2026-03-01T00:02:00.000Z', { actor: 'carol' }),
        gantry('2026-03-01T00:02:00.000Z', { type: 'Warning', reason: 'NodeDrainFailed', message: 'x' }),
        gantry('2026-03-01T00:03:00.000Z', {
          team: '',
          cluster: '',
          objectKind: 'ComponentDefinition',
          objectName: 'webservice',
          reason: 'DefinitionUpdated',
          message: 'version 1.0.0 → 1.1.0',
        }),
      ]);
      await store.events.upsert([
        {
          source: 'kubernetes',
          externalId: 'ev/east/u1',
          team: 'ev',
          cluster: 'ev/east',
          namespace: '',
          objectKind: 'Node',
          objectName: 'worker-1',
          type: 'Normal',
          reason: 'NodeNotSchedulable',
          message: 'Node worker-1 status is now: NodeNotSchedulable',
          actor: 'kubelet',
          count: 1,
          firstSeen: '2026-03-01T00:00:30.000Z',
          lastSeen: '2026-03-01T00:00:30.000Z',
        },
      ]);
      const node = await store.events.query({
        teams: ['ev'],
        objectKind: 'Node',
        objectName: 'worker-1',
        limit: 10,
      });
      expect(node.items.map((e) => [e.source, e.reason, e.count, e.actor, e.firstSeen, e.lastSeen])).toEqual([
        ['gantry', 'NodeDrainFailed', 1, 'alice', '2026-03-01T00:02:00.000Z', '2026-03-01T00:02:00.000Z'],
        ['gantry', 'NodeCordoned', 4, 'carol', '2026-03-01T00:00:00.000Z', '2026-03-01T00:02:00.000Z'],
        [
          'kubernetes',
          'NodeNotSchedulable',
          1,
          'kubelet',
          '2026-03-01T00:00:30.000Z',
          '2026-03-01T00:00:30.000Z',
        ],
      ]);
      const byFilter = async (filter: Partial<EventRecordQuery>) =>
        (await store.events.query({ teams: ['ev', ''], limit: 10, ...filter })).items.map((e) => e.reason);
      expect(await byFilter({ source: 'kubernetes' })).toEqual(['NodeNotSchedulable']);
      expect(await byFilter({ type: 'Warning' })).toEqual(['NodeDrainFailed']);
      expect(await byFilter({ reason: 'NodeCordoned' })).toEqual(['NodeCordoned']);
      expect(await byFilter({ cluster: 'ev/east', since: '2026-03-01T00:01:00.000Z' })).toEqual([
        'NodeDrainFailed',
        'NodeCordoned',
      ]);
      expect(await byFilter({ teams: [''] })).toEqual(['DefinitionUpdated']);
      expect(await byFilter({ teams: ['ev'], objectKind: 'ComponentDefinition' })).toEqual([]);
      const first = await store.events.query({ teams: ['ev', ''], limit: 2 });
      expect(first.items.map((e) => e.reason)).toEqual(['DefinitionUpdated', 'NodeDrainFailed']);
      const rest = await store.events.query({
        teams: ['ev', ''],
        limit: 2,
        ...(first.next ? { after: first.next } : {}),
      });
      expect(rest.items.map((e) => e.reason)).toEqual(['NodeCordoned', 'NodeNotSchedulable']);

      // Retention by age takes both sources.
      expect(await store.events.deleteLastSeenBefore('2026-03-01T00:02:00.000Z')).toBe(1);
      expect(await byFilter({})).toEqual(['DefinitionUpdated', 'NodeDrainFailed', 'NodeCordoned']);
    });

    it('records applied objects per application and cluster, replacing and forgetting them', async () => {
      const object = (name: string) => ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'shop',
        name,
      });
      const row = (cluster: string, name: string, hash: string, revision: number) => ({
        team: 't',
        app: 'shop',
        cluster,
        ref: `apps/v1/Deployment/shop/${name}`,
        component: name,
        object: object(name),
        hash,
        revision,
      });
      await store.applied.record(
        [row('east', 'web', 'h1', 1), row('east', 'api', 'h2', 1), row('west', 'web', 'h1', 1)],
        '2026-01-01T00:00:00.000Z',
      );
      await store.applied.record([row('east', 'web', 'h3', 2)], '2026-01-02T00:00:00.000Z');
      const east = await store.applied.list('t', 'shop', 'east');
      expect(east.map((r) => [r.ref, r.hash, r.revision])).toEqual([
        ['apps/v1/Deployment/shop/api', 'h2', 1],
        ['apps/v1/Deployment/shop/web', 'h3', 2],
      ]);
      expect(east[1]).toMatchObject({ object: object('web'), appliedAt: '2026-01-02T00:00:00.000Z' });
      expect(await store.applied.applications()).toEqual([{ team: 't', app: 'shop' }]);
      await store.applied.forget('t', 'shop', 'east', [
        'apps/v1/Deployment/shop/api',
        'apps/v1/Deployment/shop/web',
      ]);
      expect((await store.applied.list('t', 'shop')).map((r) => r.cluster)).toEqual(['west']);
    });

    it('keeps failed-login counters that every server of the database shares', async () => {
      const other = await Store.open({ url: storeUrl });
      try {
        const window = 60_000;
        expect(await store.loginThrottle.recordFailure('source:10.0.0.1', 1000, window)).toBe(1);
        expect(await other.loginThrottle.recordFailure('source:10.0.0.1', 2000, window)).toBe(2);
        expect(await store.loginThrottle.recordFailure('source:10.0.0.1', 3000, window)).toBe(3);
        await other.loginThrottle.block('source:10.0.0.1', 50_000);
        await store.loginThrottle.block('source:10.0.0.1', 40_000);
        expect(await store.loginThrottle.get(['source:10.0.0.1', 'source:10.0.0.2'])).toEqual([
          { key: 'source:10.0.0.1', failures: 3, lastFailureAt: 3000, blockedUntil: 50_000 },
        ]);
        // A failure after a quiet window starts the count again.
        expect(await other.loginThrottle.recordFailure('source:10.0.0.1', 3000 + window + 1, window)).toBe(1);
        await store.loginThrottle.recordFailure('user:ann@10.0.0.1', 1000, window);
        await store.loginThrottle.clear('user:ann@10.0.0.1');
        expect(await other.loginThrottle.get(['user:ann@10.0.0.1'])).toEqual([]);
        await store.loginThrottle.prune(10_000_000);
        expect(await other.loginThrottle.get(['source:10.0.0.1'])).toEqual([]);
      } finally {
        await other.close();
      }
    });
  });
}
