// Alerts at scale, Gantry beside Alertmanager 0.25 in the same run (issue 10, Performance), end to end:
// both get the same routing (groupBy [alertname, cluster], short group_wait) and a webhook to a receiver
// this script serves.
//  1. Hold: `--groups` × `--per-group` active alerts (endsAt an hour ahead) posted in batches of 64 over
//     `--clients` keep-alive connections, a group's alerts next to each other; done when the receiver has,
//     for every group, a notification carrying all its alerts. Reports the ingest time, the time until
//     done, and the RSS of the process then (and its peak, sampled every 250 ms).
//  2. Notification latency, with those alerts still held: `--probes` new groups of one alert each, started
//     at `--probe-rate` per second; per group, the receiver's arrival time minus (the time the POST of its
//     alert was answered + group_wait). p50/p99/max.
// Gantry runs as users start it (`gantry server`, the bundle; SQLite, or PostgreSQL when
// GANTRY_TEST_POSTGRES_URL is set, e.g. under `node scripts/with-postgres.mjs`).
// Usage: node bench/alerts-scale.mjs [--groups 10000] [--per-group 10] [--clients 8] [--group-wait 2s]
//        [--probes 200] [--probe-rate 10] [--only gantry|alertmanager] [--server-cpu-profile FILE]
//        [--server-sql-profile FILE] [--server-heap-log FILE] [--server-heap-snapshot FILE]
//        [--server-node-options "..."] [--json]
// --server-cpu-profile writes a CPU profile of the (last) Gantry server, start to exit, to FILE (open it in
// Chrome's DevTools or speedscope). --server-heap-log writes the server's memory (RSS, V8 heap used and
// committed, external) every 250 ms and every garbage collection's kind and duration to FILE (JSON) at exit;
// --server-heap-snapshot writes a V8 heap snapshot of the server to FILE once every group is notified
// (after the RSS is read). --server-node-options adds Node options to the server (e.g. a heap flag, to
// compare).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BASE, percentiles, request, root, rssMb, startServer, team } from './lib.mjs';

const { values } = parseArgs({
  options: {
    groups: { type: 'string', default: '10000' },
    'per-group': { type: 'string', default: '10' },
    clients: { type: 'string', default: '8' },
    'group-wait': { type: 'string', default: '2s' },
    'group-interval': { type: 'string', default: '10s' },
    probes: { type: 'string', default: '200' },
    'server-sql-profile': { type: 'string' },
    'probe-rate': { type: 'string', default: '10' },
    'timeout-seconds': { type: 'string', default: '600' },
    only: { type: 'string' },
    'server-cpu-profile': { type: 'string' },
    'server-heap-log': { type: 'string' },
    'server-heap-snapshot': { type: 'string' },
    'server-node-options': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const GROUPS = Number(values.groups);
const PER_GROUP = Number(values['per-group']);
const CLIENTS = Number(values.clients);
const GROUP_WAIT_MS = Number(/^(\d+)s$/.exec(values['group-wait'])?.[1] ?? NaN) * 1000;
if (!Number.isFinite(GROUP_WAIT_MS)) throw new Error('--group-wait takes whole seconds, e.g. 2s');
const PROBES = Number(values.probes);
const PROBE_RATE = Number(values['probe-rate']);
const TIMEOUT_MS = Number(values['timeout-seconds']) * 1000;
const BATCH = 64;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Group g: alertname × cluster, so that [alertname, cluster] makes exactly `GROUPS` groups. */
function alertOf(i, endsAt, startsAt) {
  const g = Math.floor(i / PER_GROUP);
  return {
    labels: {
      alertname: `ScaleAlert${g % 100}`,
      cluster: `cluster-${Math.floor(g / 100)}`,
      instance: `host-${i}:9100`,
      job: 'node',
      severity: 'warning',
      team: 'bench',
    },
    annotations: { summary: `scale alert ${i}` },
    startsAt,
    endsAt,
    generatorURL: 'http://prometheus.example/graph',
  };
}

/** The webhook receiver: per target path, per group (its labels), the largest alert count and arrivals. */
async function startReceiver() {
  const targets = new Map();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const at = now();
      res.writeHead(200).end();
      const message = JSON.parse(Buffer.concat(chunks).toString());
      const target = targets.get(req.url);
      if (!target) return;
      const key = `${message.groupLabels.alertname}/${message.groupLabels.cluster}`;
      target.messages++;
      const alerts = message.alerts.filter((a) => a.status === 'firing').length;
      let entry = target.groups.get(key);
      if (!entry) target.groups.set(key, (entry = { firstAt: at, alerts }));
      entry.alerts = Math.max(entry.alerts, alerts);
      if (entry.alerts >= PER_GROUP && entry.completeAt === undefined) {
        entry.completeAt = at;
        target.complete++;
      }
    });
  });
  // Longer than the senders' idle connections live (Go's 90 s), so no send meets a socket closed under it.
  server.keepAliveTimeout = 120_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    target(path) {
      const target = { groups: new Map(), messages: 0, complete: 0 };
      targets.set(path, target);
      return { url: `${base}${path}`, state: target };
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

function post(agent, url, body, token) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode, at: now(), text: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** RSS of `pid` every 250 ms; `peak()` and `stop()`. */
function sampleRss(pid) {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // exited
    }
  }, 250);
  return { peak: () => peak, stop: () => clearInterval(timer) };
}

