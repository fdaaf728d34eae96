// Risk inspection (issue 11, Performance: "1,000 inspection checks a minute with schedule drift p99
// under 1 s"). In one process, as `gantry server` runs them: the inspections module on a SQLite file, its
// scheduler on the system clock under its lease, a team inventory in the store (nodes and workloads of
// several clusters); a stub Prometheus over HTTP in a child process (as a real one is another process).
// `--inspections` Inspections of `--checks` checks each run every minute: by default their cron slots are
// spread over the minute's seconds (six-field crons), as a team spreads its crons; `--burst` puts them all
// on second 0. The script reports checks run per minute, runs' drift (a run's recorded start minus its
// cron slot, from the run records), how late runs finished (finish minus slot), run duration, and how
// many risks the runs recorded. Profile with `node --cpu-prof --import tsx bench/inspections.mjs ...`.
// Usage: node --import tsx bench/inspections.mjs [--inspections 100] [--checks 10] [--minutes 3]
//   [--teams 10] [--nodes 300] [--workloads 600] [--concurrency 8] [--burst] [--json]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { MemoryEventRecorder, systemClock } from '@gantry/controllers';
import { createCelEngine } from '@gantry/delivery';
import { createInspectionsModule } from '@gantry/health';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import { KindRegistry, builtinKinds } from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import { percentiles } from './lib.mjs';

const { values } = parseArgs({
  options: {
    inspections: { type: 'string', default: '100' },
    checks: { type: 'string', default: '10' },
    minutes: { type: 'string', default: '3' },
    teams: { type: 'string', default: '10' },
    nodes: { type: 'string', default: '300' },
    workloads: { type: 'string', default: '600' },
    concurrency: { type: 'string', default: '8' },
    burst: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const inspections = Number(values.inspections);
const checksPer = Number(values.checks);
const minutes = Number(values.minutes);
const teams = Number(values.teams);
const nodesPerTeam = Number(values.nodes);
const workloadsPerTeam = Number(values.workloads);

const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-inspections-'));
const store = await Store.open({ url: join(dir, 'gantry.db') });
const kinds = new KindRegistry();
for (const kind of builtinKinds) kinds.register(kind);
const resources = new ResourceService(kinds, store.resources);
const caller = { principal: SYSTEM_PRINCIPAL, source: 'bench' };

// A stub Prometheus in its own process: every query answers 20 series, a quarter of them over the
// checks' threshold. It prints its port once it listens.
const STUB = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const result = Array.from({ length: 20 }, (_, i) => ({
      metric: { cluster: 'c' + (i % 3), node: 'n' + i },
      value: [Date.now() / 1000, String(i % 4 === 0 ? 0.95 : 0.4)],
    }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;
const prometheus = spawn(process.execPath, ['-e', STUB], { stdio: ['ignore', 'pipe', 'inherit'] });
const prometheusPort = await new Promise((resolve, reject) => {
  prometheus.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim())));
  prometheus.once('exit', (code) => reject(new Error(`the stub Prometheus exited with ${code}`)));
});
const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;

const now = new Date().toISOString();
for (let t = 0; t < teams; t += 1) {
  const team = `team-${t}`;
  await resources.create(caller, 'Team', undefined, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name: team },
    spec: {},
  });
  await resources.create(caller, 'MetricsSource', team, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'MetricsSource',
    metadata: { name: 'prometheus' },
    spec: { url: prometheusUrl },
  });
  for (let c = 0; c < 3; c += 1) {
    const cluster = `c${c}`;
    await resources.create(caller, 'Cluster', team, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: cluster },
      spec: { kubeconfigSecret: { name: `${cluster}-kubeconfig` }, paused: true },
    });
  }
  const changes = [];
  for (let n = 0; n < nodesPerTeam; n += 1)
    changes.push({
      op: 'upsert',
      item: {
        cluster: `${team}/c${n % 3}`,
        kind: 'Node',
        namespace: '',
        name: `n${n}`,
        uid: `${team}-n${n}`,
        data: {
          ready: n % 50 !== 0,
          unschedulable: false,
          conditions: [
            { type: 'Ready', status: n % 50 !== 0 ? 'True' : 'False' },
            { type: 'DiskPressure', status: n % 70 === 0 ? 'True' : 'False' },
          ],
          labels: { 'topology.kubernetes.io/zone': `z${n % 3}` },
          taints: [],
          capacity: { memory: '64Gi' },
          allocatable: { memory: '60Gi' },
        },
      },
    });
  for (let w = 0; w < workloadsPerTeam; w += 1)
    changes.push({
      op: 'upsert',
      item: {
        cluster: `${team}/c${w % 3}`,
        kind: w % 5 === 0 ? 'StatefulSet' : 'Deployment',
        namespace: `ns${w % 10}`,
        name: `w${w}`,
        uid: `${team}-w${w}`,
        data: {
          desired: w % 7 === 0 ? 1 : 3,
          ready: 3,
          available: 3,
          updated: 3,
          healthy: true,
          images: [w % 9 === 0 ? `app${w}:latest` : `app${w}:1.${w}`],
          labels: { app: `w${w}` },
        },
      },
    });
  await store.inventory.apply(changes, now);
}

