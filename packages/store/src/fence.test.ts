import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Resource } from '@gantry/model';
import { FencedWriteRefused, type WriteFence } from './fence.ts';
import { Store } from './store.ts';

const LEASE = 'controller/widget';
let store: Store;

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
});
afterEach(async () => {
  await store.close();
});

function widget(name: string, status: unknown) {
  return (resourceVersion: string): Resource => ({
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Widget',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion,
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00.000Z',
      updatedTimestamp: '2026-01-01T00:00:00.000Z',
    },
    spec: {},
    status,
  });
}
const key = (name: string) => ({ kind: 'Widget', team: '', name });

/** Term `transitions` of holder `holder`, as the lease row says after it was taken. */
async function termOf(holder: string): Promise<WriteFence> {
  const lease = await store.leases.get(LEASE);
  expect(lease?.holder).toBe(holder);
  return { lease: LEASE, holder, transitions: lease!.transitions };
}

describe('fenced writes (SQLite)', () => {
  it('commit in the current term and are refused, changing nothing, once another holder took the lease', async () => {
    expect(await store.leases.tryAcquire(LEASE, 'x', 1000, 0)).toBe(true);
    const x = await termOf('x');
    await store.resources.write(key('w'), () => ({ type: 'ADDED', next: widget('w', { by: 'x' }) }), x);
    await store.applied.record(
      [
        {
          team: 't',
          app: 'hello',
          cluster: 'east',
          ref: 'apps/Deployment/shop/hello',
          component: 'web',
          object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'hello' },
          hash: 'h9',
          revision: 9,
        },
      ],
      '2026-01-01T00:00:00.000Z',
      x,
    );
    await store.alertRuleState.put({ kind: 'AlertRule', team: 't', name: 'r' }, ['x'], 1, x);

    // y takes the expired lease: x's term is over.
    expect(await store.leases.tryAcquire(LEASE, 'y', 1000, 5000)).toBe(true);
    const y = await termOf('y');
    expect(y.transitions).toBe(x.transitions + 1);

    const version = await store.resources.currentResourceVersion();
    await expect(
      store.resources.write(
        key('w'),
        (current) => ({
          type: 'MODIFIED',
          next: (rv) => ({ ...widget('w', { by: 'x, late' })(rv), metadata: { ...current!.metadata } }),
        }),
        x,
      ),
    ).rejects.toBeInstanceOf(FencedWriteRefused);
    await expect(
      store.resources.write(key('new'), () => ({ type: 'ADDED', next: widget('new', {}) }), x),
    ).rejects.toMatchObject({ current: { holder: 'y', transitions: y.transitions } });
    await expect(
      store.applied.record(
        [
          {
            team: 't',
            app: 'hello',
            cluster: 'east',
            ref: 'apps/Deployment/shop/hello',
            component: 'web',
            object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'hello' },
            hash: 'h7',
            revision: 7,
          },
        ],
        '2026-01-01T00:00:01.000Z',
        x,
      ),
    ).rejects.toBeInstanceOf(FencedWriteRefused);
    await expect(
      store.applied.forget('t', 'hello', 'east', ['apps/Deployment/shop/hello'], x),
    ).rejects.toBeInstanceOf(FencedWriteRefused);
    await expect(
      store.alertRuleState.put({ kind: 'AlertRule', team: 't', name: 'r' }, ['x, late'], 2, x),
    ).rejects.toBeInstanceOf(FencedWriteRefused);

    expect(await store.resources.currentResourceVersion()).toBe(version);
    expect((await store.resources.get(key('w')))?.status).toEqual({ by: 'x' });
    expect(await store.resources.get(key('new'))).toBeUndefined();
    expect((await store.applied.list('t', 'hello')).map((r) => r.revision)).toEqual([9]);
    expect((await store.alertRuleState.get({ kind: 'AlertRule', team: 't', name: 'r' }))?.series).toEqual([
      'x',
    ]);

    // The new term writes.
    await store.resources.write(
      key('w'),
      (current) => ({
        type: 'MODIFIED',
        next: (rv) => ({
          ...widget('w', { by: 'y' })(rv),
          metadata: { ...current!.metadata, resourceVersion: rv },
        }),
      }),
      y,
    );
    expect((await store.resources.get(key('w')))?.status).toEqual({ by: 'y' });
  });

  it('refuses a write whose lease row does not exist', async () => {
    await expect(
      store.resources.write(key('w'), () => ({ type: 'ADDED', next: widget('w', {}) }), {
        lease: 'controller/nobody',
        holder: 'x',
        transitions: 0,
      }),
    ).rejects.toMatchObject({ current: undefined });
    expect(await store.resources.get(key('w'))).toBeUndefined();
  });

  it('refuses inventory and event writes of an ended term, changing nothing (ADR 0028)', async () => {
    expect(await store.leases.tryAcquire(LEASE, 'x', 1000, 0)).toBe(true);
    const x = await termOf('x');
    const item = (name: string) => ({
      cluster: 't/east',
      kind: 'Node',
      namespace: '',
      name,
      uid: name,
      data: { ready: true },
    });
    const event = (reason: string) => ({
      team: 't',
      cluster: '',
      namespace: '',
      objectKind: 'Application',
      objectName: 'hello',
      type: 'Normal' as const,
      reason,
      message: reason,
      actor: 'controller/application',
      count: 1,
      firstSeen: '2026-01-01T00:00:00.000Z',
      lastSeen: '2026-01-01T00:00:00.000Z',
    });
    const now = '2026-01-01T00:00:00.000Z';
    await store.inventory.replaceKind('t/east', 'Node', [item('n1')], now, x);
    await store.inventory.apply([{ op: 'upsert', item: item('n2') }], now, x);
    await store.events.fold([event('Applied')], x);

    expect(await store.leases.tryAcquire(LEASE, 'y', 1000, 5000)).toBe(true);
    await expect(store.inventory.apply([{ op: 'upsert', item: item('n3') }], now, x)).rejects.toBeInstanceOf(
      FencedWriteRefused,
    );
    await expect(store.inventory.replaceKind('t/east', 'Node', [], now, x)).rejects.toBeInstanceOf(
      FencedWriteRefused,
    );
    await expect(store.inventory.deleteCluster('t/east', x)).rejects.toBeInstanceOf(FencedWriteRefused);
    await expect(store.events.fold([event('Applied'), event('Late')], x)).rejects.toBeInstanceOf(
      FencedWriteRefused,
    );
    await expect(
      store.events.upsert([{ ...event('Seen'), source: 'kubernetes', externalId: 'e1' }], x),
    ).rejects.toBeInstanceOf(FencedWriteRefused);

    const nodes = await store.inventory.list({ kind: 'Node', limit: 10 });
    expect(nodes.items.map((n) => n.name)).toEqual(['n1', 'n2']);
    const events = await store.events.query({ limit: 10 });
    expect(events.items.map((e) => [e.reason, e.count])).toEqual([['Applied', 1]]);

    // The new term writes.
    await store.inventory.deleteCluster('t/east', await termOf('y'));
    expect((await store.inventory.list({ kind: 'Node', limit: 10 })).items).toEqual([]);
  });
});
