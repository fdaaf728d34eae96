import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FencedWriteRefused } from './fence.ts';
import { Store } from './store.ts';
import type { AlertNotificationLogRow } from './alert-dispatch-repository.ts';

const entry = (overrides: Partial<AlertNotificationLogRow> = {}): AlertNotificationLogRow => ({
  team: 'ops',
  groupKey: 'main:{}:{alertname="Down"}',
  receiver: 'pager',
  sequence: 1,
  firing: ['a1b2c3d4e5f60718'],
  resolved: [],
  flapping: [],
  owed: ['a1b2c3d4e5f60718'],
  sentAt: 1000,
  expiresAt: 10_000,
  ...overrides,
});

describe('AlertDispatchRepository on SQLite', () => {
  let store: Store;
  beforeAll(async () => {
    store = await Store.open({ url: ':memory:' });
  });
  afterAll(async () => {
    await store.connection.close();
  });

  it('records, replaces only with a higher sequence, lists by team and purges expired entries', async () => {
    const repo = store.alertDispatch;
    await repo.record(entry());
    await repo.record(entry({ receiver: 'mail', expiresAt: 5000 }));
    await repo.record(entry({ team: 'other' }));
    await repo.record(
      entry({ sequence: 2, firing: [], resolved: ['a1b2c3d4e5f60718'], owed: [], sentAt: 2000 }),
    );
    // A late write of an older sequence (a deposed leader) does not go back.
    await repo.record(entry({ sequence: 1, sentAt: 3000 }));
    const listed = await repo.list('ops');
    expect(listed.find((row) => row.receiver === 'pager')).toEqual(
      entry({ sequence: 2, firing: [], resolved: ['a1b2c3d4e5f60718'], owed: [], sentAt: 2000 }),
    );
    expect(listed.map((row) => row.receiver).sort()).toEqual(['mail', 'pager']);
    expect(await repo.purge(5000)).toBe(1);
    expect((await repo.list('ops')).map((row) => row.receiver)).toEqual(['pager']);
  });

  it("writes a term's log entries and flap histories only while the term is current, refusing only those (ADR 0028)", async () => {
    const repo = store.alertDispatch;
    const LEASE = 'alert-dispatch';
    expect(await store.leases.tryAcquire(LEASE, 'x', 1000, 0)).toBe(true);
    const x = { lease: LEASE, holder: 'x', transitions: (await store.leases.get(LEASE))!.transitions };
    const flap = (changes: number[]) => ({
      team: 'fenced',
      fingerprint: 'f1',
      status: 'firing' as const,
      changes,
      flapping: false,
      updatedAt: 1,
    });
    await repo.record(entry({ team: 'fenced' }), x);
    await repo.saveFlap(flap([1]), x);

    expect(await store.leases.tryAcquire(LEASE, 'y', 1000, 5000)).toBe(true);
    // In one batch (one group commit) with a write of no term: only the stale ones are refused.
    const late = repo.record(entry({ team: 'fenced', sequence: 2, sentAt: 2000 }), x);
    const other = repo.record(entry({ team: 'fenced', receiver: 'mail' }));
    const lateFlap = repo.saveFlap(flap([1, 2, 3]), x);
    await expect(late).rejects.toBeInstanceOf(FencedWriteRefused);
    await expect(lateFlap).rejects.toBeInstanceOf(FencedWriteRefused);
    await other;
    const listed = await repo.list('fenced');
    expect(listed.map((row) => [row.receiver, row.sequence]).sort()).toEqual([
      ['mail', 1],
      ['pager', 1],
    ]);
    expect((await repo.listFlaps('fenced')).map((row) => row.changes)).toEqual([[1]]);
  });
});
