import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '@gantry/store';
import { FakeClock } from './fake-clock.ts';
import { NotificationRetention } from './retention.ts';

const T0 = Date.parse('2026-12-02T10:00:00Z');
const DAY = 24 * 3_600_000;

describe('NotificationRetention', () => {
  let store: Store;
  let clock: FakeClock;
  beforeEach(async () => {
    store = await Store.open({ url: ':memory:' });
    clock = new FakeClock(T0);
  });
  afterEach(async () => {
    await store.close();
  });

  /** A row enqueued at `at` and, unless `state` is pending, finished then with one attempt. */
  const row = async (key: string, at: number, state: 'pending' | 'delivered' | 'failed') => {
    await store.notifications.enqueue(
      {
        team: 'a',
        channel: 'hook',
        groupKey: key,
        dedupKey: key,
        status: 'firing',
        alertCount: 1,
        message: '{}',
      },
      at,
    );
    if (state === 'pending') return;
    const [claimed] = await store.notifications.claim({
      server: 's',
      now: at,
      leaseMs: 1000,
      limit: 1,
      exclude: [],
    });
    const attempt = {
      attempt: 1,
      at: new Date(at).toISOString(),
      latencyMs: 1,
      outcome: state === 'delivered' ? 'delivered' : 'permanent',
      statusCode: 200,
      errorClass: null,
      error: null,
      response: null,
      server: 's',
    };
    await store.notifications.finish(
      claimed!,
      { state, dueAt: at, attempts: [attempt], lastError: null, deliveredAt: null },
      at,
    );
  };
  const keys = async () =>
    (await store.connection.db.selectFrom('notifications').select('dedup_key').orderBy('seq').execute()).map(
      (r) => r.dedup_key,
    );
  const attempts = async () =>
    Number(
      (
        await store.connection.db
          .selectFrom('notification_attempts')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('deletes finished rows older than the retention with their attempts, in batches, and keeps the rest', async () => {
    for (let i = 0; i < 5; i += 1) await row(`old-${i}`, T0 - 10 * DAY + i, 'delivered');
    await row('old-failed', T0 - 9 * DAY, 'failed');
    await row('old-pending', T0 - 9 * DAY, 'pending');
    await row('recent', T0 - DAY, 'delivered');
    expect(await attempts()).toBe(7);
    const calls: number[] = [];
    const retention = new NotificationRetention(
      {
        outbox: {
          deleteFinishedBefore: async (before, limit) => {
            const deleted = await store.notifications.deleteFinishedBefore(before, limit);
            calls.push(deleted);
            return deleted;
          },
        },
        clock,
      },
      { retentionMs: 7 * DAY, batchSize: 2, intervalMs: 60_000 },
    );
    expect(await retention.runOnce()).toBe(6);
    expect(calls).toEqual([2, 2, 2, 0]);
    expect(await keys()).toEqual(['old-pending', 'recent']);
    expect(await attempts()).toBe(1);
  });

  it('runs every interval on the clock until stopped', async () => {
    await row('r', T0, 'delivered');
    let passes = 0;
    const retention = new NotificationRetention(
      {
        outbox: {
          deleteFinishedBefore: (before, limit) => {
            passes += 1;
            return store.notifications.deleteFinishedBefore(before, limit);
          },
        },
        clock,
      },
      { retentionMs: DAY, intervalMs: 3_600_000 },
    );
    retention.start();
    clock.advance(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(passes).toBe(1);
    expect(await keys()).toEqual(['r']);
    for (let hour = 0; hour < 25; hour += 1) {
      clock.advance(3_600_000);
      for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(passes).toBe(26);
    expect(await keys()).toEqual([]);
    await retention.stop();
    clock.advance(10 * 3_600_000);
    expect(passes).toBe(26);
  });
});
