import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { WorkloadSummary } from '@gantry/model';
import {
  FencedWriteRefused,
  Store,
  type EventRepository,
  type InventoryChange,
  type InventoryRepository,
} from '@gantry/store';
import { ClusterConnection } from './cluster-connection.ts';
import { KubeApiError, type KubeClient, type KubeObject, type WatchEvent } from './kube/kube-client.ts';

type Row = Extract<InventoryChange, { op: 'upsert' }>['item'];

/**
 * A scripted API server: each watched path answers one list (possibly held back until the test lets it
 * go, or refused), then a watch the test emits into.
 */
function fakeApiServer(lists: Record<string, KubeObject[] | Promise<KubeObject[]> | KubeApiError>) {
  const emitters = new Map<string, (event: WatchEvent) => void>();
  const requested: string[] = [];
  const client: KubeClient = {
    server: 'https://fake',
    close: () => undefined,
    request: async <T>(_method: string, path: string) => {
      requested.push(decodeURIComponent(path));
      const list = lists[path.split('?')[0]!] ?? [];
      if (list instanceof KubeApiError) throw list;
      return { metadata: { resourceVersion: '1' }, items: await list } as T;
    },
    watch: (path, _params, onEvent, signal) => {
      emitters.set(path, onEvent);
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  };
  return { client, requested, emit: (path: string, event: WatchEvent) => emitters.get(path)!(event) };
}

/** The inventory as the connection writes it, in memory. */
function memoryInventory() {
  const rows = new Map<string, Row>();
  const key = (r: { kind: string; namespace: string; name: string }) => `${r.kind}/${r.namespace}/${r.name}`;
  const inventory = {
    apply: (changes: readonly InventoryChange[]) => {
      for (const change of changes)
        if (change.op === 'upsert') rows.set(key(change.item), change.item);
        else rows.delete(key(change));
      return Promise.resolve();
    },
    replaceKind: (_cluster: string, kind: string, items: readonly Row[]) => {
      for (const [k, row] of rows) if (row.kind === kind) rows.delete(k);
      for (const item of items) rows.set(key(item), item);
      return Promise.resolve();
    },
  } as unknown as InventoryRepository;
  const coverage = (kind: string, namespace: string, name: string) =>
    (rows.get(`${kind}/${namespace}/${name}`)?.data as WorkloadSummary | undefined)?.podDisruptionBudget;
  return { inventory, rows, coverage };
}

const deployment = (namespace: string, name: string, podLabels: Record<string, string>): KubeObject => ({
  metadata: { name, namespace, uid: `${namespace}-${name}`, labels: { owner: 'shop' } },
  spec: { replicas: 3, template: { metadata: { labels: podLabels }, spec: { containers: [] } } },
  status: {},
});
const budget = (namespace: string, name: string, selector: unknown): KubeObject => ({
  metadata: { name, namespace, uid: `pdb-${namespace}-${name}` },
  spec: { minAvailable: 1, selector },
  status: { currentHealthy: 3, desiredHealthy: 1, disruptionsAllowed: 2, expectedPods: 3 },
});

const DEPLOYMENTS = '/apis/apps/v1/deployments';
const STATEFULSETS = '/apis/apps/v1/statefulsets';
const BUDGETS = '/apis/policy/v1/poddisruptionbudgets';

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  if (!condition()) throw new Error(`never: ${what}`);
}

function connect(client: KubeClient, inventory: InventoryRepository, tlsCertificates = false) {
  return new ClusterConnection({
    tlsCertificates,
    cluster: 'shop/east',
    team: 'shop',
    client,
    inventory,
    events: { upsert: () => Promise.resolve() } as unknown as EventRepository,
    logger: pino({ level: 'silent' }),
    now: () => Date.parse('2026-12-03T08:00:00Z'),
    flushIntervalMs: 1,
  });
}

