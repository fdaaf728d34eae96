import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binariesIn, ensureBinaries, type Binaries } from './binaries.ts';
import { startCluster } from './cluster.ts';
import { regionFor } from './fake-nodes.ts';
import { KubeClient } from './kube-client.ts';
import { resolveTestbedOptions, type TestbedOptions, type TestbedOptionsInput } from './options.ts';
import { freePorts } from './ports.ts';
import { isAlive, stopProcesses } from './processes.ts';
import { waitForClusterReady } from './readiness.ts';
import { readState, removeState, writeState, type ClusterState, type TestbedState } from './state.ts';
import { TestbedError } from './testbed-error.ts';

const run = promisify(execFile);

export interface TestbedCluster {
  readonly name: string;
  /** https://127.0.0.1:PORT */
  readonly server: string;
  readonly region: string;
  readonly kubeconfigPath: string;
  /** The admin kubeconfig's text, certificates inline. */
  readonly kubeconfig: string;
  /** A small JSON client authenticated as the cluster admin. */
  readonly client: KubeClient;
  /** Runs the test bed's kubectl against this cluster and returns its stdout. */
  kubectl(args: readonly string[]): Promise<string>;
}

export interface Testbed {
  readonly stateDir: string;
  readonly binaries: Binaries;
  readonly clusters: readonly TestbedCluster[];
  /** Stops exactly the processes this test bed started and removes its state (and the temporary state dir it made). */
  stop(): Promise<void>;
}

export interface StartTestbedInput extends TestbedOptionsInput {
  /** Build progress and cluster lines on stderr. */
  readonly progress?: boolean;
  /** SIGKILL the processes if this Node process exits without `stop()` (a crashed test run). Default true. */
  readonly killOnExit?: boolean;
}

function clusterHandle(state: ClusterState, binaries: Binaries): TestbedCluster {
  return {
    name: state.name,
    server: state.server,
    region: state.region,
    kubeconfigPath: state.kubeconfigPath,
    kubeconfig: readFileSync(state.kubeconfigPath, 'utf8'),
    client: new KubeClient(state.server, state.pki.ca.cert, state.pki.clients.admin),
    async kubectl(args) {
      const { stdout } = await run(binaries.kubectl, ['--kubeconfig', state.kubeconfigPath, ...args]);
      return stdout;
    },
  };
}

function liveProcesses(state: TestbedState) {
  return state.clusters.flatMap((cluster) => cluster.processes).filter(isAlive);
}

/** Stops the processes a state file lists (only those still ours) and removes the state. */
export async function stopTestbedState(
  stateDir: string,
  graceMs = 10_000,
): Promise<{ cluster: string; name: string; pid: number; killed: boolean }[]> {
  const state = readState(stateDir);
  if (!state) return [];
  const stopped: { cluster: string; name: string; pid: number; killed: boolean }[] = [];
  await Promise.all(
    state.clusters.map(async (cluster) => {
      // etcd last, so the apiserver does not spend its shutdown retrying a vanished store.
      const others = cluster.processes.filter((p) => p.name !== 'etcd');
      const etcd = cluster.processes.filter((p) => p.name === 'etcd');
      for (const group of [others, etcd]) {
        for (const result of await stopProcesses(group, graceMs))
          stopped.push({ cluster: cluster.name, ...result });
      }
    }),
  );
  removeState(stateDir, state);
  return stopped;
}

export interface TestbedStatus {
  readonly stateDir: string;
  readonly createdAt: string;
  readonly clusters: {
    readonly name: string;
    readonly server: string;
    readonly kubeconfigPath: string;
    readonly processes: {
      readonly name: string;
      readonly pid: number;
      readonly alive: boolean;
      readonly logFile: string;
    }[];
  }[];
}

export function testbedStatus(stateDir: string): TestbedStatus | undefined {
  const state = readState(stateDir);
  if (!state) return undefined;
  return {
    stateDir,
    createdAt: state.createdAt,
    clusters: state.clusters.map((cluster) => ({
      name: cluster.name,
      server: cluster.server,
      kubeconfigPath: cluster.kubeconfigPath,
      processes: cluster.processes.map((p) => ({
        name: p.name,
        pid: p.pid,
        alive: isAlive(p),
        logFile: p.logFile,
      })),
    })),
  };
}

