import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFencedWriteRefused } from './fence.ts';
import { Store } from './store.ts';

const T0 = Date.parse('2026-12-02T10:00:00Z');

// The outbox's claim (ADR 0014, migration 0018): due rows by channel, oldest due first, never rows of an
// excluded channel or beyond a channel's capacity, never a second row of a group being sent; takeovers of
// expired leases; and retention of finished rows with their attempts.
describe('NotificationRepository', () => {
  let store: Store;
  beforeEach(async () => {
    store = await Store.open({ url: ':memory:' });
  });
  afterEach(async () => {
    await store.close();
  });

  const enqueue = (team: string, channel: string, group: string, dedup: string, at: number) =>
    store.notifications.enqueue(
      {
        team,
        channel,
        groupKey: group,
        dedupKey: dedup,
        status: 'firing',
        alertCount: 1,
        message: '{}',
      },
      at,
    );
  const claim = (options: {
    now?: number;
    limit?: number;
    exclude?: string[];
    capacity?: Record<string, number>;
    server?: string;
  }) =>
    store.notifications.claim({
      server: options.server ?? 's1',
      now: options.now ?? T0 + 10_000,
      leaseMs: 5_000,
      limit: options.limit ?? 100,
      exclude: options.exclude ?? [],
      ...(options.capacity ? { capacity: options.capacity } : {}),
      defaultCapacity: 100,
    });

  it('enqueues with the fence of the current term, and refuses one from an ended term, writing nothing (ADR 0028)', async () => {
    expect(await store.leases.tryAcquire('alert-dispatch', 'x', 1000, T0)).toBe(true);
    const x = (await store.leases.get('alert-dispatch'))!;
    const fence = { lease: 'alert-dispatch', holder: 'x', transitions: x.transitions };
    const entry = (dedup: string) => ({
      team: 't',
      channel: 'c',
      groupKey: 'g',
      dedupKey: dedup,
      status: 'firing',
      alertCount: 1,
      message: '{}',
    });
    expect((await store.notifications.enqueue(entry('d1'), T0, fence)).created).toBe(true);
    // y takes the lease over; x's next enqueue (alone, or in a batch with an unfenced one) is refused.
    expect(await store.leases.tryAcquire('alert-dispatch', 'y', 1000, T0 + 2000)).toBe(true);
    const [late, unfenced] = await Promise.allSettled([
      store.notifications.enqueue(entry('d2'), T0 + 2000, fence),
      store.notifications.enqueue(entry('d3'), T0 + 2000),
    ]);
    expect(late.status === 'rejected' && isFencedWriteRefused(late.reason)).toBe(true);
    expect(unfenced.status).toBe('fulfilled');
    const rows = await store.notifications.query({ team: 't', limit: 10 });
    expect(rows.items.map((row) => [row.dedupKey, row.state]).sort()).toEqual([
      ['d1', 'superseded'],
      ['d3', 'pending'],
    ]);
  });

  it('claims due rows of every channel oldest due first, and none that are not due', async () => {
    await enqueue('a', 'slow', 'g1', 'd1', T0 + 3);
    await enqueue('b', 'hook', 'g2', 'd2', T0 + 1);
    await enqueue('a', 'hook', 'g3', 'd3', T0 + 2);
    await enqueue('a', 'hook', 'g4', 'd4', T0 + 12_000);
    const rows = await claim({});
    expect(rows.map((row) => row.dedupKey)).toEqual(['d2', 'd3', 'd1']);
    expect(rows.every((row) => row.state === 'sending' && row.claimedBy === 's1')).toBe(true);
    expect(await claim({})).toEqual([]);
    expect((await claim({ now: T0 + 12_000 })).map((row) => row.dedupKey)).toEqual(['d4']);
  });

  it('reads no row of an excluded channel, and no more of a channel than its capacity', async () => {
    for (let i = 0; i < 50; i += 1) await enqueue('a', 'busy', `g${i}`, `busy-${i}`, T0 + i);
    for (let i = 0; i < 5; i += 1) await enqueue('a', 'free', `g${i}`, `free-${i}`, T0 + 100 + i);
    for (let i = 0; i < 5; i += 1) await enqueue('b', 'new', `g${i}`, `new-${i}`, T0 + 200 + i);
    const rows = await claim({ exclude: ['a/busy'], capacity: { 'a/free': 2 } });
    expect(rows.map((row) => row.dedupKey)).toEqual([
      'free-0',
      'free-1',
      'new-0',
      'new-1',
      'new-2',
      'new-3',
      'new-4',
    ]);
    const limited = await claim({ limit: 3 });
    expect(limited.map((row) => row.dedupKey)).toEqual(['busy-0', 'busy-1', 'busy-2']);
  });

  it('does not claim a row of a group whose older notification is being sent', async () => {
    await enqueue('a', 'hook', 'g1', 'first', T0);
    const [first] = await claim({});
    expect(first?.dedupKey).toBe('first');
    await enqueue('a', 'hook', 'g1', 'second', T0 + 1);
    await enqueue('a', 'hook', 'g2', 'other', T0 + 2);
    expect((await claim({})).map((row) => row.dedupKey)).toEqual(['other']);
    await store.notifications.finish(
      first!,
      { state: 'delivered', dueAt: T0, attempts: [], lastError: null, deliveredAt: null },
      T0 + 10_000,
    );
    expect((await claim({})).map((row) => row.dedupKey)).toEqual(['second']);
  });

  it('takes over rows whose lease ran out, as interrupted, with the previous claimant', async () => {
    await enqueue('a', 'hook', 'g1', 'd1', T0);
    await claim({ server: 'dead', now: T0 });
    expect(await claim({ now: T0 + 5_000 })).toEqual([]);
    const [taken] = await claim({ now: T0 + 5_001 });
    expect(taken).toMatchObject({
      dedupKey: 'd1',
      interrupted: true,
      previousClaimant: 'dead',
      claimedBy: 's1',
    });
  });
});
