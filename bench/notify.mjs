// Notification bench (ADR 0014). Run: `node --import tsx bench/notify.mjs [--count 1000] [--rate 50]`;
// with PostgreSQL: `node scripts/with-postgres.mjs node --import tsx bench/notify.mjs` (or set
// GANTRY_TEST_POSTGRES_URL). Reports:
//  1. latency from enqueue (the moment a group's timer expires and the dispatcher hands the notification
//     over) to the webhook receiver having it, p50/p99, with the outbox on SQLite (a file) and PostgreSQL;
//  2. two worker processes on one PostgreSQL database, one SIGKILLed mid-burst and restarted: lost,
//     re-sent (in doubt) and duplicated-by-id figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { systemClock } from '@gantry/controllers';
import { NotificationChannelSpec } from '@gantry/model';
import { NotificationService, NotificationWorker } from '@gantry/alerts';
import { Store } from '@gantry/store';
import { createScratchDatabase } from '../test/support/postgres.ts';
import {
  burstMessage,
  countingReceiver,
  killed,
  startWorkerProcess,
} from '../test/postgres/notify-support.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '50' },
    burst: { type: 'string', default: '2000' },
  },
});
const count = Number(values.count);
const rate = Number(values.rate);
const burst = Number(values.burst);
const WARM_UP = 100;

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

async function latency(label, url) {
  const receiver = await countingReceiver();
  const store = await Store.open({ url });
  const spec = Value.Default(NotificationChannelSpec, {
    type: 'webhook',
    webhook: { url: receiver.url },
    rateLimit: { perMinute: 6_000_000, burst: 100_000 },
  });
  const clock = systemClock();
  const common = {
    channels: { get: () => Promise.resolve(spec) },
    secrets: { resolve: () => Promise.reject(new Error('none')) },
    clock,
  };
  // As the server wires them: the service wakes the local worker after each enqueue.
  const worker = new NotificationWorker({ ...common, outbox: store.notifications, server: 'bench' });
  const service = new NotificationService({
    ...common,
    repository: store.notifications,
    onEnqueued: () => worker.wake(),
  });
  worker.start();
  // Warm-up (not measured): the first sends load fetch, compile validators and warm the JIT.
  for (let i = 0; i < WARM_UP; i += 1)
    await service.enqueue({
      team: 'bench',
      channel: 'hook',
      groupKey: `{}:{warm="${i}"}`,
      dedupKey: `${label}/warm/${i}`,
      message: burstMessage(i),
    });
  while (receiver.counts.size < WARM_UP) await sleep(10);
  receiver.counts.clear();
  receiver.firstAt.clear();
  const enqueuedAt = new Map();
  const started = now();
  for (let i = 0; i < count; i += 1) {
    const due = started + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    const t0 = now();
    const { id } = await service.enqueue({
      team: 'bench',
      channel: 'hook',
      groupKey: `{}:{group="${i}"}`,
      dedupKey: `${label}/${i}`,
      message: burstMessage(i),
    });
    enqueuedAt.set(id, t0);
  }
  while (receiver.counts.size < count) await sleep(10);
  await worker.stop();
  await store.close();
  await receiver.close();
  const ms = [...enqueuedAt].map(([id, t0]) => receiver.firstAt.get(id) - t0).sort((a, b) => a - b);
  return {
    store: label,
    notifications: count,
    warmUp: WARM_UP,
    ratePerSecond: rate,
    p50ms: Number(percentile(ms, 50).toFixed(1)),
    p99ms: Number(percentile(ms, 99).toFixed(1)),
    maxms: Number(ms.at(-1).toFixed(1)),
    duplicates: receiver.total() - receiver.counts.size,
  };
}

async function killTest(url) {
  let a;
  let killedAt = 0;
  let deliveredBeforeKill = 0;
  // Killed from the receiver as the third of the burst arrives: mid-burst however busy the machine is.
  const receiver = await countingReceiver(5, (distinct) => {
    if (distinct >= burst / 3 && a?.exitCode === null && a.signalCode === null) {
      a.kill('SIGKILL');
      killedAt = now();
      deliveredBeforeKill = distinct;
    }
  });
  const store = await Store.open({ url });
  const service = new NotificationService({
    repository: store.notifications,
    channels: { get: () => Promise.resolve(undefined) },
    secrets: { resolve: () => Promise.reject(new Error('none')) },
    clock: systemClock(),
  });
  const env = { NOTIFY_LEASE_MS: '2000', NOTIFY_POLL_MS: '25' };
  a = await startWorkerProcess(url, receiver.url, 'a', env);
  const b = await startWorkerProcess(url, receiver.url, 'b', env);
  // The storm: 32 dispatchers enqueue at once.
  const ids = new Array(burst);
  const t0 = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < burst) {
        const i = next++;
        const { id } = await service.enqueue({
          team: 'bench',
          channel: 'kill',
          groupKey: `{}:{group="${i}"}`,
          dedupKey: `kill/${i}`,
          message: burstMessage(i),
        });
        ids[i] = id;
      }
    }),
  );
  const enqueuedAfterMs = Math.round(now() - t0);
  await killed(a);
  const restarted = await startWorkerProcess(url, receiver.url, 'a-restarted', env);
  while ((await store.notifications.countActive()) > 0) await sleep(20);
  const doneAt = now();
  const interrupted = await store.connection.db
    .selectFrom('notification_attempts')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('outcome', '=', 'interrupted')
    .executeTakeFirstOrThrow();
  for (const child of [b, restarted]) child.kill('SIGTERM');
  await Promise.all([b, restarted].map(killed));
  await store.close();
  await receiver.close();
  const resent = ids.filter((id) => (receiver.counts.get(id) ?? 0) > 1).length;
  return {
    notifications: burst,
    lost: ids.filter((id) => !receiver.counts.has(id)).length,
    sentTwiceWithSameId: resent,
    inDoubtAttempts: Number(interrupted.n),
    distinctIdsDelivered: receiver.counts.size,
    enqueuedAfterMs,
    deliveredBeforeKill,
    killAfterMs: Math.round(killedAt - t0),
    allDoneAfterKillMs: Math.round(doneAt - killedAt),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-notify-'));
try {
  const rows = [await latency('sqlite', join(dir, 'gantry.db'))];
  if (process.env.GANTRY_TEST_POSTGRES_URL) {
    const scratch = await createScratchDatabase('gantry_bench');
    try {
      rows.push(await latency('postgres', scratch.url));
      console.table(rows);
      console.log('two workers on PostgreSQL, one SIGKILLed mid-burst and restarted:');
      console.table([await killTest(scratch.url)]);
    } finally {
      await scratch.drop();
    }
  } else {
    console.table(rows);
    console.log('(no GANTRY_TEST_POSTGRES_URL: the PostgreSQL figures and the kill test were skipped)');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