describe('ClusterConnection: PodDisruptionBudgets', () => {
  it("stores budgets and each workload's coverage by its pods' labels, and follows budget changes", async () => {
    let listBudgets!: (items: KubeObject[]) => void;
    const api = fakeApiServer({
      [DEPLOYMENTS]: [
        deployment('shop', 'web', { app: 'web' }),
        deployment('shop', 'api', { app: 'api' }),
        deployment('batch', 'worker', { app: 'worker', tier: 'back' }),
      ],
      [STATEFULSETS]: [
        {
          metadata: { name: 'db', namespace: 'data', uid: 'db' },
          spec: { replicas: 3, template: { metadata: { labels: { app: 'db', role: 'primary' } } } },
          status: {},
        },
      ],
      [BUDGETS]: new Promise<KubeObject[]>((resolve) => (listBudgets = resolve)),
    });
    const { inventory, rows, coverage } = memoryInventory();
    const connection = connect(api.client, inventory);
    connection.start();
    try {
      // Until the budgets are listed, Gantry cannot tell "none" from "not yet": no coverage at all.
      await until(
        'the workloads stored',
        () => rows.has('StatefulSet/data/db') && rows.has('Deployment/shop/api'),
      );
      expect(coverage('Deployment', 'shop', 'web')).toBeUndefined();
      expect(connection.state().kinds.PodDisruptionBudget!.synced).toBe(false);

      listBudgets([
        budget('shop', 'web', { matchLabels: { app: 'web' } }),
        budget('data', 'db', { matchExpressions: [{ key: 'role', operator: 'In', values: ['primary'] }] }),
        // Another namespace's budget with the same labels covers nothing here.
        budget('batch', 'api', { matchLabels: { app: 'api' } }),
      ]);
      await until('coverage known', () => coverage('Deployment', 'shop', 'api') !== undefined);
      expect(coverage('Deployment', 'shop', 'web')).toBe('covered');
      expect(coverage('Deployment', 'shop', 'api')).toBe('uncovered');
      expect(coverage('Deployment', 'batch', 'worker')).toBe('uncovered');
      expect(coverage('StatefulSet', 'data', 'db')).toBe('covered');
      expect(rows.get('PodDisruptionBudget/shop/web')?.data).toEqual({
        selector: { matchLabels: { app: 'web' } },
        minAvailable: '1',
        currentHealthy: 3,
        desiredHealthy: 1,
        disruptionsAllowed: 2,
        expectedPods: 3,
      });
      expect(connection.state().kinds.PodDisruptionBudget!.synced).toBe(true);

      // A budget added for api, web's removed, and one that selects every pod of batch.
      api.emit(BUDGETS, { type: 'ADDED', object: budget('shop', 'api', { matchLabels: { app: 'api' } }) });
      api.emit(BUDGETS, { type: 'DELETED', object: budget('shop', 'web', { matchLabels: { app: 'web' } }) });
      api.emit(BUDGETS, { type: 'ADDED', object: budget('batch', 'all', {}) });
      await until('budget changes applied', () => coverage('Deployment', 'shop', 'web') === 'uncovered');
      expect(coverage('Deployment', 'shop', 'api')).toBe('covered');
      expect(coverage('Deployment', 'batch', 'worker')).toBe('covered');
      expect(rows.has('PodDisruptionBudget/shop/web')).toBe(false);

      // A workload whose pod labels change is judged again; one deleted is forgotten.
      api.emit(DEPLOYMENTS, { type: 'MODIFIED', object: deployment('shop', 'api', { app: 'api-v2' }) });
      api.emit(DEPLOYMENTS, { type: 'DELETED', object: deployment('shop', 'web', { app: 'web' }) });
      await until('api judged again', () => coverage('Deployment', 'shop', 'api') === 'uncovered');
      expect(rows.has('Deployment/shop/web')).toBe(false);
      // Re-adding web's budget touches nothing that is gone.
      api.emit(BUDGETS, { type: 'ADDED', object: budget('shop', 'web', { matchLabels: { app: 'web' } }) });
      await until('budget stored', () => rows.has('PodDisruptionBudget/shop/web'));
      expect(rows.has('Deployment/shop/web')).toBe(false);
    } finally {
      await connection.stop();
    }
  });

  it('says nothing about coverage while the budgets cannot be listed (RBAC)', async () => {
    const api = fakeApiServer({
      [DEPLOYMENTS]: [deployment('shop', 'web', { app: 'web' })],
      [BUDGETS]: new KubeApiError('poddisruptionbudgets is forbidden', 403, 'Forbidden'),
    });
    const { inventory, rows, coverage } = memoryInventory();
    const connection = connect(api.client, inventory);
    connection.start();
    try {
      await until('web stored', () => rows.has('Deployment/shop/web'));
      await until(
        'the failure seen',
        () => connection.state().kinds.PodDisruptionBudget!.error !== undefined,
      );
      expect(connection.state().kinds.PodDisruptionBudget).toMatchObject({ synced: false, errorStatus: 403 });
      expect(coverage('Deployment', 'shop', 'web')).toBeUndefined();
    } finally {
      await connection.stop();
    }
  });
});

