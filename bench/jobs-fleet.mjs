// Jobs over a fleet of agents on the wire (issue 12, ADRs 0016 and 0017), against the bundled `gantry
// server` (SQLite; PostgreSQL too when GANTRY_TEST_POSTGRES_URL is set, e.g. under
// scripts/with-postgres.mjs): N simulated agents speaking the real protocol from this one process (join,
// WebSocket, hello, heartbeats, and the `jobs` channel answered as apps/agent does: each report framed
// with its own id and kept until the server acknowledges it, each server message acknowledged by id once
// handled, a repeated message id acknowledged again without running twice) beside real `gantry agent`
// processes. A simulated agent runs nothing: it answers a start with accepted, one line of output and
// finished (exit 0), or, when the run's parameters carry `bytesPerSecond`, streams that much numbered,
// time-stamped output for `seconds`.
// Measures: (1) a trivial job (built-in action) over every host through POST /api/jobs/runs with
// concurrency = hosts, from the POST until the run has ended and every target's result and output is in
// the API; server RSS meanwhile. (2) M simulated hosts streaming a combined rate for a while, followed by
// a client through GET /api/jobs/runs/{id}/output's long-poll cursor; checks every byte arrives, in order
// per target, and reports the achieved rate and the follow latency (chunk made → read by the client).
// Usage: node bench/jobs-fleet.mjs [--agents 2000] [--real 3] [--stream-hosts 50] [--stream-mbps 10]
//        [--stream-seconds 10] [--only sqlite|postgres] [--json]
// BENCH_CPU_PROFILE_DIR=DIR writes the server's CPU profile there (bench/cpu-profile.mjs).
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
    'stream-hosts': { type: 'string', default: '50' },
    'stream-mbps': { type: 'string', default: '10' },
    'stream-seconds': { type: 'string', default: '10' },
    // Which databases: both (the default), sqlite, or postgres (under scripts/with-postgres.mjs).
    only: { type: 'string', default: '' },
    json: { type: 'boolean', default: false },
  },
});
const agents = Number(values.agents);
const realCount = Number(values.real);
const streamHosts = Math.min(Number(values['stream-hosts']), agents);
const streamBytesPerSecond = Number(values['stream-mbps']) * 1024 * 1024;
const streamSeconds = Number(values['stream-seconds']);
const TEAM = 'fleet';
const CHUNK = 16_384; // the real agent's output chunk (packages/jobs/src/agent/job-handler.ts)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

execFileSync(process.execPath, [join(root, 'apps/agent/build.mjs')], { stdio: 'inherit' });

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
const hostName = (i) => `sim-${String(i).padStart(5, '0')}`;

/** The filler of one streamed chunk: deterministic from (target, seq), so the reader can check it. */
function streamChunk(target, seq, bytes) {
  const head = `${Date.now()} ${target} ${seq} `;
  const fill = String.fromCharCode(97 + (seq % 26));
  return head + fill.repeat(Math.max(0, bytes - head.length - 1)) + '\n';
}

/** One simulated agent: its socket, its unacknowledged reports, and its job answers. */
class SimAgent {
  constructor(i, credential, wsUrl, stats) {
    this.i = i;
    this.name = hostName(i);
    this.credential = credential;
    this.wsUrl = wsUrl;
    this.stats = stats;
    this.reportSeq = 0;
    /** id → frame, until the server acknowledges it (the agent's outbox, in memory). */
    this.waiting = new Map();
    /** Message ids handled already (the agent's `recent`). */
    this.recent = new Set();
    this.timers = new Set();
  }

