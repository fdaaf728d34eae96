// Jobs (issue 12, performance): a trivial job over N simulated hosts — dispatched, and every result
// collected. In one process: the jobs module on a SQLite file (as `gantry server` keeps it), the
// in-memory agent transport, and one real agent-side job handler per host (de-duplication markers on
// disk, the executor, masking, output). `--mode action` runs the built-in `echo-parameters` action
// (no process per host); `--mode script` runs `sh -c 'echo ok'` as a real process on every host.
// Usage: node --import tsx bench/jobs.mjs [--hosts 2000] [--mode action|script] [--concurrency 2000] [--json]
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryEventRecorder, systemClock } from '@gantry/controllers';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import { MemoryAgentPort, MemoryHostDirectory, createJobsModule } from '@gantry/jobs';
import { createAgentJobHandler } from '@gantry/jobs/agent';
import { JOBS_CHANNEL, KindRegistry, builtinKinds } from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '2000' },
    mode: { type: 'string', default: 'action' },
    concurrency: { type: 'string', default: '2000' },
    json: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const hostCount = Number(values.hosts);
const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-jobs-'));
// Scripts run as the unprivileged job user, who must pass through to its attempt's directory.
chmodSync(dir, 0o711);
const store = await Store.open({ url: join(dir, 'gantry.db') });
const clock = systemClock();
const kinds = new KindRegistry();
for (const kind of builtinKinds) kinds.register(kind);
const resources = new ResourceService(kinds, store.resources);
const caller = { principal: SYSTEM_PRINCIPAL, source: 'bench' };
const port = new MemoryAgentPort();
const hosts = new MemoryHostDirectory();
// Where the time goes: calls and milliseconds per repository method (printed with --profile).
const profile = new Map();
if (values.profile) {
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(store.jobs))) {
    const original = store.jobs[name];
    if (name === 'constructor' || typeof original !== 'function') continue;
    store.jobs[name] = async (...args) => {
      const started = performance.now();
      try {
        return await original.apply(store.jobs, args);
      } finally {
        const entry = profile.get(name) ?? { calls: 0, ms: 0 };
        entry.calls++;
        entry.ms += performance.now() - started;
        profile.set(name, entry);
      }
    };
  }
}
const jobs = createJobsModule(
  {
    resources,
    jobs: store.jobs,
    port,
    hosts,
    secrets: { reveal: () => Promise.resolve({}) },
    leases: store.leases,
    clock,
    recorder: new MemoryEventRecorder(),
  },
  { holder: 'bench' },
);
const handlers = [];
try {
  await resources.create(caller, 'Team', undefined, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name: 'bench' },
    spec: { members: [] },
  });
  await resources.create(caller, 'JobTemplate', 'bench', {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'JobTemplate',
    metadata: { name: 'trivial' },
    spec:
      values.mode === 'script'
        ? {
            script: { interpreter: 'sh', source: 'echo ok' },
            parameters: { type: 'object', properties: { n: { type: 'integer' } } },
          }
        : {
            action: 'echo-parameters',
            parameters: { type: 'object', properties: { n: { type: 'integer' } } },
          },
  });
  const agentsRoot = join(dir, 'agents');
  mkdirSync(agentsRoot, { mode: 0o711 });
  for (let i = 0; i < hostCount; i++) {
    const host = `host-${String(i).padStart(5, '0')}`;
    hosts.add('bench', host, { bench: 'true' });
    const workDir = join(agentsRoot, host);
    mkdirSync(workDir, { recursive: true, mode: 0o711 });
    const link = {};
    const handler = createAgentJobHandler({
      workDir,
      report: (channel, body) => link.current.report(channel, body),
    });
    handlers.push(handler);
    link.current = port.connect('bench', host, { [JOBS_CHANNEL]: (body) => handler.handle(body) });
  }
  jobs.start();
  const rss0 = process.memoryUsage().rss;
  const started = performance.now();
  const run = await jobs.service.create(caller, {
    team: 'bench',
    template: 'trivial',
    parameters: { n: 1 },
    targets: { selector: 'bench=true' },
    concurrency: Number(values.concurrency),
  });
  const createdMs = performance.now() - started;
  let state;
  for (;;) {
    state = await store.jobs.get(run.id);
    if (state.state !== 'Running') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const totalMs = performance.now() - started;
  const chunks = await store.jobs.output(run.id, { after: 0, limit: 100_000 });
  const result = {
    hosts: hostCount,
    mode: values.mode,
    concurrency: Number(values.concurrency),
    state: state.state,
    counts: state.counts,
    outputChunks: chunks.length,
    createMs: Math.round(createdMs),
    dispatchToAllResultsMs: Math.round(totalMs),
    rssMiB: Math.round(process.memoryUsage().rss / 1048576),
    rssGrowthMiB: Math.round((process.memoryUsage().rss - rss0) / 1048576),
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(`jobs bench: ${hostCount} hosts, ${values.mode}, concurrency ${values.concurrency}`);
    console.log(`  run ${state.state}: ${JSON.stringify(state.counts)}, ${chunks.length} output chunks`);
    console.log(`  create (validate, resolve ${hostCount} targets, store, audit): ${result.createMs} ms`);
    console.log(`  dispatch → every result collected: ${result.dispatchToAllResultsMs} ms (goal < 10000 ms)`);
    console.log(`  process RSS ${result.rssMiB} MiB`);
    for (const [name, { calls, ms }] of [...profile].sort((a, b) => b[1].ms - a[1].ms))
      console.log(`  ${name}: ${calls} calls, ${Math.round(ms)} ms`);
  }
} finally {
  await jobs.stop();
  for (const handler of handlers) await handler.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
