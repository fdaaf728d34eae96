// Health storm (issue 11, Performance): 2,000 node alerts from 500 nodes of two racks arriving within 30 s
// must become at most 2 exceptions, and the first notification must reach a receiver within group_wait + 1 s.
// Everything runs in the real server, started as users start it (`gantry server`, the bundle, via
// bench/lib.mjs; SQLite on a throwaway data dir, or PostgreSQL when GANTRY_TEST_POSTGRES_URL is set, e.g.
// under `node scripts/with-postgres.mjs`): alert ingest, the alert dispatcher, health correlation and
// escalation under their leases, the exception service, the notification outbox and its worker. This
// script only configures a team over the API and listens:
//  - two webhook NotificationChannels to a receiver served here (`/exceptions` and `/alerts`);
//  - an EscalationPolicy `default` (the server's GANTRY_HEALTH_ESCALATION_POLICY) whose first step pages
//    the `exceptions` channel at once: the page of an exception;
//  - an AlertRouting (groupBy alertname and cluster, the same group_wait) to the `alerts` channel, as a
//    team that also routes its raw alerts has (`--no-routing` leaves it out);
//  - the storm: `--alerts` alerts (4 alert names over `--nodes` nodes, nodes dealt over `--racks` racks of
//    one zone) in batches of 64 spread evenly over `--seconds`, posted to the team's Alertmanager-
//    compatible ingest, `POST /api/teams/ops/alertmanager/api/v2/alerts`, each batch's alerts starting
//    when it is sent (as Prometheus sets startsAt). No cluster is connected, so the server's fleet
//    inventory has no node records: a node's zone and rack come from the alerts' `zone` and `rack` labels
//    (correlation's fallback, ADR 0019).
// It reports the exceptions the server made (its API), the notifications each channel received, and the
// time from group_wait's expiry (the first alert's startsAt + group_wait) to the first exception page.
// Usage: node bench/health-storm.mjs [--alerts 2000] [--nodes 500] [--racks 2] [--seconds 30]
//        [--group-wait 10s] [--no-routing] [--port 17470] [--server-cpu-profile FILE] [--json]
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BASE, report, request, rssMb, startServer, team } from './lib.mjs';

const { values } = parseArgs({
  options: {
    alerts: { type: 'string', default: '2000' },
    nodes: { type: 'string', default: '500' },
    racks: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '30' },
    'group-wait': { type: 'string', default: '10s' },
    'no-routing': { type: 'boolean', default: false },
    port: { type: 'string', default: '17470' },
    'server-cpu-profile': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const alertCount = Number(values.alerts);
const nodeCount = Number(values.nodes);
const rackCount = Number(values.racks);
const seconds = Number(values.seconds);
const groupWaitSeconds = Number(/^(\d+)s$/.exec(values['group-wait'])?.[1] ?? NaN);
if (!Number.isFinite(groupWaitSeconds)) throw new Error('--group-wait takes whole seconds, e.g. 10s');
const groupWaitMs = groupWaitSeconds * 1000;
const routing = !values['no-routing'];
const BATCH = 64;
const TEAM = 'ops';
/** Wall-clock milliseconds with sub-millisecond resolution (the server stamps alerts in wall time). */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The receiver: every arrival per path, timestamped, with the message (Alertmanager's webhook v4 shape).
const arrivals = { '/exceptions': [], '/alerts': [] };
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const at = now();
    res.writeHead(200).end();
    let message;
    try {
      message = JSON.parse(Buffer.concat(chunks).toString());
    } catch {
      message = undefined;
    }
    (arrivals[req.url] ??= []).push({ at, message });
  });
});
receiver.keepAliveTimeout = 120_000;
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}`;

/**
 * `--server-cpu-profile FILE`: a module the server imports first profiles its main thread and writes the
 * profile when it exits (`--cpu-prof` is not allowed in NODE_OPTIONS, which is how lib.mjs passes it on).
 */
function profilerPreload(file) {
  const preload = join(mkdtempSync(join(tmpdir(), 'gantry-bench-prof-')), 'profile.mjs');
  writeFileSync(
    preload,
    `import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.start');