  connect() {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.wsUrl, {
        headers: { authorization: `Bearer ${this.credential}` },
        perMessageDeflate: false,
      });
      this.socket = socket;
      socket.on('open', () =>
        socket.send(
          JSON.stringify({ type: 'hello', agentVersion: 'sim', labels: {}, facts, time: Date.now() }),
        ),
      );
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString());
        if (frame.type === 'welcome') {
          // Whatever is still unacknowledged goes again, in order (the agent's #sendWaiting).
          for (const waiting of this.waiting.values()) socket.send(waiting);
          this.beat = setInterval(
            () => socket.send(JSON.stringify({ type: 'heartbeat', time: Date.now() })),
            frame.heartbeatSeconds * 1000,
          );
          resolve();
        } else if (frame.type === 'ack') {
          if (this.waiting.delete(frame.id)) this.stats.acks += 1;
        } else if (frame.type === 'message') this.onMessage(frame);
      });
      socket.on('error', reject);
      socket.on('close', () => clearInterval(this.beat));
    });
  }

  report(body) {
    const id = `${this.name}-${++this.reportSeq}`;
    const frame = JSON.stringify({ type: 'report', id, channel: 'jobs', body });
    this.waiting.set(id, frame);
    this.stats.reports += 1;
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
  }

  onMessage({ id, channel, body }) {
    const ack = () => this.socket.send(JSON.stringify({ type: 'ack', id }));
    if (this.recent.has(id)) return ack();
    if (channel !== 'jobs') return; // left unacknowledged, as the agent does
    this.recent.add(id);
    if (body.type === 'start') this.start(body);
    else if (body.type === 'cancel') this.cancel(body);
    ack();
  }

  start(start) {
    const key = { runId: start.runId, target: start.target, attempt: start.attempt };
    const at = () => new Date().toISOString();
    this.report({ type: 'accepted', ...key, at: at(), duplicate: false });
    this.stats.starts += 1;
    const finish = (outputBytes, lastSeq, reason = 'Exited') =>
      this.report({
        type: 'finished',
        ...key,
        reason,
        exitCode: reason === 'Exited' ? 0 : null,
        signal: null,
        message: '',
        outputBytes,
        truncated: false,
        lastSeq,
        at: at(),
      });
    const rate = start.parameters.bytesPerSecond;
    if (typeof rate !== 'number') {
      const line = `ok ${this.name}\n`;
      this.report({ type: 'output', ...key, seq: 1, stream: 'stdout', data: line });
      finish(Buffer.byteLength(line), 1);
      return;
    }
    // Streaming: whole chunks as the rate allows, checked every 50 ms, for `seconds`.
    const total = Math.round(rate * start.parameters.seconds);
    const began = performance.now();
    let sent = 0;
    let seq = 0;
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor((rate * (performance.now() - began)) / 1000));
      while (due - sent >= CHUNK || (due === total && sent < total)) {
        const bytes = Math.min(CHUNK, total - sent);
        seq += 1;
        this.report({
          type: 'output',
          ...key,
          seq,
          stream: 'stdout',
          data: streamChunk(start.target, seq, bytes),
        });
        sent += bytes;
      }
      if (sent >= total) {
        clearInterval(timer);
        this.timers.delete(timer);
        finish(sent, seq);
      }
    }, 50);
    this.timers.add(timer);
    this.cancelTimer = () => {
      clearInterval(timer);
      finish(sent, seq, 'Cancelled');
    };
  }

  cancel() {
    this.cancelTimer?.();
  }

  close() {
    for (const timer of this.timers) clearInterval(timer);
    clearInterval(this.beat);
    this.socket?.terminate();
  }
}

