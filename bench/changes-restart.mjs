// The change engine after SIGKILL (issue: change management — "after SIGKILL, running again within 5 s of
// the restart"): the bundled server on SQLite runs a jobRun change over real `gantry agent` processes, one
// host per batch, 2 s of observation each; it is SIGKILLed while a batch applies and started again on the
// same data dir. Reported per trial: the restart (process start to /readyz) and the resume (/readyz to the
// change's next journal step), and the worst of the trials.
// Usage: node bench/changes-restart.mjs [--trials 3] [--json]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BASE, report, request, root, startServer, team } from './lib.mjs';

const { values } = parseArgs({
  options: { trials: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } },
});
const HOSTS = ['host-01', 'host-02', 'host-03', 'host-04'];
const port = 17520;
const url = `http://127.0.0.1:${port}`;
const env = { GANTRY_CHANGE_POLL_MS: '100' };

async function until(read, done, deadlineMs) {
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (performance.now() > deadline) throw new Error(`not reached within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function trial(index) {
  const dirs = [mkdtempSync(join(tmpdir(), 'gantry-bench-restart-'))];
  const agents = [];
  let server = await startServer({ port, dataDir: dirs[0], env });
  try {
    const ok = (response) => {
      if (response.status >= 300) throw new Error(`${response.status}: ${JSON.stringify(response.body)}`);
      return response.body;
    };
    ok(await request('POST', `${url}${BASE}/teams`, team('ops'), server.token));
    const { token: joinToken } = ok(
      await request('POST', `${url}/api/teams/ops/join-tokens`, { uses: HOSTS.length }, server.token),
    );
    for (const host of HOSTS) {
      const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-agent-'));
      dirs.push(dir);
      const args = ['agent', '--server', url, '--join-token', joinToken, '--work-dir', dir, '--name', host];
      agents.push(
        spawn(process.execPath, [join(root, 'apps/cli/bin/gantry.mjs'), ...args], { stdio: 'ignore' }),
      );
    }
    await until(
      async () => (await request('GET', `${url}/api/teams/ops/hosts`, undefined, server.token)).body.items,
      (items) => items.filter((host) => host.status === 'Online').length === HOSTS.length,
      30_000,
    );
    ok(
      await request(
        'POST',
        `${url}${BASE}/teams/ops/jobtemplates`,
        {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'JobTemplate',
          metadata: { name: 'mark' },
          spec: { script: { interpreter: 'sh', source: 'echo "marked $GANTRY_TARGET"; sleep 1' } },
        },
        server.token,
      ),
    );
    ok(
      await request(
        'POST',
        `${url}${BASE}/teams/ops/changes`,
        {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Change',
          metadata: { name: `mark-${index}` },
          spec: {
            jobRun: { template: 'mark' },
            targets: { names: HOSTS },
            plan: { batches: [{ size: '1', bake: '2s', repeat: true }] },
          },
        },
        server.token,
      ),
    );
    const status = async (token) =>
      (await request('GET', `${url}${BASE}/teams/ops/changes/mark-${index}`, undefined, token)).body?.status;
    // Killed while the second batch applies: its host's job is in flight, in doubt for the next process.
    const atKill = await until(
      () => status(server.token),
      (current) => current?.batches?.[1]?.phase === 'Applying',
      60_000,
    );
    await server.kill();
    server = await startServer({ port, dataDir: dirs[0], env });
    const ready = performance.now();
    await until(
      () => status(server.token),
      (current) => (current?.journalEntries ?? 0) > (atKill.journalEntries ?? 0),
      60_000,
    );
    const resumeMs = performance.now() - ready;
    const done = await until(
      () => status(server.token),
      (current) => current?.phase === 'Succeeded' || current?.phase === 'Failed',
      60_000,
    );
    if (done.phase !== 'Succeeded') throw new Error(`the change ended ${done.phase}: ${done.message}`);
    return { restartMs: server.readyMs, resumeMs, total: server.readyMs + resumeMs };
  } finally {
    for (const agent of agents) agent.kill('SIGKILL');
    await server.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

const trials = [];
for (let i = 0; i < Number(values.trials); i++) trials.push(await trial(i));
const worst = trials.reduce((a, b) => (b.total > a.total ? b : a));
if (values.json) console.log(JSON.stringify({ trials, worst }, null, 2));
else {
  for (const [i, t] of trials.entries())
    console.log(
      `trial ${i + 1}: restart to /readyz ${t.restartMs.toFixed(0)} ms, then the next journal step ${t.resumeMs.toFixed(0)} ms`,
    );
  report([
    [
      'SIGKILL mid-batch: restart to the next step (worst)',
      `${(worst.total / 1000).toFixed(2)} s`,
      '< 5 s',
      worst.total < 5000,
    ],
  ]);
}