process.on('exit', () =>
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(${JSON.stringify(file)}, JSON.stringify(result.profile));
  }),
);
`,
  );
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(preload).href}`.trim() };
}

const databaseUrl = process.env.GANTRY_TEST_POSTGRES_URL;
const server = await startServer({
  port: Number(values.port),
  env: {
    GANTRY_HEALTH_GROUP_WAIT: values['group-wait'],
    ...(databaseUrl ? { GANTRY_DATABASE_URL: databaseUrl } : {}),
    ...(values['server-cpu-profile'] ? profilerPreload(values['server-cpu-profile']) : {}),
  },
});

let result;
try {
  const create = async (path, body) => {
    const reply = await request('POST', `${server.url}${BASE}${path}`, body, server.token);
    if (reply.status !== 201) throw new Error(`POST ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  };
  const channel = (name, path) => ({
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'NotificationChannel',
    metadata: { name, team: TEAM },
    spec: { type: 'webhook', webhook: { url: `${receiverUrl}${path}` } },
  });
  await create('/teams', team(TEAM));
  await create(`/teams/${TEAM}/notificationchannels`, channel('pager', '/exceptions'));
  await create(`/teams/${TEAM}/escalationpolicies`, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'EscalationPolicy',
    metadata: { name: 'default', team: TEAM },
    spec: {
      steps: [
        { delay: '0s', channels: ['pager'] },
        { delay: '1h', channels: ['pager'] },
      ],
    },
  });
  if (routing) {
    await create(`/teams/${TEAM}/notificationchannels`, channel('alerts', '/alerts'));
    await create(`/teams/${TEAM}/alertroutings`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'AlertRouting',
      metadata: { name: 'main', team: TEAM },
      spec: {
        receivers: ['alerts'],
        groupBy: ['alertname', 'cluster'],
        groupWait: values['group-wait'],
        groupInterval: '5m',
        repeatInterval: '4h',
      },
    });
  }

  // The storm: each node gets alerts of several names; nodes are dealt over the racks of one zone.
  const names = ['NodeNotReady', 'KubeletDown', 'NodeNetworkUnavailable', 'NodeExporterDown'];
  const endsAt = new Date(Date.now() + 3_600_000).toISOString();
  const alertOf = (i, startsAt) => {
    const node = i % nodeCount;
    return {
      labels: {
        alertname: names[Math.floor(i / nodeCount) % names.length],
        cluster: 'dc1',
        node: `node-${node}`,
        zone: 'zone-a',
        rack: `rack-${node % rackCount}`,
        severity: 'critical',
      },
      annotations: { summary: `node-${node} is down` },
      startsAt,
      endsAt,
      generatorURL: 'http://prometheus.example/graph',
    };
  };
  const batchCount = Math.ceil(alertCount / BATCH);
  const interval = (seconds * 1000) / batchCount;
  const ingestUrl = `${server.url}/api/teams/${TEAM}/alertmanager/api/v2/alerts`;
  const rssBefore = server.rssMb();
  const posts = [];
  const t0 = now();
  let firstStartsAt;
  for (let b = 0; b < batchCount; b++) {
    const wait = t0 + b * interval - now();
    if (wait > 0) await sleep(wait);
    const sentAt = Date.now();
    firstStartsAt ??= sentAt;
    const startsAt = new Date(sentAt).toISOString();
    const batch = [];
    for (let i = b * BATCH; i < Math.min(alertCount, (b + 1) * BATCH); i++) batch.push(alertOf(i, startsAt));
    posts.push(request('POST', ingestUrl, batch, server.token));
  }
  const replies = await Promise.all(posts);
  const lastPostAnswered = now();
  const failedPosts = replies.filter((reply) => reply.status !== 200);
  const groupWaitExpiry = firstStartsAt + groupWaitMs;

  // Until every alert has joined an exception (the server's API), or a deadline.
  const listExceptions = async () => {
    const items = [];
    let token;
    do {
      const reply = await request(
        'GET',
        `${server.url}/api/teams/${TEAM}/exceptions?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
        undefined,
        server.token,
      );
      if (reply.status !== 200)
        throw new Error(`GET exceptions: ${reply.status} ${JSON.stringify(reply.body)}`);
      items.push(...reply.body.items);
      token = reply.body.continue;
    } while (token);
    return items;
  };
  const deadline = now() + groupWaitMs + 60_000;
  let exceptions = await listExceptions();
  const joined = () => exceptions.reduce((sum, e) => sum + e.alertCount, 0);
  while (joined() < alertCount && now() < deadline) {
    await sleep(250);
    exceptions = await listExceptions();
  }
  const allJoinedAt = now();
  // Let late pages and the alert routing's notifications arrive (nothing more is due for an hour).
  await sleep(Math.max(3_000, groupWaitExpiry + 5_000 - now()));
  exceptions = await listExceptions();
  const rssAfter = server.rssMb();

  const pages = arrivals['/exceptions'];
  const routed = arrivals['/alerts'];
  const firstPage = pages[0]?.at;
  const firstRouted = routed[0]?.at;
  result = {
    database: databaseUrl ? 'postgres' : 'sqlite',
    alerts: alertCount,
    nodes: nodeCount,
    racks: rackCount,
    groupWaitMs,
    routing,
    postSeconds: Math.round((lastPostAnswered - t0) / 100) / 10,
    failedPosts: failedPosts.length,
    failedPostExample: failedPosts[0]
      ? `${failedPosts[0].status} ${JSON.stringify(failedPosts[0].body)}`
      : undefined,
    exceptions: exceptions.length,
    exceptionKeys: exceptions.map(
      (e) => `${e.correlationKey ?? e.id}: ${e.alertCount} alerts, ${e.state}, "${e.title}"`,
    ),
    alertsJoined: joined(),
    allJoinedAfterLastPostMs: Math.round(allJoinedAt - lastPostAnswered),
    notifications: pages.length,
    notificationExceptions: [...new Set(pages.map((p) => p.message?.commonLabels?.exception ?? '?'))].length,
    firstNotificationAfterGroupWaitMs:
      firstPage === undefined ? null : Math.round(firstPage - groupWaitExpiry),
    pagesAfterGroupWaitMs: pages.map((p) => Math.round(p.at - groupWaitExpiry)),
    routedNotifications: routed.length,
    firstRoutedAfterGroupWaitMs: firstRouted === undefined ? null : Math.round(firstRouted - groupWaitExpiry),
    serverRssMb: { beforeStorm: Math.round(rssBefore), after: Math.round(rssAfter) },
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
} finally {
  await server.stop();
  await new Promise((resolve) => receiver.close(resolve));
}