async function measure(label, env, port) {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-jobs-fleet-'));
  const server = await startServer({ env: { GANTRY_DATA_DIR: dataDir, ...env }, port });
  const { url, token } = server;
  const stats = { acks: 0, reports: 0, starts: 0 };
  const sims = [];
  const realAgents = [];
  const realDirs = [];
  try {
    await request('POST', `${url}${BASE}/teams`, team(TEAM, {}), token);
    const created = await request(
      'POST',
      `${url}/api/teams/${TEAM}/join-tokens`,
      { uses: agents + realCount + 10, ttlSeconds: 3600 },
      token,
    );
    if (created.status !== 201) throw new Error(`join token: ${created.status}`);
    const joinToken = created.body.token;
    for (const [name, spec] of [
      [
        'trivial',
        { action: 'echo-parameters', parameters: { type: 'object', properties: { n: { type: 'integer' } } } },
      ],
      [
        'stream',
        {
          action: 'echo-parameters',
          parameters: {
            type: 'object',
            properties: { bytesPerSecond: { type: 'integer' }, seconds: { type: 'integer' } },
          },
          maxOutputBytes: 16 * 1024 * 1024, // the kind's maximum; the default (1 MiB) is below one host's share
          timeoutSeconds: 600,
        },
      ],
    ]) {
      const answer = await request(
        'POST',
        `${url}${BASE}/teams/${TEAM}/jobtemplates`,
        { apiVersion: 'gantry.dev/v1alpha1', kind: 'JobTemplate', metadata: { name }, spec },
        token,
      );
      if (answer.status !== 201)
        throw new Error(`template ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }

    // Simulated agents: join 50 at a time, connect 100 at a time.
    const wsUrl = `${url.replace(/^http/, 'ws')}/api/agent/connect`;
    for (let at = 0; at < agents; at += 50)
      await Promise.all(
        Array.from({ length: Math.min(50, agents - at) }, async (_, k) => {
          const i = at + k;
          const answer = await request('POST', `${url}/api/agent/join`, {
            token: joinToken,
            name: hostName(i),
            agentVersion: 'sim',
          });
          if (answer.status !== 200) throw new Error(`join ${i}: ${answer.status}`);
          sims[i] = new SimAgent(i, answer.body.credential, wsUrl, stats);
        }),
      );
    for (let at = 0; at < agents; at += 100)
      await Promise.all(sims.slice(at, at + 100).map((sim) => sim.connect()));

    // Real agents, as the systemd unit starts them.
    for (let i = 0; i < realCount; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-agent-'));
      realDirs.push(dir);
      realAgents.push(
        spawn(
          process.execPath,
          [
            '--max-semi-space-size=1',
            '--max-old-space-size=64',
            join(root, 'apps/agent/dist/gantry-agent.mjs'),
            ...['--server', url, '--join-token', joinToken, '--work-dir', dir],
            ...['--name', `real-${i}`, '--log-level', 'warn'],
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    const hosts = [...sims.map((sim) => sim.name), ...realAgents.map((_, i) => `real-${i}`)];
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
    const onlineBy = Date.now() + 60_000;
    while ((await online()) < hosts.length && Date.now() < onlineBy) await sleep(500);
    const onlineCount = await online();
    await sleep(3000);
    const idleRss = server.rssMb();

    const serverTicks = () => {
      const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(fields[11]) + Number(fields[12]);
    };
    const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

    /** The server's database statements so far (count, seconds) from its /metrics. */
    const dbStatements = async () => {
      const text = (await request('GET', `${url}/metrics`, undefined, token)).body;
      const sum = (name) =>
        [...String(text).matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce(
          (total, match) => total + Number(match[1]),
          0,
        );
      return {
        count: sum('gantry_db_query_duration_seconds_count'),
        seconds: sum('gantry_db_query_duration_seconds_sum'),
      };
    };

    // 1. The trivial job over every host.
    const dbBefore = await dbStatements();
    const jobTicksBefore = serverTicks();
    let peakRss = idleRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, server.rssMb())), 100);
    const started = performance.now();
    const posted = await request(
      'POST',
      `${url}/api/jobs/runs`,
      {
        team: TEAM,
        template: 'trivial',
        parameters: { n: 1 },
        targets: { hosts },
        concurrency: hosts.length,
      },
      token,
    );
    if (posted.status !== 201) throw new Error(`run: ${posted.status} ${JSON.stringify(posted.body)}`);
    const postMs = performance.now() - started;
    const runId = posted.body.id;
    // Polled through the list (the run without its 2,000 targets), so the poll itself stays light.
    let state;
    do {
      await sleep(50);
      const page = await request('GET', `${url}/api/jobs/runs?team=${TEAM}&limit=5`, undefined, token);
      state = page.body.items.find((item) => item.id === runId).state;
    } while (state === 'Running' && performance.now() - started < 120_000);
    const endedMs = performance.now() - started;
    // CPU the server spent on the job: on a loaded machine a steadier measure of its work than wall time.
    const jobCpuSeconds = (serverTicks() - jobTicksBefore) / clockTicks;
    const dbAfter = await dbStatements();
    const run = (await request('GET', `${url}/api/jobs/runs/${runId}`, undefined, token)).body;
    // Every target's result and its output, read back through the API.
    const succeeded = run.targetList.filter((t) => t.state === 'succeeded' && t.exitCode === 0).length;
    // Where the time went: the server's times of the last dispatch, start and end, after the POST's.
    const createdAt = Date.parse(run.createdAt);
    const lastOf = (field) =>
      Math.max(...run.targetList.map((t) => (t[field] ? Date.parse(t[field]) - createdAt : 0)));
    const phases = {
      lastDispatchedMs: lastOf('dispatchedAt'),
      lastStartedMs: lastOf('startedAt'),
      lastFinishedMs: lastOf('finishedAt'),
    };
    let cursor = 0;
    const withOutput = new Set();
    for (;;) {
      const page = (
        await request(
          'GET',
          `${url}/api/jobs/runs/${runId}/output?after=${cursor}&limit=5000`,
          undefined,
          token,
        )
      ).body;
      for (const chunk of page.chunks) withOutput.add(chunk.target);
      cursor = page.cursor;
      if (page.done || page.chunks.length === 0) break;
    }
    const collectedMs = performance.now() - started;
    clearInterval(sampler);

    // 2. Streaming output to a following client.
    const streamTargets = sims.slice(0, streamHosts).map((sim) => sim.name);
    const perHost = Math.floor(streamBytesPerSecond / streamHosts);
    const expectedBytes = perHost * streamSeconds;
    let streamPeakRss = server.rssMb();
    const streamSampler = setInterval(() => (streamPeakRss = Math.max(streamPeakRss, server.rssMb())), 250);
    const ticksBefore = serverTicks();
    const streamStarted = performance.now();
    const streamRun = await request(
      'POST',
      `${url}/api/jobs/runs`,
      {
        team: TEAM,
        template: 'stream',
        parameters: { bytesPerSecond: perHost, seconds: streamSeconds },
        targets: { hosts: streamTargets },
        concurrency: streamHosts,
      },
      token,
    );
    if (streamRun.status !== 201) throw new Error(`stream run: ${streamRun.status}`);
    const perTarget = new Map(streamTargets.map((t) => [t, { seq: 0, bytes: 0 }]));
    const latencies = [];
    const storeLatencies = [];
    const problems = [];
    let followCursor = 0;
    let received = 0;
    let lastChunkAt = streamStarted;
    let firstChunkAt;
    for (;;) {
      const answer = await request(
        'GET',
        `${url}/api/jobs/runs/${streamRun.body.id}/output?after=${followCursor}&waitSeconds=5&limit=5000`,
        undefined,
        token,
      );
      if (answer.status !== 200) throw new Error(`follow: ${answer.status}`);
      const now = Date.now();
      for (const chunk of answer.body.chunks) {
        if (chunk.id <= followCursor) problems.push(`chunk id ${chunk.id} not after cursor ${followCursor}`);
        const state = perTarget.get(chunk.target);
        const [sentAt, target, seqText] = chunk.data.split(' ', 3);
        const expected = streamChunk(chunk.target, chunk.seq, Buffer.byteLength(chunk.data)).slice(
          chunk.data.indexOf(' ') + 1,
        );
        if (!state) problems.push(`chunk of unknown target ${chunk.target}`);
        else if (chunk.seq !== state.seq + 1)
          problems.push(`${chunk.target}: seq ${chunk.seq} after ${state.seq}`);
        else if (target !== chunk.target || Number(seqText) !== chunk.seq)
          problems.push(`${chunk.target} ${chunk.seq}: header ${target} ${seqText}`);
        else if (chunk.data.slice(chunk.data.indexOf(' ') + 1) !== expected)
          problems.push(`${chunk.target} ${chunk.seq}: content differs`);
        if (state) {
          state.seq = chunk.seq;
          state.bytes += Buffer.byteLength(chunk.data);
        }
        received += Buffer.byteLength(chunk.data);
        latencies.push(now - Number(sentAt));
        storeLatencies.push(Date.parse(chunk.at) - Number(sentAt));
      }
      if (answer.body.chunks.length > 0) {
        firstChunkAt ??= performance.now();
        lastChunkAt = performance.now();
      }
      followCursor = answer.body.cursor;
      if (answer.body.done) break;
      if (performance.now() - streamStarted > streamSeconds * 1000 + 120_000) {
        problems.push('follow timed out');
        break;
      }
    }
    clearInterval(streamSampler);
    const streamCpu =
      ((serverTicks() - ticksBefore) / clockTicks / ((performance.now() - streamStarted) / 1000)) * 100;
    const streamEnd = (await request('GET', `${url}/api/jobs/runs/${streamRun.body.id}`, undefined, token))
      .body;
    for (const [target, state] of perTarget)
      if (state.bytes !== expectedBytes) problems.push(`${target}: ${state.bytes} of ${expectedBytes} bytes`);
    const lat = percentiles(latencies);
    const readSeconds = (lastChunkAt - firstChunkAt) / 1000;
    return {
      database: label,
      hosts: hosts.length,
      online: onlineCount,
      serverIdleRssMb: Math.round(idleRss),
      job: {
        postMs: Math.round(postMs),
        runEndedMs: Math.round(endedMs),
        allCollectedMs: Math.round(collectedMs),
        state: run.state,
        counts: run.counts,
        succeededExit0: succeeded,
        targetsWithOutput: withOutput.size,
        serverPeakRssMb: Math.round(peakRss),
        serverCpuSeconds: Math.round(jobCpuSeconds * 100) / 100,
        // Statements the server ran meanwhile (the run polls included), and their summed durations.
        dbStatements: dbAfter.count - dbBefore.count,
        dbStatementSeconds: Math.round((dbAfter.seconds - dbBefore.seconds) * 100) / 100,
        ...phases,
      },
      stream: {
        hosts: streamHosts,
        offeredMBps: Math.round(((perHost * streamHosts) / 2 ** 20) * 100) / 100,
        seconds: streamSeconds,
        state: streamEnd.state,
        expectedBytes: expectedBytes * streamHosts,
        receivedBytes: received,
        chunks: latencies.length,
        problems: problems.length,
        firstProblems: problems.slice(0, 5),
        // From the first chunk read to the last: what the follower got per second.
        readMBps: Math.round((received / 2 ** 20 / readSeconds) * 100) / 100,
        // From the POST until the follower had the last byte.
        totalSeconds: Math.round(((lastChunkAt - streamStarted) / 1000) * 10) / 10,
        followLatencyMs: { p50: lat.p50, p90: lat.p90, p99: lat.p99, max: lat.max },
        // Chunk made → stored (the server's time of the batch that wrote it): the write side's share.
        storeLatencyMs: (({ p50, p99, max }) => ({ p50, p99, max }))(percentiles(storeLatencies)),
        serverPeakRssMb: Math.round(streamPeakRss),
        serverCpuPercent: Math.round(streamCpu),
      },
      simulator: { ...stats, unacknowledged: sims.reduce((n, sim) => n + sim.waiting.size, 0) },
      realAgentRssMb: realAgents.map((child) => Math.round(rssMb(child.pid) * 10) / 10),
    };
  } finally {
    for (const sim of sims) sim?.close();
    for (const child of realAgents) child.kill('SIGTERM');
    await server.stop();
    for (const dir of [...realDirs, dataDir]) rmSync(dir, { recursive: true, force: true });
  }
}

// BENCH_CPU_PROFILE_DIR=DIR: the server writes a CPU profile there when it stops (bench/cpu-profile.mjs).
const profile = process.env.BENCH_CPU_PROFILE_DIR
  ? { NODE_OPTIONS: `--import=${join(root, 'bench/cpu-profile.mjs')}` }
  : {};
const results = values.only === 'postgres' ? [] : [await measure('SQLite', profile, 17431)];
if (process.env.GANTRY_TEST_POSTGRES_URL && values.only !== 'sqlite')
  results.push(
    await measure(
      'PostgreSQL',
      { GANTRY_DATABASE_URL: process.env.GANTRY_TEST_POSTGRES_URL, ...profile },
      17432,
    ),
  );
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
if (values.json) process.stdout.write(`${JSON.stringify({ load, results }, null, 2)}\n`);
else
  for (const r of results) {
    console.log(JSON.stringify(r));
    console.log(`${r.database}: ${r.hosts} hosts (${r.online} online), load average ${load}`);
    report([
      ['trivial job: POST → run ended', `${r.job.runEndedMs} ms`, '< 10 s', r.job.runEndedMs < 10_000],
      [
        'every result and output read',
        `${r.job.succeededExit0}/${r.job.targetsWithOutput}`,
        String(r.hosts),
        r.job.succeededExit0 === r.hosts && r.job.targetsWithOutput === r.hosts,
      ],
      ['server RSS during the job', `${r.job.serverPeakRssMb} MB`, '< 400 MB', r.job.serverPeakRssMb < 400],
      [
        `stream ${r.stream.hosts} hosts, follower got`,
        `${r.stream.readMBps} MB/s`,
        `${r.stream.offeredMBps} MB/s`,
        r.stream.readMBps >= r.stream.offeredMBps * 0.95,
      ],
      [
        'bytes dropped or out of order',
        `${r.stream.expectedBytes - r.stream.receivedBytes} / ${r.stream.problems}`,
        '0 / 0',
        r.stream.expectedBytes === r.stream.receivedBytes && r.stream.problems === 0,
      ],
      ['follow latency p99', `${r.stream.followLatencyMs.p99} ms`, '(measured)', true],
    ]);
  }
process.exit(0);
