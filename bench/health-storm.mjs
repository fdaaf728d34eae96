// Health storm (issue 11, performance): 2,000 node alerts from 500 nodes of two racks, posted to the real
// ingest (`POST /api/v2/alerts`, batches of 64 as Prometheus sends) within 30 s, must become at most 2
// exceptions, and the first notification must reach a webhook receiver within group_wait + 1 s of the
// first alert. In one process: the server (as `gantry server` wires it, SQLite in a throwaway data dir, or
// PostgreSQL when GANTRY_TEST_POSTGRES_URL is set), the fleet inventory's node records with zone and rack
// labels, the correlation runner and the escalator over the server's store and outbox, the in-memory
// exception port (the exception service is wired at merge), and a webhook NotificationChannel posting to
// this script's receiver on 127.0.0.1.
// Usage: node --import tsx bench/health-storm.mjs [--alerts 2000] [--nodes 500] [--racks 2] [--seconds 30]
//        [--group-wait 10s] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration, watchAlertChanges } from '@gantry/alerts';
import { systemClock } from '@gantry/controllers';
import { createCelEngine } from '@gantry/delivery';
import {
  createCorrelationRunner,
  createEscalator,
  inventoryTopology,
  MemoryExceptions,
  escalationPolicySource,
} from '@gantry/health';
import { resolveConfig, startServer } from '../apps/server/src/index.ts';
import { BASE, report, request, team } from './lib.mjs';

const { values } = parseArgs({
  options: {
    alerts: { type: 'string', default: '2000' },
    nodes: { type: 'string', default: '500' },
    racks: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '30' },
    'group-wait': { type: 'string', default: '10s' },
    json: { type: 'boolean', default: false },
  },
});
const alertCount = Number(values.alerts);
const nodeCount = Number(values.nodes);
const rackCount = Number(values.racks);
const seconds = Number(values.seconds);
const groupWait = parseDuration(values['group-wait']);
if (!groupWait.ok) throw new Error(groupWait.error);
const groupWaitMs = groupWait.ms;
const BATCH = 64;

// The receiver: a webhook channel's target, timestamping every arrival.
const arrivals = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    arrivals.push({ at: performance.now(), message: JSON.parse(body) });
    res.writeHead(200).end();
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverPort = receiver.address().port;

const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-health-'));
const databaseUrl = process.env.GANTRY_TEST_POSTGRES_URL;
const config = resolveConfig(
  {},
  {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    adminPassword: 'bench-admin-password',
    logLevel: 'silent',
    ...(databaseUrl ? { databaseUrl } : {}),
  },
);
const server = await startServer(config);
const login = await request('POST', `${server.url}/api/auth/login`, {
  username: 'admin',
  password: 'bench-admin-password',
});
const token = login.body.token;
const must = async (method, path, body) => {
  const reply = await request(method, `${server.url}${path}`, body, token);
  if (reply.status >= 300)
    throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply;
};
await must('POST', `${BASE}/teams`, team('ops'));
await must('POST', `${BASE}/teams/ops/notificationchannels`, {
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'NotificationChannel',
  metadata: { name: 'pager', team: 'ops' },
  spec: { type: 'webhook', webhook: { url: `http://127.0.0.1:${receiverPort}/hook` } },
});
await must('POST', `${BASE}/teams/ops/escalationpolicies`, {
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'EscalationPolicy',
  metadata: { name: 'default', team: 'ops' },
  spec: {
    steps: [
      { delay: '0s', channels: ['pager'] },
      { delay: '1h', channels: ['pager'] },
    ],
  },
});

// The fleet inventory: nodes of one cluster (the inventory names it `team/name`), split evenly over the
// racks of one zone.
const store = server.store;
const rackOf = (i) => `rack-${i % rackCount}`;
await store.inventory.apply(
  Array.from({ length: nodeCount }, (_, i) => ({
    op: 'upsert',
    item: {
      cluster: 'ops/dc1',
      kind: 'Node',
      namespace: '',
      name: `node-${i}`,
      uid: `uid-${i}`,
      data: { labels: { 'topology.kubernetes.io/zone': 'zone-a', 'topology.gantry.dev/rack': rackOf(i) } },
    },
  })),
  new Date().toISOString(),
);