async function startWith(
  options: TestbedOptions,
  binaries: Binaries,
  progress: boolean,
  onRecord: (state: TestbedState) => void,
): Promise<TestbedState> {
  const taken = new Set<number>();
  const plans = [];
  for (let index = 0; index < options.clusters; index++) {
    const [etcdClient, etcdPeer, apiserver, controllerManager, scheduler] = await freePorts(5, taken);
    const name = `testbed-${index + 1}`;
    plans.push({
      name,
      region: regionFor(index),
      dir: join(options.stateDir, name),
      ports: {
        etcdClient: etcdClient!,
        etcdPeer: etcdPeer!,
        apiserver: apiserver!,
        controllerManager: controllerManager!,
        scheduler: scheduler!,
      },
      nodes: options.nodes,
      timeoutMs: options.readyTimeoutMs,
      nice: options.nice,
    });
  }
  const state: TestbedState = {
    version: 1,
    binDir: binaries.binDir,
    createdAt: new Date().toISOString(),
    clusters: [],
  };
  const record = (cluster: ClusterState) => {
    const at = state.clusters.findIndex((c) => c.name === cluster.name);
    if (at === -1) state.clusters.push(cluster);
    else state.clusters[at] = cluster;
    // Clusters start side by side and are recorded as they come; keep them in their numbered order.
    state.clusters.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    writeState(options.stateDir, state);
    onRecord(state);
  };
  writeState(options.stateDir, state);

  const results = await Promise.allSettled(
    plans.map(async (plan) => {
      const cluster = await startCluster(plan, binaries, record);
      const client = new KubeClient(cluster.server, cluster.pki.ca.cert, cluster.pki.clients.admin);
      await waitForClusterReady(client, {
        cluster: plan.name,
        nodes: plan.nodes,
        timeoutMs: plan.timeoutMs,
        watch: cluster.processes,
      });
      if (progress) process.stderr.write(`[testbed] ${plan.name} ready at ${cluster.server}\n`);
    }),
  );
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
  return state;
}

/**
 * Starts `clusters` isolated clusters with `nodes` kwok nodes each and waits until every node is Ready and
 * the default service account exists. Without `stateDir` it uses a fresh temporary one, so tests never
 * collide with a developer's `npm run testbed -- up`. On failure it stops what it started and rethrows;
 * the cluster directories (with logs) are kept until the next `down` or `up` in that state dir.
 */
export async function startTestbed(input: StartTestbedInput = {}): Promise<Testbed> {
  const ownStateDir = input.stateDir === undefined;
  const options = resolveTestbedOptions({
    ...input,
    stateDir: input.stateDir ?? mkdtempSync(join(tmpdir(), 'gantry-testbed-')),
  });
  const progress = input.progress ?? false;

  const previous = readState(options.stateDir);
  if (previous) {
    if (liveProcesses(previous).length > 0) {
      throw new TestbedError(
        `a test bed is already running from ${options.stateDir}; stop it first (npm run testbed -- down)`,
        { step: 'up' },
      );
    }
    removeState(options.stateDir, previous);
  }

  const binaries = await ensureBinaries(options.cacheDir, progress);
  let pids: { pid: number; alive: () => boolean }[] = [];
  const killAll = () => {
    for (const { pid, alive } of pids) {
      if (!alive()) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  if (input.killOnExit ?? true) process.on('exit', killAll);
  const detach = () => process.off('exit', killAll);

  let state: TestbedState;
  try {
    state = await startWith(options, binaries, progress, (current) => {
      pids = current.clusters
        .flatMap((c) => c.processes)
        .map((p) => ({ pid: p.pid, alive: () => isAlive(p) }));
    });
  } catch (error) {
    const current = readState(options.stateDir);
    if (current) {
      for (const cluster of current.clusters) {
        await stopProcesses(cluster.processes, options.stopGraceMs);
      }
    }
    detach();
    throw error;
  }

  let stopped = false;
  return {
    stateDir: options.stateDir,
    binaries,
    clusters: state.clusters.map((cluster) => clusterHandle(cluster, binaries)),
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopTestbedState(options.stateDir, options.stopGraceMs);
      if (ownStateDir) rmSync(options.stateDir, { recursive: true, force: true });
      detach();
    },
  };
}

/** Handles to the clusters of a test bed someone else started (`npm run testbed -- up`). */
export function attachTestbed(stateDir: string): TestbedCluster[] {
  const state = readState(stateDir);
  if (!state) throw new TestbedError(`no test bed in ${stateDir}`, { step: 'attach' });
  const binaries = binariesIn(state.binDir);
  return state.clusters.map((cluster) => clusterHandle(cluster, binaries));
}
