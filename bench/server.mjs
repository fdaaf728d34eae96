// The control plane's performance targets (issue: the Gantry control plane), measured on the bundled
// server with its embedded SQLite: cold start, idle RSS, create/get latency at 200 req/s, a 10,000-object
// list, and watch delivery latency. Usage: node bench/server.mjs [--seconds 10] [--json]
import { parseArgs } from 'node:util';
import http from 'node:http';
import { BASE, fixedRate, percentiles, report, request, startServer, team } from './lib.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
    starts: { type: 'string', default: '5' },
  },
});
const seconds = Number(values.seconds);

// 1. Cold start: process start to /readyz on a fresh data dir (includes migrations and the admin user).
const starts = [];
for (let i = 0; i < Number(values.starts); i++) {
  const server = await startServer({ port: 17430 + i });
  starts.push(server.readyMs);
  await server.stop();
}
const coldStart = percentiles(starts);

const server = await startServer();
const { url, token } = server;

// 2. Idle RSS, after start-up work has settled.
await new Promise((resolve) => setTimeout(resolve, 3000));
const idleRss = server.rssMb();

// 3. Creates and gets at 200 requests/s each (open loop), after 5 s at that rate to warm the JIT up.
await fixedRate({
  rate: 200,
  seconds: 5,
  make: (i) => request('POST', `${url}${BASE}/teams`, team(`warm-${i}`, { bench: 'warm' }), token),
});
await fixedRate({
  rate: 200,
  seconds: 5,
  make: (i) => request('GET', `${url}${BASE}/teams/warm-${i}`, undefined, token),
});
const create = await fixedRate({
  rate: 200,
  seconds,
  make: (i) =>
    request(
      'POST',
      `${url}${BASE}/teams`,
      team(`load-${i}`, { bench: 'load', shard: String(i % 10) }),
      token,
    ),
});
const get = await fixedRate({
  rate: 200,
  seconds,
  make: (i) => request('GET', `${url}${BASE}/teams/load-${i % (200 * seconds)}`, undefined, token),
});

// 4. Listing 10,000 resources in one call (and in pages of 500).
const have = 200 * seconds;
for (let i = have; i < 10_000; i += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, 10_000 - i) }, (_, j) =>
      request('POST', `${url}${BASE}/teams`, team(`load-${i + j}`, { bench: 'load' }), token),
    ),
  );
}
const lists = [];
for (let i = 0; i < 7; i++) {
  const response = await request(
    'GET',
    `${url}${BASE}/teams?limit=10000&labelSelector=bench%3Dload`,
    undefined,
    token,
  );
  if (response.body.items.length !== 10_000) throw new Error(`listed ${response.body.items.length}`);
  lists.push(response.ms);
}
const list = percentiles(lists.slice(2));
const pagedStart = performance.now();
let token2;
let pagedCount = 0;
do {
  const page = await request(
    'GET',
    `${url}${BASE}/teams?limit=500&labelSelector=bench%3Dload${token2 ? `&continue=${token2}` : ''}`,
    undefined,
    token,
  );
  pagedCount += page.body.items.length;
  token2 = page.body.metadata.continue;
} while (token2);
const pagedMs = performance.now() - pagedStart;

// 5. Watch latency: time from sending a write to receiving its event on an open watch.
const sent = new Map();
const delays = [];
let resolveDone;
const done = new Promise((resolve) => (resolveDone = resolve));
const watchCount = 200;
const watch = http.get(
  `${url}${BASE}/teams?watch=true&labelSelector=bench%3Dwatch&resourceVersion=0`,
  { headers: { authorization: `Bearer ${token}` } },
  (res) => {
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buffer += chunk;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!block.startsWith('event: ADDED')) continue;
        const name = /"name":"([^"]+)"/.exec(block)[1];
        const at = sent.get(name);
        if (at !== undefined) delays.push(performance.now() - at);
        if (delays.length === watchCount) resolveDone();
      }
    });
  },
);
await new Promise((resolve) => setTimeout(resolve, 500));
for (let i = 0; i < watchCount; i++) {
  const name = `watch-${i}`;
  sent.set(name, performance.now());
  await request('POST', `${url}${BASE}/teams`, team(name, { bench: 'watch' }), token);
  await new Promise((resolve) => setTimeout(resolve, 10));
}
await done;
watch.destroy();
const watchLatency = percentiles(delays);
const loadedRss = server.rssMb();
await server.stop();

const fmt = (ms) => `${ms.toFixed(1)} ms`;
const results = {
  coldStartMs: coldStart,
  idleRssMb: idleRss,
  create200rps: create,
  get200rps: get,
  list10000Ms: list,
  list10000PagedMs: { ms: pagedMs, count: pagedCount },
  watchDeliveryMs: watchLatency,
  rssAfterMb: loadedRss,
};
if (values.json) console.log(JSON.stringify(results, null, 2));
report([
  ['cold start to /readyz (median of starts)', fmt(coldStart.p50), '< 1500 ms', coldStart.p50 < 1500],
  ['idle RSS', `${idleRss.toFixed(0)} MB`, '< 150 MB', idleRss < 150],
  [
    `create p99 at 200/s (achieved ${create.achievedRate.toFixed(0)}/s, ${create.failures} failed)`,
    fmt(create.p99),
    '< 10 ms',
    create.p99 < 10 && create.failures === 0,
  ],
  [
    `get p99 at 200/s (achieved ${get.achievedRate.toFixed(0)}/s, ${get.failures} failed)`,
    fmt(get.p99),
    '< 5 ms',
    get.p99 < 5 && get.failures === 0,
  ],
  ['list 10,000 resources, one call (median)', fmt(list.p50), '< 200 ms', list.p50 < 200],
  ['list 10,000 resources, pages of 500', fmt(pagedMs), '-', true],
  ['watch delivery p99 after the write is sent', fmt(watchLatency.p99), '< 50 ms', watchLatency.p99 < 50],
  ['RSS with 10,000 resources', `${loadedRss.toFixed(0)} MB`, '-', true],
]);
