import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { systemClock } from '@gantry/controllers';
import { NotificationChannelSpec } from '@gantry/model';
import { NotificationService, NotificationWorker } from '@gantry/alerts';
import { Store } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import {
  burstMessage,
  countingReceiver,
  killed,
  startWorkerProcess,
  type CountingReceiver,
} from './notify-support.ts';

// The outbox on PostgreSQL with several servers: one row per dedup key whoever enqueues it, each row sent
// by one claimant (FOR UPDATE SKIP LOCKED), and a worker process killed mid-burst loses nothing; what it
// had in flight is taken over after its lease and sent again with the same id (the in-doubt window).

function service(store: Store) {
  return new NotificationService({
    repository: store.notifications,
    channels: { get: () => Promise.resolve(undefined) },
    secrets: { resolve: () => Promise.reject(new Error('none')) },
    clock: systemClock(),
  });
}

async function enqueueBurst(
  notifications: NotificationService,
  from: number,
  count: number,
  channel = 'burst',
) {
  const ids: string[] = [];
  for (let group = from; group < from + count; group += 1) {
    const { id } = await notifications.enqueue({
      team: 'ops',
      channel,
      groupKey: `{}:{group="${group}"}`,
      dedupKey: `${channel}/${group}`,
      message: burstMessage(group),
    });
    ids.push(id);
  }
  return ids;
}

async function attemptOutcomes(store: Store): Promise<Record<string, number>> {
  const rows = await store.connection.db
    .selectFrom('notification_attempts')
    .select(['outcome', (eb) => eb.fn.countAll().as('n')])
    .groupBy('outcome')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.outcome, Number(row.n)]));
}

describe('notifications on PostgreSQL with several servers', () => {
  let scratch: ScratchDatabase;
  let one: Store;
  let two: Store;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    one = await Store.open({ url: scratch.url });
    two = await Store.open({ url: scratch.url });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await scratch?.drop();
  });

  it('makes one row of the same notification enqueued by two servers at once', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => i);
    const results = await Promise.all(
      keys.flatMap((group) =>
        [one, two].map((store) =>
          service(store).enqueue({
            team: 'dedup',
            channel: 'c',
            groupKey: `g${group}`,
            dedupKey: `k${group}`,
            message: burstMessage(group),
          }),
        ),
      ),
    );
    expect(results.filter((result) => result.created)).toHaveLength(50);
    for (let i = 0; i < results.length; i += 2) expect(results[i]!.id).toBe(results[i + 1]!.id);
    const page = await one.notifications.query({ team: 'dedup', limit: 1000 });
    expect(page.items).toHaveLength(50);
    // Out of the way of the sending tests below.
    await one.connection.db.deleteFrom('notifications').where('team', '=', 'dedup').execute();
  });

  it('sends a burst through two workers, each notification exactly once', async () => {
    const receiver = await countingReceiver(2);
    const spec = Value.Default(NotificationChannelSpec, {
      type: 'webhook',
      webhook: { url: receiver.url },
      rateLimit: { perMinute: 6_000_000, burst: 100_000 },
      concurrency: 16,
    }) as NotificationChannelSpec;
    const workers = [one, two].map(
      (store, i) =>
        new NotificationWorker(
          {
            outbox: store.notifications,
            channels: { get: () => Promise.resolve(spec) },
            secrets: { resolve: () => Promise.reject(new Error('none')) },
            clock: systemClock(),
            server: `server-${i + 1}`,
          },
          { pollIntervalMs: 20, leaseMs: 5000, batchSize: 32 },
        ),
    );
    try {
      for (const worker of workers) worker.start();
      const ids = await enqueueBurst(service(one), 0, 600, 'two-workers');
      await eventually(
        () => Promise.resolve(receiver.counts.size),
        (n) => n === ids.length,
        30_000,
      );
      await Promise.all(workers.map((worker) => worker.idle()));
      expect([...receiver.counts.values()].every((count) => count === 1)).toBe(true);
      expect(receiver.total()).toBe(ids.length);
      const servers = await one.connection.db
        .selectFrom('notification_attempts')
        .select(['server', (eb) => eb.fn.countAll().as('n')])
        .groupBy('server')
        .execute();
      // Both servers took part.
      expect(servers.map((row) => row.server).sort()).toEqual(['server-1', 'server-2']);
      expect(await one.notifications.countActive()).toBe(0);
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await receiver.close();
    }
  }, 60_000);

  describe('a worker process killed mid-burst', () => {
    let receiver: CountingReceiver;
    const children: ChildProcess[] = [];
    afterAll(async () => {
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.all(children.map(killed));
      await receiver?.close();
    });

    it('loses nothing, and sends again only what was in flight when it died, with the same id', async () => {
      const total = 1000;
      const victim: { child?: ChildProcess } = {};
      // Killed from the receiver as the third of the burst arrives: mid-burst however busy the machine is.
      receiver = await countingReceiver(5, (distinct) => {
        const child = victim.child;
        if (distinct >= total / 3 && child?.exitCode === null && child.signalCode === null)
          child.kill('SIGKILL');
      });
      const env = { NOTIFY_LEASE_MS: '1500', NOTIFY_POLL_MS: '25' };
      const a = await startWorkerProcess(scratch.url, receiver.url, 'a', env);
      victim.child = a;
      const b = await startWorkerProcess(scratch.url, receiver.url, 'b', env);
      children.push(a, b);
      const before = await attemptOutcomes(one);
      const ids = await enqueueBurst(service(one), 10_000, total, 'kill');
      await killed(a);
      expect(a.signalCode).toBe('SIGKILL');
      const restarted = await startWorkerProcess(scratch.url, receiver.url, 'a-restarted', env);
      children.push(restarted);
      await eventually(
        () => one.notifications.countActive(),
        (n) => n === 0,
        60_000,
      );
      const lost = ids.filter((id) => !receiver.counts.has(id));
      const duplicated = ids.filter((id) => (receiver.counts.get(id) ?? 0) > 1);
      const outcomes = await attemptOutcomes(one);
      const interrupted = (outcomes.interrupted ?? 0) - (before.interrupted ?? 0);
      expect(lost).toEqual([]);
      // Every repeat is of a notification whose attempt was in doubt, recorded as interrupted.
      const inDoubt = new Set(
        (
          await one.connection.db
            .selectFrom('notification_attempts as a')
            .innerJoin('notifications as n', 'n.seq', 'a.notification_seq')
            .select('n.id')
            .where('a.outcome', '=', 'interrupted')
            .where('n.channel', '=', 'kill')
            .execute()
        ).map((row) => row.id),
      );
      expect(duplicated.filter((id) => !inDoubt.has(id))).toEqual([]);
      expect(interrupted).toBeLessThanOrEqual(16);
      // Nothing the killed worker was not sending is repeated; receivers deduplicating on the id see each once.
      expect(receiver.counts.size).toBe(total);
      console.log(
        `kill test: ${total} notifications, 0 lost, ${duplicated.length} re-sent after the kill (in doubt: ${interrupted} interrupted attempts)`,
      );
    }, 120_000);
  });
});
