// A notification worker in a process of its own, for the kill tests and bench/notify.mjs: it sends every
// channel's notifications to one webhook receiver. Arguments: <database url> <receiver url> <server name>.
// Prints `ready` once its worker runs; SIGTERM stops it gracefully, SIGKILL is what the tests send.
import { NotificationChannelSpec } from '@gantry/model';
import { Value } from '@sinclair/typebox/value';
import { systemClock } from '@gantry/controllers';
import { NotificationWorker } from '@gantry/alerts';
import { Store } from '@gantry/store';

const [database, receiver, server] = process.argv.slice(2);
if (!database || !receiver || !server)
  throw new Error('usage: notify-worker.child.ts <database> <receiver> <server>');
const leaseMs = Number(process.env.NOTIFY_LEASE_MS ?? 2000);
const pollMs = Number(process.env.NOTIFY_POLL_MS ?? 50);

const spec = Value.Default(NotificationChannelSpec, {
  type: 'webhook',
  webhook: { url: receiver },
  timeoutSeconds: 5,
  retry: { maxAttempts: 10, initialBackoffSeconds: 0.1, maxBackoffSeconds: 1 },
  rateLimit: { perMinute: 6_000_000, burst: 100_000 },
  concurrency: 16,
}) as NotificationChannelSpec;

const store = await Store.open({ url: database });
const worker = new NotificationWorker(
  {
    outbox: store.notifications,
    channels: { get: () => Promise.resolve(spec) },
    secrets: { resolve: () => Promise.reject(new Error('no secrets here')) },
    clock: systemClock(),
    server,
    onError: (error) => process.stderr.write(`worker ${server}: ${String(error)}\n`),
  },
  { leaseMs, pollIntervalMs: pollMs, batchSize: 64 },
);
worker.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker
    .stop()
    .then(() => store.close())
    .then(() => process.exit(0));
});