/** Phases 1 and 2 against one target (`alertsUrl`, receiver state `state`, process `pid`). */
async function measure(name, { alertsUrl, token, state, pid, onHeld }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const rss = sampleRss(pid);
  const rssBeforeMb = rssMb(pid);
  const total = GROUPS * PER_GROUP;
  const batches = Math.ceil(total / BATCH);
  const endsAt = new Date(Date.now() + 3_600_000).toISOString();
  let next = 0;
  let failures = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < batches) {
        const b = next++;
        const startsAt = new Date().toISOString();
        const alerts = [];
        for (let i = b * BATCH; i < Math.min(total, (b + 1) * BATCH); i++)
          alerts.push(alertOf(i, endsAt, startsAt));
        const reply = await post(agent, alertsUrl, JSON.stringify(alerts), token);
        if (reply.status !== 200) {
          failures++;
          if (failures <= 3) console.error(`${name}: ${reply.status} ${reply.text.toString().slice(0, 300)}`);
        }
      }
    }),
  );
  const ingestMs = now() - t0;
  const deadline = t0 + TIMEOUT_MS;
  while (state.complete < GROUPS && now() < deadline) await sleep(50);
  const heldMs = now() - t0;
  const completeGroups = state.complete;
  await sleep(1000);
  const rssHeldMb = rssMb(pid);
  await onHeld?.();

  // Phase 2: new groups of one alert each, with the others still held.
  const probes = [];
  const probeEndsAt = new Date(Date.now() + 3_600_000).toISOString();
  const started = now();
  const inflight = [];
  for (let j = 0; j < PROBES; j++) {
    const wait = started + (j * 1000) / PROBE_RATE - now();
    if (wait > 0) await sleep(wait);
    const alert = {
      labels: { alertname: 'Probe', cluster: `probe-${j}`, instance: 'probe', team: 'bench' },
      annotations: { summary: 'probe' },
      startsAt: new Date().toISOString(),
      endsAt: probeEndsAt,
    };
    inflight.push(
      post(agent, alertsUrl, JSON.stringify([alert]), token).then((reply) => {
        if (reply.status !== 200) failures++;
        probes[j] = reply.at;
      }),
    );
  }
  await Promise.all(inflight);
  const probeDeadline = now() + GROUP_WAIT_MS + 30_000;
  const arrived = () => probes.filter((_, j) => state.groups.has(`Probe/probe-${j}`)).length;
  while (arrived() < PROBES && now() < probeDeadline) await sleep(50);
  const latencies = probes
    .map((answeredAt, j) => state.groups.get(`Probe/probe-${j}`)?.firstAt - (answeredAt + GROUP_WAIT_MS))
    .filter((ms) => Number.isFinite(ms));
  rss.stop();
  agent.destroy();
  const lat = percentiles(latencies);
  return {
    name,
    alerts: total,
    groups: GROUPS,
    failures,
    ingestSeconds: Number((ingestMs / 1000).toFixed(1)),
    ingestAlertsPerSecond: Math.round(total / (ingestMs / 1000)),
    allGroupsNotifiedSeconds: Number((heldMs / 1000).toFixed(1)),
    // From the last POST answered to the last group notified complete: the dispatch and outbox's own time.
    notifiedAfterIngestSeconds: Number(((heldMs - ingestMs) / 1000).toFixed(1)),
    completeGroups,
    notifications: state.messages,
    rssIdleMb: Math.round(rssBeforeMb),
    rssHeldMb: Math.round(rssHeldMb),
    rssPeakMb: Math.round(Math.max(rss.peak(), rssHeldMb)),
    probeLatency: {
      arrived: latencies.length,
      of: PROBES,
      p50: Number(lat.p50?.toFixed(1)),
      p99: Number(lat.p99?.toFixed(1)),
      max: Number(lat.max?.toFixed(1)),
    },
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

async function startAlertmanager(port, receiverUrl) {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-am-'));
  writeFileSync(
    join(dir, 'am.yml'),
    [
      'route:',
      '  receiver: hook',
      '  group_by: [alertname, cluster]',
      `  group_wait: ${values['group-wait']}`,
      `  group_interval: ${values['group-interval']}`,
      '  repeat_interval: 4h',
      'receivers:',
      '  - name: hook',
      '    webhook_configs:',
      `      - url: ${receiverUrl}`,
      '        send_resolved: false',
      '',
    ].join('\n'),
  );
  const child = spawn(
    '/usr/bin/prometheus-alertmanager',
    [
      `--config.file=${join(dir, 'am.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited with ${child.exitCode}`);
    try {
      if ((await request('GET', `${url}/-/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  return {
    url,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A module the server imports first (`--cpu-prof` is not allowed in NODE_OPTIONS, which is what lib.mjs
 * passes on): an inspector session profiles the main thread and writes the profile when the process exits.
 */
function profilerPreload(file) {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-prof-'));
  const preload = join(dir, 'profile.mjs');
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

/**
 * A preload that times every SQLite statement of the server by its SQL text (better-sqlite3 runs them on
 * the main thread, so this is where the server's database time goes) and writes the totals, the most
 * expensive first, to FILE when the process exits. For `--server-sql-profile FILE`.
 */
function sqlProfilerPreload(file) {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-sql-'));
  const preload = join(dir, 'sql-profile.mjs');
  const sqlite = join(root, 'node_modules/better-sqlite3/lib/index.js');
  writeFileSync(
    preload,
    `import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
const Database = createRequire(import.meta.url)(${JSON.stringify(sqlite)});
const totals = new Map();
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (sql, ...rest) {
  const statement = prepare.call(this, sql, ...rest);
  for (const method of ['run', 'all', 'get', 'iterate']) {
    const original = statement[method];
    statement[method] = function (...args) {
      const t = process.hrtime.bigint();
      try { return original.apply(this, args); } finally {
        const entry = totals.get(sql) ?? { ms: 0, n: 0 };
        entry.ms += Number(process.hrtime.bigint() - t) / 1e6;
        entry.n += 1;
        totals.set(sql, entry);
      }
    };
  }
  return statement;
};
const exec = Database.prototype.exec;
Database.prototype.exec = function (sql) {
  const t = process.hrtime.bigint();
  try { return exec.call(this, sql); } finally {
    const entry = totals.get(sql) ?? { ms: 0, n: 0 };
    entry.ms += Number(process.hrtime.bigint() - t) / 1e6;
    entry.n += 1;
    totals.set(sql, entry);
  }
};
process.on('exit', () => {
  const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms).map(([sql, t]) => ({ ms: Math.round(t.ms), n: t.n, sql: sql.slice(0, 300) }));
  writeFileSync(${JSON.stringify(file)}, JSON.stringify(rows, null, 1));
});
`,
  );
  return `--import=${pathToFileURL(preload).href}`;
}

/**
 * A preload that records the server's memory every 250 ms and every GC (kind, duration), written to FILE
 * at exit; with `snapshot`, SIGUSR2 makes it write a heap snapshot there.
 */
function heapPreload(file, snapshot) {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-heap-'));
  const preload = join(dir, 'heap.mjs');
  writeFileSync(
    preload,
    `import { writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
const file = ${JSON.stringify(file ?? null)};
const snapshot = ${JSON.stringify(snapshot ?? null)};
const t0 = performance.now();
const samples = [];
const gcs = [];
if (file) {
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const h = v8.getHeapStatistics();
    samples.push({ t: Math.round(performance.now() - t0), rss: m.rss >> 20, heapUsed: m.heapUsed >> 20,
      heapTotal: m.heapTotal >> 20, external: m.external >> 20, arrayBuffers: m.arrayBuffers >> 20,
      limit: h.heap_size_limit >> 20 });
  }, 250);
  timer.unref();
  const kinds = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak', 16: 'minor-mc' };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      gcs.push({ t: Math.round(e.startTime - t0), ms: Number(e.duration.toFixed(2)), kind: kinds[e.detail?.kind] ?? e.detail?.kind });
  }).observe({ entryTypes: ['gc'] });
  process.on('exit', () => writeFileSync(file, JSON.stringify({ samples, gcs })));
}
if (snapshot) process.on('SIGUSR2', () => v8.writeHeapSnapshot(snapshot));
`,
  );
  return `--import=${pathToFileURL(preload).href}`;
}

async function measureGantry(name, env, port, receiver) {
  const target = receiver.target(`/gantry-${port}`);
  const profile = values['server-cpu-profile'];
  const sqlProfile = values['server-sql-profile'];
  const heapLog = values['server-heap-log'];
  const heapSnapshot = values['server-heap-snapshot'];
  const preloads = {
    ...(profile ? profilerPreload(profile) : {}),
  };
  const addOptions = (options) =>
    (preloads.NODE_OPTIONS = `${preloads.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? ''} ${options}`.trim());
  if (sqlProfile) addOptions(sqlProfilerPreload(sqlProfile));
  if (heapLog || heapSnapshot) addOptions(heapPreload(heapLog, heapSnapshot));
  if (values['server-node-options']) addOptions(values['server-node-options']);
  const server = await startServer({ env: { ...env, ...preloads }, port });
  try {
    const create = async (path, body) => {
      const created = await request('POST', `${server.url}${BASE}${path}`, body, server.token);
      if (created.status !== 201)
        throw new Error(`${path}: ${created.status} ${JSON.stringify(created.body)}`);
    };
    await create('/teams', team('bench'));
    await create('/teams/bench/notificationchannels', {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'NotificationChannel',
      metadata: { name: 'hook', team: 'bench' },
      spec: {
        type: 'webhook',
        webhook: { url: target.url },
        rateLimit: { perMinute: 60000, burst: 10000 },
        concurrency: 16,
      },
    });
    await create('/teams/bench/alertroutings', {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'AlertRouting',
      metadata: { name: 'main', team: 'bench' },
      spec: {
        receivers: ['hook'],
        groupBy: ['alertname', 'cluster'],
        groupWait: values['group-wait'],
        groupInterval: values['group-interval'],
        repeatInterval: '4h',
      },
    });
    return await measure(name, {
      alertsUrl: `${server.url}/api/teams/bench/alertmanager/api/v2/alerts`,
      token: server.token,
      state: target.state,
      pid: server.pid,
      onHeld: heapSnapshot
        ? async () => {
            rmSync(heapSnapshot, { force: true });
            process.kill(server.pid, 'SIGUSR2');
            // Written once complete: wait until its size stops changing.
            let size = -1;
            for (;;) {
              await sleep(1000);
              const now = existsSync(heapSnapshot) ? statSync(heapSnapshot).size : -1;
              if (now > 0 && now === size) return;
              size = now;
            }
          }
        : undefined,
    });
  } finally {
    await server.stop();
  }
}

const receiver = await startReceiver();
const results = [];
try {
  if (values.only !== 'gantry') {
    const target = receiver.target('/alertmanager');
    const am = await startAlertmanager(17494, target.url);
    try {
      results.push(
        await measure('Alertmanager 0.25', {
          alertsUrl: `${am.url}/api/v2/alerts`,
          state: target.state,
          pid: am.pid,
        }),
      );
    } finally {
      await am.stop();
    }
  }
  if (values.only !== 'alertmanager') {
    results.push(await measureGantry('Gantry (SQLite)', {}, 17495, receiver));
    if (process.env.GANTRY_TEST_POSTGRES_URL)
      results.push(
        await measureGantry(
          'Gantry (PostgreSQL)',
          { GANTRY_DATABASE_URL: process.env.GANTRY_TEST_POSTGRES_URL },
          17496,
          receiver,
        ),
      );
  }
} finally {
  await receiver.close();
}

if (values.json) console.log(JSON.stringify(results, null, 2));
else {
  console.log(
    `${GROUPS * PER_GROUP} alerts in ${GROUPS} groups, batches of ${BATCH} over ${CLIENTS} connections; ` +
      `group_wait ${values['group-wait']}, group_interval ${values['group-interval']}; ` +
      `${PROBES} probe groups at ${PROBE_RATE}/s`,
  );
  for (const r of results) {
    console.log(
      `${r.name}: ingest ${r.ingestSeconds} s (${r.ingestAlertsPerSecond} alerts/s, ${r.failures} failures), ` +
        `all ${r.completeGroups}/${r.groups} groups notified complete after ${r.allGroupsNotifiedSeconds} s ` +
        `(${r.notifiedAfterIngestSeconds} s after the last post was answered) ` +
        `(${r.notifications} notifications); RSS idle ${r.rssIdleMb} MB, holding ${r.rssHeldMb} MB, ` +
        `peak ${r.rssPeakMb} MB (goal < 500); latency after group_wait p50 ${r.probeLatency.p50} ms, ` +
        `p99 ${r.probeLatency.p99} ms (goal < 100), max ${r.probeLatency.max} ms ` +
        `(${r.probeLatency.arrived}/${r.probeLatency.of}); load ${r.loadAverage.join(' ')}`,
    );
  }
}
