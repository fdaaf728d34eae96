import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Testbed, TestbedCluster } from '@gantry/testbed';
import { GANTRY_BIN } from './cli.ts';

/** Real `gantry agent` processes, one per name, each a host in Gantry; killed by `stop()` (or one by `kill`). */
export interface NodeAgents {
  readonly processes: ReadonlyMap<string, ChildProcess>;
  /** SIGKILL one agent (a host that dies without a word). */
  kill(name: string): void;
  stop(): void;
}

/**
 * Starts an agent named after each of `names` (a host named after a kwok node is that node's host) with a
 * join token of `team`, and `labels` on every one. Heartbeats as the server tells them.
 */
export function startNodeAgents(
  server: string,
  joinToken: string,
  names: readonly string[],
  labels: Readonly<Record<string, string>> = {},
): NodeAgents {
  const processes = new Map<string, ChildProcess>();
  const dirs: string[] = [];
  const labelArg = Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  for (const name of names) {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-agent-'));
    dirs.push(dir);
    const args = [GANTRY_BIN, 'agent', '--server', server, '--join-token', joinToken, '--work-dir', dir];
    args.push('--name', name, ...(labelArg ? ['--labels', labelArg] : []));
    processes.set(name, spawn(process.execPath, args, { stdio: 'ignore' }));
  }
  const kill = (name: string) => {
    const child = processes.get(name);
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return {
    processes,
    kill,
    stop() {
      for (const name of processes.keys()) kill(name);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * What a host job's script needs to reach a test-bed cluster as the agent's job user (`nobody` when the
 * tests run as root, who cannot read the test bed's cache): a copy of kubectl and the admin kubeconfig in
 * a directory anyone can read. `kubectl` is the command line to put in a script.
 */
export interface KubeAccess {
  readonly dir: string;
  readonly kubectl: string;
  remove(): void;
}

export function kubeAccessForJobs(bed: Testbed, cluster: TestbedCluster): KubeAccess {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-kube-access-'));
  chmodSync(dir, 0o755);
  const binary = join(dir, 'kubectl');
  copyFileSync(bed.binaries.kubectl, binary);
  chmodSync(binary, 0o755);
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, cluster.kubeconfig, { mode: 0o644 });
  // kubectl's discovery cache, which the job user's home may not hold.
  const cache = join(dir, 'cache');
  mkdirSync(cache, { mode: 0o777 });
  chmodSync(cache, 0o777);
  return {
    dir,
    kubectl: `${binary} --kubeconfig ${kubeconfig} --cache-dir ${cache}`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
