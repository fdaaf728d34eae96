// The CLI's start-up (issue: performance): wall time and peak RSS of `gantry --help`, `gantry version
// --client` and `gantry get teams` against a running server, each run as a whole process, as a user's
// shell runs it. Usage: node bench/cli.mjs [--runs 20] [--json]
// Wall time is taken around each process here; peak RSS comes from GNU time (/usr/bin/time -f %M) when
// it is installed. For a second opinion: hyperfine -N 'node apps/cli/bin/gantry.mjs --help'.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BASE, percentiles, report, request, root, startServer, team } from './lib.mjs';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
const bin = join(root, 'apps/cli/bin/gantry.mjs');
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const server = await startServer({ port: 17490 });
const home = mkdtempSync(join(tmpdir(), 'gantry-bench-cli-'));
const env = { ...process.env, GANTRY_CONFIG: join(home, 'config') };
try {
  for (let i = 0; i < 20; i++) {
    await request('POST', `${server.url}${BASE}/teams`, team(`cli-${i}`), server.token);
  }
  const login = spawnSync(
    process.execPath,
    [bin, 'login', '--server', server.url, '--username', 'admin', '--password-stdin'],
    { env, input: 'bench-password\n', encoding: 'utf8' },
  );
  if (login.status !== 0) throw new Error(`gantry login failed: ${login.stderr}`);

  const commands = {
    help: ['--help'],
    'version --client': ['version', '--client'],
    'get teams': ['get', 'teams'],
  };
  const results = {};
  for (const [name, args] of Object.entries(commands)) {
    const walls = [];
    const rss = [];
    for (let i = 0; i < runs + 2; i++) {
      const [command, argv] = gnuTime
        ? [gnuTime, ['-f', '%M', process.execPath, bin, ...args]]
        : [process.execPath, [bin, ...args]];
      const t0 = performance.now();
      const run = spawnSync(command, argv, { env, encoding: 'utf8' });
      const ms = performance.now() - t0;
      if (run.status !== 0) throw new Error(`gantry ${args.join(' ')} failed: ${run.stderr}`);
      if (i < 2) continue; // warm-up: the page cache, and a bundle rebuilt if stale
      walls.push(ms);
      if (gnuTime) rss.push(Number(run.stderr.trim().split('\n').at(-1)) / 1024);
    }
    results[name] = {
      wallMs: percentiles(walls),
      peakRssMb: rss.length > 0 ? percentiles(rss).p50 : undefined,
    };
  }
  const node = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    node.push(performance.now() - t0);
  }
  results['node -e 0 (floor)'] = { wallMs: percentiles(node) };

  if (values.json) console.log(JSON.stringify(results, null, 2));
  report(
    Object.entries(results).map(([name, { wallMs, peakRssMb }]) => [
      `${name} (median of ${runs}${peakRssMb === undefined ? '' : `, RSS ${peakRssMb.toFixed(0)} MB`})`,
      `${wallMs.p50.toFixed(0)} ms`,
      name.startsWith('node') ? '-' : '< 150 ms',
      name.startsWith('node') || wallMs.p50 < 150,
    ]),
  );
} finally {
  rmSync(home, { recursive: true, force: true });
  await server.stop();
}