/** Ten kinds of check, cycled: inventory over nodes and workloads, an aggregate, PromQL over HTTP. */
const CHECKS = [
  { inventory: { over: 'nodes', condition: '!node.ready' }, score: 70 },
  { inventory: { over: 'nodes', condition: 'node.pressure.size() > 0' }, score: 80 },
  { inventory: { over: 'workloads', condition: 'workload.desired == 1' }, score: 40 },
  { inventory: { over: 'workloads', condition: 'workload.unpinnedImages.size() > 0' }, score: 35 },
  {
    inventory: { over: 'nodes', condition: "node.labels['topology.kubernetes.io/zone'] == 'z9'" },
    score: 10,
  },
  { inventory: { over: 'workloads', condition: "workload.kind == 'StatefulSet' && workload.desired < 3" } },
  { cel: { condition: 'nodes.filter(n, !n.ready).size() > 3' }, score: 60 },
  { promql: { source: 'prometheus', query: 'disk_used_ratio', condition: 'value > 0.9' }, score: 75 },
  { inventory: { over: 'clusters', condition: 'cluster.notReadyNodes > 0' }, score: 55 },
  { promql: { source: 'prometheus', query: 'memory_used_ratio', condition: 'value > 0.9' }, score: 65 },
];

for (let i = 0; i < inspections; i += 1) {
  const second = values.burst ? 0 : Math.floor((i * 60) / inspections);
  await resources.create(caller, 'Inspection', `team-${i % teams}`, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Inspection',
    metadata: { name: `insp-${i}` },
    spec: {
      schedule: { cron: `${second} * * * * *` },
      checks: Array.from({ length: checksPer }, (_, c) => ({
        name: `check-${c}`,
        ...CHECKS[c % CHECKS.length],
      })),
    },
  });
}

const drifts = [];
const module = createInspectionsModule(
  {
    resources,
    repository: store.resources,
    inventory: store.inventory,
    risks: store.risks,
    secrets: { reveal: () => Promise.resolve({ kubeconfig: '' }) },
    leases: store.leases,
    clock: systemClock(),
    recorder: new MemoryEventRecorder(),
    engine: createCelEngine(),
    logger: pino({ level: 'warn' }),
    subscribe: () => () => undefined,
  },
  {
    holder: 'bench',
    leaseDurationMs: 15_000,
    scheduler: { concurrency: Number(values.concurrency) },
    onDrift: (ms) => drifts.push(ms),
  },
);
const startedAt = Date.now();
const cpuBefore = process.cpuUsage();
await module.start();
// Measure whole minutes after the first one (warm-up: the JIT, the first reads).
const warmupEnd = Math.ceil((startedAt + 60_000) / 60_000) * 60_000;
const end = warmupEnd + minutes * 60_000;
await new Promise((resolve) => setTimeout(resolve, end - Date.now() + 5_000));
await module.stop();
const cpu = process.cpuUsage(cpuBefore);

