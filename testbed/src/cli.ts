import { parseArgs } from 'node:util';
import { ensureBinaries } from './binaries.ts';
import { defaultCacheDir, defaultStateDir } from './options.ts';
import { startTestbed, stopTestbedState, testbedStatus } from './testbed.ts';
import { TestbedError } from './testbed-error.ts';

const usage = `Usage: npm run testbed -- <command> [options]

Commands:
  build                         build or reuse the pinned binaries; prints their directory
  up [--clusters N] [--nodes M] start N clusters (default 1) with M kwok nodes each (default 3)
  status [--json]               clusters, API URLs, kubeconfigs and whether each process is alive
  down                          stop exactly the processes 'up' started, then remove the state

Options:
  --state DIR                   state directory (default $GANTRY_TESTBED_STATE or ~/.cache/gantry-testbed/state)
  --timeout SECONDS             how long each cluster may take to become ready (default 120)

Binaries are cached under $GANTRY_TESTBED_CACHE (default ~/.cache/gantry-testbed).`;

function whole(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number))
    throw new TestbedError(`--${name} must be a whole number, got "${value}"`, { step: 'arguments' });
  return number;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      clusters: { type: 'string' },
      nodes: { type: 'string' },
      state: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(usage);
    return command || values.help ? 0 : 2;
  }
  const stateDir = values.state ?? defaultStateDir();

  switch (command) {
    case 'build': {
      console.log((await ensureBinaries(defaultCacheDir(), true)).binDir);
      return 0;
    }
    case 'up': {
      const started = Date.now();
      const testbed = await startTestbed({
        clusters: whole('clusters', values.clusters, 1),
        nodes: whole('nodes', values.nodes, 3),
        readyTimeoutMs: whole('timeout', values.timeout, 120) * 1000,
        stateDir,
        progress: true,
        // The clusters are meant to outlive this command.
        killOnExit: false,
      });
      console.log(
        `${testbed.clusters.length} cluster(s) ready in ${((Date.now() - started) / 1000).toFixed(1)} s (state: ${stateDir})\n`,
      );
      for (const cluster of testbed.clusters)
        console.log(`${cluster.name}  ${cluster.server}  ${cluster.region}  ${cluster.kubeconfigPath}`);
      const first = testbed.clusters[0];
      if (first)
        console.log(`\nkubectl: ${testbed.binaries.kubectl} --kubeconfig ${first.kubeconfigPath} get nodes`);
      return 0;
    }
    case 'status': {
      const status = testbedStatus(stateDir);
      if (values.json) {
        console.log(JSON.stringify(status ?? null, null, 2));
        return status ? 0 : 1;
      }
      if (!status) {
        console.log(`no test bed in ${stateDir}`);
        return 1;
      }
      console.log(`state: ${stateDir} (started ${status.createdAt})`);
      let allAlive = true;
      for (const cluster of status.clusters) {
        console.log(`\n${cluster.name}  ${cluster.server}\n  kubeconfig: ${cluster.kubeconfigPath}`);
        for (const p of cluster.processes) {
          allAlive &&= p.alive;
          console.log(
            `  ${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${p.alive ? 'alive' : `DEAD (log: ${p.logFile})`}`,
          );
        }
      }
      return allAlive ? 0 : 1;
    }
    case 'down': {
      const existed = testbedStatus(stateDir) !== undefined;
      const stopped = await stopTestbedState(stateDir);
      for (const p of stopped)
        console.log(`stopped ${p.cluster} ${p.name} (pid ${p.pid})${p.killed ? ' with SIGKILL' : ''}`);
      console.log(existed ? `test bed in ${stateDir} removed` : `no test bed in ${stateDir}`);
      return 0;
    }
    default:
      console.error(`unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(
      error instanceof TestbedError || error instanceof RangeError ? `testbed: ${error.message}` : error,
    );
    process.exitCode = 1;
  },
);