const clock = systemClock();
const exceptions = new MemoryExceptions();
// Where the first notification's time goes: the first correlate call and the first enqueue.
const marks = {};
const correlate = exceptions.correlate.bind(exceptions);
exceptions.correlate = (group, at) => {
  marks.correlate ??= performance.now();
  return correlate(group, at);
};
const notifications = {
  enqueue: async (input) => {
    marks.enqueueStart ??= performance.now();
    const result = await server.notifications.enqueue(input);
    marks.enqueued ??= performance.now();
    return result;
  },
};
const errors = [];
const onError = (error, what) => errors.push(`${what ?? ''}: ${error?.message ?? error}`);
const escalator = createEscalator({
  reader: exceptions,
  port: exceptions,
  notifications,
  state: store.correlation,
  policies: escalationPolicySource(store.resources),
  clock,
  externalUrl: server.url,
  onError,
});
await escalator.start();
const runner = createCorrelationRunner(
  {
    port: exceptions,
    alerts: store.alerts,
    state: store.correlation,
    resources: store.resources,
    subscribe: () => () => undefined,
    watchAlerts: (onChange) => watchAlertChanges(store, onChange, onError),
    topology: inventoryTopology(store.inventory, clock),
    cel: createCelEngine(),
    clock,
    onError,
    onException: (teamName, id, outcome) => escalator.exceptionOpened(teamName, id, outcome),
  },
  { groupWaitMs },
);
await runner.start();

// The storm: alerts spread evenly over `seconds`, in batches of 64; each node gets alerts of several names.
const names = ['NodeNotReady', 'KubeletDown', 'NodeNetworkUnavailable', 'NodeExporterDown'];
const alerts = Array.from({ length: alertCount }, (_, i) => {
  const node = i % nodeCount;
  return {
    labels: {
      alertname: names[Math.floor(i / nodeCount) % names.length],
      team: 'ops',
      cluster: 'dc1',
      node: `node-${node}`,
      severity: 'critical',
    },
    annotations: { summary: `node-${node} is down` },
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
  };
});
const batches = [];
for (let i = 0; i < alerts.length; i += BATCH) batches.push(alerts.slice(i, i + BATCH));
const interval = (seconds * 1000) / batches.length;
const posts = [];
const start = performance.now();
for (let b = 0; b < batches.length; b++) {
  const wait = start + b * interval - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  posts.push(request('POST', `${server.url}/api/v2/alerts`, batches[b], token));
}
const replies = await Promise.all(posts);
const ingestDone = performance.now();
const failed = replies.filter((reply) => reply.status !== 200).length;

// Wait until every alert has joined an exception (or a deadline).
const deadline = performance.now() + groupWaitMs + 30_000;
const joined = () => exceptions.exceptions.reduce((sum, e) => sum + e.alerts.size, 0);
while (joined() < alertCount && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
const allJoined = performance.now();
await new Promise((resolve) => setTimeout(resolve, 1_000));

const firstArrival = arrivals[0]?.at;
const firstLatency = firstArrival === undefined ? Number.NaN : firstArrival - start;
const overGroupWait = firstLatency - groupWaitMs;
const result = {
  database: databaseUrl ? 'postgres' : 'sqlite',
  alerts: alertCount,
  nodes: nodeCount,
  racks: rackCount,
  postSeconds: (ingestDone - start) / 1000,
  failedPosts: failed,
  groupWaitMs,
  exceptions: exceptions.exceptions.length,
  exceptionKeys: exceptions.exceptions.map((e) => `${e.correlationKey} (${e.alerts.size} alerts)`),
  notifications: arrivals.length,
  firstNotificationMs: Math.round(firstLatency),
  firstNotificationOverGroupWaitMs: Math.round(overGroupWait),
  allJoinedAfterLastPostMs: Math.round(allJoined - ingestDone),
  breakdownMs: {
    firstCorrelateOverGroupWait: Math.round(marks.correlate - start - groupWaitMs),
    correlateToEnqueue: Math.round(marks.enqueueStart - marks.correlate),
    enqueue: Math.round(marks.enqueued - marks.enqueueStart),
    enqueuedToArrival: Math.round(firstArrival - marks.enqueued),
  },
  rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024),
  errors,
};

await runner.stop();
await escalator.stop();
await server.close();
await new Promise((resolve) => receiver.close(resolve));
rmSync(dataDir, { recursive: true, force: true });

if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(
    `${alertCount} alerts from ${nodeCount} nodes of ${rackCount} racks posted in ${result.postSeconds.toFixed(1)} s (${result.database}, group wait ${groupWaitMs} ms)`,
  );
  for (const key of result.exceptionKeys) console.log(`  exception ${key}`);
  report([
    [
      'exceptions',
      result.exceptions,
      `<= ${rackCount}`,
      result.exceptions <= rackCount && result.exceptions > 0,
    ],
    [
      'first notification after group wait (ms)',
      result.firstNotificationOverGroupWaitMs,
      '< 1000',
      overGroupWait < 1000,
    ],
    [
      'notifications',
      result.notifications,
      `= ${result.exceptions}`,
      result.notifications === result.exceptions,
    ],
    ['failed posts', failed, '0', failed === 0],
    ['every alert joined after the last post (ms)', result.allJoinedAfterLastPostMs, 'info', true],
    ['RSS (MB)', result.rssMb, 'info', true],
  ]);
  console.log('first notification, where the time went (ms):', result.breakdownMs);
  if (errors.length > 0) console.log('errors:', errors);
}
process.exit(0);
