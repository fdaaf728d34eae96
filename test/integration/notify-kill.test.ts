import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '@gantry/controllers';
import { NotificationService } from '@gantry/alerts';
import { Store } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import {
  burstMessage,
  countingReceiver,
  killed,
  startWorkerProcess,
  type CountingReceiver,
} from '../postgres/notify-support.ts';

// SQLite, one server: its worker process is SIGKILLed mid-burst and started again on the same database.
// Nothing is lost; what it was sending when it died is sent again with the same id and logged as an
// interrupted attempt; nothing else is repeated. (PostgreSQL with two servers: test/postgres/notify.test.ts.)

describe('a notification worker killed mid-burst on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-notify-kill-'));
  const database = join(dir, 'gantry.db');
  const children: ChildProcess[] = [];
  let receiver: CountingReceiver | undefined;
  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.all(children.map(killed));
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and repeats only the sends in doubt, with their ids', async () => {
    const total = 500;
    const victim: { child?: ChildProcess } = {};
    // Killed from the receiver as the third of the burst arrives: mid-burst however busy the machine is.
    receiver = await countingReceiver(5, (distinct) => {
      const child = victim.child;
      if (distinct >= total / 3 && child?.exitCode === null && child.signalCode === null)
        child.kill('SIGKILL');
    });
    const store = await Store.open({ url: database });
    const notifications = new NotificationService({
      repository: store.notifications,
      channels: { get: () => Promise.resolve(undefined) },
      secrets: { resolve: () => Promise.reject(new Error('none')) },
      clock: systemClock(),
    });
    const ids: string[] = [];
    for (let group = 0; group < total; group += 1)
      ids.push(
        (
          await notifications.enqueue({
            team: 'ops',
            channel: 'kill',
            groupKey: `{}:{group="${group}"}`,
            dedupKey: `kill/${group}`,
            message: burstMessage(group),
          })
        ).id,
      );
    await store.close();

    const env = { NOTIFY_LEASE_MS: '1000', NOTIFY_POLL_MS: '25' };
    const first = await startWorkerProcess(database, receiver.url, 'first', env);
    victim.child = first;
    children.push(first);
    await killed(first);
    expect(first.signalCode).toBe('SIGKILL');
    expect(receiver.counts.size).toBeLessThan(total);
    const second = await startWorkerProcess(database, receiver.url, 'second', env);
    children.push(second);
    await eventually(
      () => Promise.resolve(receiver!.counts.size),
      (n) => n === total,
      60_000,
    );

    const reader = await Store.open({ url: database });
    try {
      await eventually(
        () => reader.notifications.countActive(),
        (n) => n === 0,
        30_000,
      );
      const inDoubt = (
        await reader.connection.db
          .selectFrom('notification_attempts as a')
          .innerJoin('notifications as n', 'n.seq', 'a.notification_seq')
          .select(['n.id', 'a.server'])
          .where('a.outcome', '=', 'interrupted')
          .execute()
      ).map((row) => ({ id: row.id, server: row.server }));
      const repeated = ids.filter((id) => (receiver!.counts.get(id) ?? 0) > 1);
      expect(ids.filter((id) => !receiver!.counts.has(id))).toEqual([]);
      expect(repeated.filter((id) => !inDoubt.some((row) => row.id === id))).toEqual([]);
      expect(inDoubt.every((row) => row.server === 'first')).toBe(true);
      // At most the killed worker's in-flight sends (its channel's concurrency, 16) were in doubt.
      expect(inDoubt.length).toBeLessThanOrEqual(16);
      expect([...receiver.counts.values()].every((count) => count <= 2)).toBe(true);
    } finally {
      await reader.close();
    }
  }, 120_000);
});