describe('ClusterConnection: TLS Secrets (opt-in)', () => {
  const SECRETS = '/api/v1/secrets';
  const tlsSecret = {
    metadata: { name: 'shop-tls', namespace: 'shop', uid: 's1' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from('not a certificate').toString('base64'), 'tls.key': 'c2VjcmV0' },
  };

  it('lists only kubernetes.io/tls Secrets, and keeps no secret data', async () => {
    const api = fakeApiServer({ [SECRETS]: [tlsSecret] });
    const { inventory, rows } = memoryInventory();
    const connection = connect(api.client, inventory, true);
    connection.start();
    try {
      await until('the secret summarized', () => rows.has('TLSCertificate/shop/shop-tls'));
      expect(api.requested.find((path) => path.startsWith(SECRETS))).toContain(
        'fieldSelector=type=kubernetes.io/tls',
      );
      expect(rows.get('TLSCertificate/shop/shop-tls')!.data).toEqual({
        unreadable: 'tls.crt is not a PEM or DER certificate',
      });
      expect(JSON.stringify([...rows.values()])).not.toContain('c2VjcmV0');
      await until('synced', () => connection.state().kinds.TLSCertificate?.synced === true);
    } finally {
      await connection.stop();
    }
  });

  it('does not touch Secrets unless opted in', async () => {
    const api = fakeApiServer({ [SECRETS]: [tlsSecret] });
    const { inventory, rows } = memoryInventory();
    const connection = connect(api.client, inventory);
    connection.start();
    try {
      await until('the nodes listed', () => connection.state().kinds.Node!.synced);
      expect(api.requested.some((path) => path.startsWith(SECRETS))).toBe(false);
      expect(connection.state().kinds.TLSCertificate).toBeUndefined();
      expect([...rows.keys()].some((key) => key.startsWith('TLSCertificate/'))).toBe(false);
    } finally {
      await connection.stop();
    }
  });
});

describe('ClusterConnection: fenced writes (ADR 0028)', () => {
  it('refuses a held write once the lease moved, changing nothing, and writes nothing more in the term', async () => {
    const store = await Store.open({ url: ':memory:' });
    try {
      const LEASE = 'controller/cluster';
      const T = Date.parse('2026-12-03T08:00:00Z');
      expect(await store.leases.tryAcquire(LEASE, 'x', 1000, T)).toBe(true);
      const fence = { lease: LEASE, holder: 'x', transitions: (await store.leases.get(LEASE))!.transitions };
      // The store's inventory, with each write held (the leader paused mid-write) while `hold` is set.
      let hold: Promise<void> | undefined;
      let held = 0;
      let writes = 0;
      const inventory = {
        apply: async (...args: Parameters<InventoryRepository['apply']>) => {
          writes += 1;
          if (hold) {
            held += 1;
            await hold;
          }
          return store.inventory.apply(...args);
        },
        replaceKind: (...args: Parameters<InventoryRepository['replaceKind']>) =>
          store.inventory.replaceKind(...args),
      } as unknown as InventoryRepository;
      const refusals: unknown[] = [];
      const api = fakeApiServer({ [DEPLOYMENTS]: [deployment('shop', 'web', { app: 'web' })] });
      const connection = new ClusterConnection({
        cluster: 'shop/east',
        team: 'shop',
        client: api.client,
        inventory,
        events: store.events,
        logger: pino({ level: 'silent' }),
        now: () => T,
        flushIntervalMs: 1,
        term: { fence, refused: (error) => refusals.push(error) },
      });
      const stored = async () =>
        (await store.inventory.list({ kind: 'Deployment', limit: 10 })).items.map((item) => item.name);
      connection.start();
      try {
        for (let i = 0; i < 2_000 && (await stored()).length === 0; i++)
          await new Promise((resolve) => setTimeout(resolve, 1));
        expect(await stored()).toEqual(['web']);

        let release!: () => void;
        hold = new Promise<void>((resolve) => (release = resolve));
        writes = 0;
        api.emit(DEPLOYMENTS, { type: 'ADDED', object: deployment('shop', 'api', { app: 'api' }) });
        await until('the write held', () => held === 1);
        // Another server takes the lease while the write is in flight.
        expect(await store.leases.tryAcquire(LEASE, 'y', 1000, T + 2000)).toBe(true);
        release();
        await until('the refusal reported', () => refusals.length === 1);
        expect(refusals[0]).toBeInstanceOf(FencedWriteRefused);
        expect(await stored()).toEqual(['web']);

        // The term is over: what the watches still see is not written.
        hold = undefined;
        api.emit(DEPLOYMENTS, { type: 'DELETED', object: deployment('shop', 'web', { app: 'web' }) });
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(writes).toBe(1);
        expect(refusals).toHaveLength(1);
        expect(await stored()).toEqual(['web']);
      } finally {
        await connection.stop();
      }
    } finally {
      await store.close();
    }
  });
});