if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(
    `${alertCount} alerts from ${nodeCount} nodes of ${rackCount} racks posted in ${result.postSeconds} s ` +
      `(${result.database}, group wait ${groupWaitMs} ms, alert routing ${routing ? 'on' : 'off'}; ` +
      `load ${result.loadAverage.join(' ')})`,
  );
  for (const key of result.exceptionKeys) console.log(`  exception ${key}`);
  const over = result.firstNotificationAfterGroupWaitMs;
  report([
    [
      'exceptions',
      result.exceptions,
      `<= ${rackCount}`,
      result.exceptions > 0 && result.exceptions <= rackCount,
    ],
    ['first page after group_wait (ms)', over ?? 'none', '<= 1000', over !== null && over <= 1000],
    [
      'pages (exception notifications)',
      result.notifications,
      `= ${result.exceptions}`,
      result.notifications === result.exceptions,
    ],
    ['alerts joined', result.alertsJoined, `= ${alertCount}`, result.alertsJoined === alertCount],
    ['failed posts', result.failedPosts, '0', result.failedPosts === 0],
    ['routed alert notifications', result.routedNotifications, 'info', true],
    ['first routed after group_wait (ms)', result.firstRoutedAfterGroupWaitMs ?? 'none', 'info', true],
    ['all joined after the last post (ms)', result.allJoinedAfterLastPostMs, 'info', true],
    ['server RSS after (MB)', result.serverRssMb.after, 'info', true],
  ]);
  console.log('pages after group_wait (ms):', result.pagesAfterGroupWaitMs.join(', '));
  if (result.failedPostExample) console.log('a failed post:', result.failedPostExample);
}
process.exit(0);
