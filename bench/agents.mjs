// The host agents' performance targets (issue 12, ADR 0016), on the bundled server with its embedded
// SQLite: N simulated agents (default 2,000) that join and hold a WebSocket speaking the real protocol
// (hello, heartbeats, reports acknowledged by id) from this one process, beside real agent processes
// (dist/gantry-agent.mjs). Reports the server's RSS with every agent connected and heartbeating, and one
// real agent's idle RSS and CPU over a minute.
// Usage: node bench/agents.mjs [--agents 2000] [--real 3] [--heartbeat 30] [--seconds 60] [--json]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { BASE, percentiles, report, request, root, rssMb, startServer, team } from './lib.mjs';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '2000' },
    real: { type: 'string', default: '3' },
    heartbeat: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '60' },
    json: { type: 'boolean', default: false },
  },
});
const agents = Number(values.agents);
const heartbeatSeconds = Number(values.heartbeat);
const seconds = Number(values.seconds);
const TEAM = 'default';

execFileSync(process.execPath, [join(root, 'apps/agent/build.mjs')], { stdio: 'inherit' });
// A data dir of our own, so the server can be restarted on it for the reconnect storm.
const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-agents-'));
const serverEnv = { GANTRY_AGENT_HEARTBEAT_SECONDS: String(heartbeatSeconds), GANTRY_DATA_DIR: dataDir };
let server = await startServer({ env: serverEnv });
const { url } = server;
let token = server.token;
const baselineRss = server.rssMb();
await request('POST', `${url}${BASE}/teams`, team(TEAM, {}), token);
const created = await request(
  'POST',
  `${url}/api/teams/${TEAM}/join-tokens`,
  { uses: agents + 100, ttlSeconds: 3600 },
  token,
);
if (created.status !== 201) throw new Error(`join token: ${created.status} ${JSON.stringify(created.body)}`);
const joinToken = created.body.token;
const facts = {
  hostname: 'sim',
  os: 'Simulated Linux',
  platform: 'linux',
  arch: 'x64',
  kernel: '6.1.0',
  cpus: 8,
  memoryBytes: 32 * 2 ** 30,
  disks: [{ mount: '/', filesystem: 'ext4', sizeBytes: 500 * 2 ** 30, usedBytes: 120 * 2 ** 30 }],
  addresses: ['10.0.0.1'],
  uptimeSeconds: 1000,
};

// 1. Joins, 50 at a time.
const joinStarted = performance.now();
const credentials = new Array(agents);
for (let at = 0; at < agents; at += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, agents - at) }, async (_, k) => {
      const i = at + k;
      const answer = await request('POST', `${url}/api/agent/join`, {
        token: joinToken,
        name: `sim-${String(i).padStart(5, '0')}`,
        agentVersion: 'sim',
        labels: { shard: String(i % 10) },
      });
      if (answer.status !== 200)
        throw new Error(`join ${i}: ${answer.status} ${JSON.stringify(answer.body)}`);
      credentials[i] = answer.body.credential;
    }),
  );
}
const joinSeconds = (performance.now() - joinStarted) / 1000;

// 2. Connections: hello, then a heartbeat every interval (spread over it), one report each acknowledged.
const wsUrl = `${url.replace(/^http/, 'ws')}/api/agent/connect`;
let acks = 0;
let pongs = 0;
let stopping = false;
let welcomes = 0;
/** The agent's reconnect rule (apps/agent/src/backoff.ts): full jitter, 1 s doubling to 60 s. */
const fullJitter = (attempt) =>
  Math.floor(Math.random() * Math.min(60_000, 1000 * 2 ** Math.min(attempt, 30)));
const attempts = new Array(agents).fill(0);
const sockets = [];
const connectStarted = performance.now();
function reconnectLater(i) {
  if (stopping) return;
  setTimeout(() => connect(i).catch(() => undefined), fullJitter(attempts[i]++));
}
function connect(i) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, {
      headers: { authorization: `Bearer ${credentials[i]}` },
      perMessageDeflate: false,
    });
    socket.on('open', () =>
      socket.send(
        JSON.stringify({ type: 'hello', agentVersion: 'sim', labels: {}, facts, time: Date.now() }),
      ),
    );
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'welcome') {
        welcomes += 1;
        attempts[i] = 0;
        sockets[i] = socket;
        socket.send(JSON.stringify({ type: 'report', id: `r-${i}`, channel: 'bench', body: { i } }));
        const offset = Math.random() * heartbeatSeconds * 1000;
        setTimeout(() => {
          socket.send(JSON.stringify({ type: 'heartbeat', time: Date.now() }));
          socket.beat = setInterval(
            () => socket.send(JSON.stringify({ type: 'heartbeat', time: Date.now() })),
            heartbeatSeconds * 1000,
          );
        }, offset);
        resolve(socket);
      } else if (frame.type === 'ack') acks += 1;
      else if (frame.type === 'pong') pongs += 1;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearInterval(socket.beat);
      reconnectLater(i);
    });
  });
}
for (let at = 0; at < agents; at += 100)
  sockets.push(
    ...(await Promise.all(Array.from({ length: Math.min(100, agents - at) }, (_, k) => connect(at + k)))),
  );
const connectSeconds = (performance.now() - connectStarted) / 1000;