const runs = await store.connection.db
  .selectFrom('inspection_runs')
  .select(['slot', 'started_at', 'finished_at', 'state', 'counts'])
  .where('slot', '>=', new Date(warmupEnd).toISOString())
  .where('slot', '<', new Date(end).toISOString())
  .execute();
const drift = runs.map((run) => Date.parse(run.started_at) - Date.parse(run.slot));
// Per slot: the first and the last run's start (a burst's runs share one slot).
const bySlot = new Map();
for (const run of runs) {
  const late = Date.parse(run.started_at) - Date.parse(run.slot);
  const entry = bySlot.get(run.slot) ?? { runs: 0, first: Infinity, last: -Infinity };
  bySlot.set(run.slot, {
    runs: entry.runs + 1,
    first: Math.min(entry.first, late),
    last: Math.max(entry.last, late),
  });
}
const finishedLate = runs
  .filter((run) => run.finished_at)
  .map((run) => Date.parse(run.finished_at) - Date.parse(run.slot));
const duration = runs
  .filter((run) => run.finished_at)
  .map((run) => Date.parse(run.finished_at) - Date.parse(run.started_at));
const checks = runs.reduce((sum, run) => sum + JSON.parse(run.counts).checks, 0);
const failed = runs.reduce((sum, run) => sum + JSON.parse(run.counts).failed, 0);
const findings = runs.reduce((sum, run) => sum + JSON.parse(run.counts).findings, 0);
const failures = await store.connection.db
  .selectFrom('inspection_run_results')
  .select(['reason', (eb) => eb.fn.countAll().as('n'), (eb) => eb.fn.min('message').as('message')])
  .where('outcome', '=', 'failed')
  .groupBy('reason')
  .execute();
const expectedRuns = inspections * minutes;
const d = percentiles(drift);
const r = percentiles(duration);
const f = percentiles(finishedLate);
const openRisks = await store.connection.db
  .selectFrom('risks')
  .select((eb) => eb.fn.countAll().as('n'))
  .where('state', '=', 'open')
  .executeTakeFirstOrThrow();
const result = {
  inspections,
  checksPerInspection: checksPer,
  spread: !values.burst,
  minutes,
  runs: runs.length,
  expectedRuns,
  checksPerMinute: Math.round(checks / minutes),
  failedChecks: failed,
  failures: failures.map((f) => ({ reason: f.reason, count: Number(f.n), example: f.message })),
  findingsPerRun: runs.length ? Math.round(findings / runs.length) : 0,
  openRisks: Number(openRisks.n),
  driftMs: d,
  onDriftMs: percentiles(drifts),
  busiestSlots: [...bySlot]
    .sort((a, b) => b[1].runs - a[1].runs || b[1].last - a[1].last)
    .slice(0, 5)
    .map(([slot, e]) => `${slot}: ${e.runs} runs, started ${e.first}–${e.last} ms late`),
  finishedAfterSlotMs: f,
  runMs: r,
  cpuSecondsPerMinute: Math.round(((cpu.user + cpu.system) / 1e6 / ((end - startedAt) / 60_000)) * 10) / 10,
  rssMb: Math.round(process.memoryUsage().rss / 1048576),
  loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `${runs.length}/${expectedRuns} runs, ${result.checksPerMinute} checks/min (${failed} failed), ${result.findingsPerRun} findings/run, ${result.openRisks} open risks`,
  );
  console.log(
    `drift ms: p50 ${d.p50} p99 ${d.p99} max ${d.max}; finished after slot ms: p50 ${f.p50} p99 ${f.p99} max ${f.max}; run ms: p50 ${r.p50} p99 ${r.p99} max ${r.max}`,
  );
  for (const slot of result.busiestSlots) console.log(`slot ${slot}`);
  for (const f of result.failures) console.log(`failed: ${f.count} ${f.reason}: ${f.example}`);
  console.log(
    `CPU ${result.cpuSecondsPerMinute} s per minute, RSS ${result.rssMb} MB, load ${result.loadAverage.join(' ')}`,
  );
}
await store.close();
prometheus.kill();
rmSync(dir, { recursive: true, force: true });