// 3. Real agents beside them.
const realDirs = [];
const realAgents = [];
for (let i = 0; i < Number(values.real); i++) {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-agent-'));
  realDirs.push(dir);
  const child = spawn(
    process.execPath,
    // The flags of the systemd unit in docs/agent.md: a small young generation for an idle process.
    [
      '--max-semi-space-size=1',
      '--max-old-space-size=64',
      join(root, 'apps/agent/dist/gantry-agent.mjs'),
      '--server',
      url,
      '--join-token',
      joinToken,
      '--work-dir',
      dir,
      '--name',
      `real-${i}`,
      '--log-level',
      'warn',
    ],
    { stdio: 'ignore' },
  );
  realAgents.push(child);
}
const online = async () => {
  let count = 0;
  let next;
  do {
    const page = await request(
      'GET',
      `${url}/api/teams/${TEAM}/hosts?status=Online&limit=1000${next ? `&continue=${next}` : ''}`,
      undefined,
      token,
    );
    count += page.body.items.length;
    next = page.body.continue;
  } while (next);
  return count;
};
const deadline = Date.now() + 60_000;
while ((await online()) < agents + realAgents.length && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 500));
const onlineCount = await online();

// 4. Hold for `seconds` with heartbeats flowing; sample the server and one real agent.
const cpuTicks = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
};
const real = realAgents[0];
await new Promise((r) => setTimeout(r, 5000));
const ticksBefore = real ? cpuTicks(real.pid) : 0;
const serverTicksBefore = cpuTicks(server.pid);
const pongsBefore = pongs;
const welcomesBeforeHold = welcomes;
let peakServerRss = 0;
let peakAgentRss = 0;
const heldStarted = Date.now();
while (Date.now() - heldStarted < seconds * 1000) {
  await new Promise((r) => setTimeout(r, 1000));
  peakServerRss = Math.max(peakServerRss, server.rssMb());
  if (real) peakAgentRss = Math.max(peakAgentRss, rssMb(real.pid));
}
const heldSeconds = (Date.now() - heldStarted) / 1000;
const pongsHeld = pongs - pongsBefore;
const reconnectsHeld = welcomes - welcomesBeforeHold;
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const agentCpu = real ? ((cpuTicks(real.pid) - ticksBefore) / clockTicks / heldSeconds) * 100 : undefined;
const serverCpu = ((cpuTicks(server.pid) - serverTicksBefore) / clockTicks / heldSeconds) * 100;
// Responsiveness with everything connected: a list of hosts.
const listStarted = performance.now();
await request('GET', `${url}/api/teams/${TEAM}/hosts?limit=100`, undefined, token);
const listMs = performance.now() - listStarted;

// 5. Reconnect storm: the server restarts; every agent reconnects with full-jitter backoff. Measured: the
// time until all are back, the server's answers while they come (a host list every 250 ms), and its RSS.
const acksBeforeRestart = acks;
await server.stop();
const welcomesBefore = welcomes;
const restartStarted = performance.now();
server = await startServer({ env: serverEnv });
token = server.token;
const stormLatencies = [];
let peakStormRss = 0;
while (welcomes - welcomesBefore < agents && performance.now() - restartStarted < 180_000) {
  const started = performance.now();
  const answer = await request('GET', `${url}/api/teams/${TEAM}/hosts?limit=100`, undefined, token);
  if (answer.status !== 200) throw new Error(`host list during the storm: ${answer.status}`);
  stormLatencies.push(performance.now() - started);
  peakStormRss = Math.max(peakStormRss, server.rssMb());
  await new Promise((r) => setTimeout(r, 250));
}
const reconnectSeconds = (performance.now() - restartStarted) / 1000;
const storm = percentiles(stormLatencies);
stopping = true;

const results = {
  agents,
  realAgents: realAgents.length,
  heartbeatSeconds,
  joinSeconds: Math.round(joinSeconds * 10) / 10,
  connectSeconds: Math.round(connectSeconds * 10) / 10,
  online: onlineCount,
  reportsAcknowledged: acksBeforeRestart,
  reconnectsDuringHold: reconnectsHeld,
  heartbeatsAnsweredPerSecond: Math.round((pongsHeld / heldSeconds) * 10) / 10,
  serverBaselineRssMb: Math.round(baselineRss),
  serverPeakRssMb: Math.round(peakServerRss),
  serverCpuPercent: Math.round(serverCpu * 10) / 10,
  hostListMs: Math.round(listMs),
  realAgentPeakRssMb: Math.round(peakAgentRss * 10) / 10,
  realAgentCpuPercent: agentCpu === undefined ? undefined : Math.round(agentCpu * 100) / 100,
  restartReconnectSeconds: Math.round(reconnectSeconds * 10) / 10,
  reconnected: welcomes - welcomesBefore,
  stormHostListMs: { p50: Math.round(storm.p50), p99: Math.round(storm.p99), max: Math.round(storm.max) },
  stormPeakRssMb: Math.round(peakStormRss),
  goals: { serverRssMb: 400, agentRssMb: 50, agentCpuPercent: 1 },
};
for (const socket of sockets) socket?.terminate();
for (const child of realAgents) child.kill('SIGTERM');
await server.stop();
for (const dir of [...realDirs, dataDir]) rmSync(dir, { recursive: true, force: true });
if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
else {
  console.log(JSON.stringify(results));
  report([
    [
      `server RSS, ${agents} agents + ${realAgents.length} real`,
      `${Math.round(peakServerRss)} MB`,
      '< 400 MB',
      peakServerRss < 400,
    ],
    ['real agent idle RSS', `${Math.round(peakAgentRss * 10) / 10} MB`, '< 50 MB', peakAgentRss < 50],
    ['real agent idle CPU', `${results.realAgentCpuPercent}%`, '< 1%', (agentCpu ?? 100) < 1],
    [
      'agents online',
      String(onlineCount),
      String(agents + realAgents.length),
      onlineCount === agents + realAgents.length,
    ],
    [
      'all back after a server restart',
      `${results.restartReconnectSeconds} s`,
      '(measured)',
      results.reconnected >= agents,
    ],
    ['host list p99 in the storm', `${results.stormHostListMs.p99} ms`, '< 1000 ms', storm.p99 < 1000],
  ]);
}
process.exit(0);
