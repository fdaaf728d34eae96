import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterPki } from './pki.ts';
import type { ProcessRecord } from './processes.ts';

export interface ClusterPorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  readonly controllerManager: number;
  readonly scheduler: number;
}

export interface ClusterState {
  readonly name: string;
  readonly dir: string;
  /** https://127.0.0.1:PORT */
  readonly server: string;
  /** The admin kubeconfig (system:masters), certificates inline. */
  readonly kubeconfigPath: string;
  readonly region: string;
  readonly ports: ClusterPorts;
  readonly pki: ClusterPki;
  /** Every process started for this cluster, recorded as soon as it starts so `down` finds it even after a failed `up`. */
  readonly processes: ProcessRecord[];
}

export interface TestbedState {
  readonly version: 1;
  readonly binDir: string;
  readonly createdAt: string;
  readonly clusters: ClusterState[];
}

export const stateFileName = 'testbed.json';

export function stateFile(stateDir: string): string {
  return join(stateDir, stateFileName);
}

export function readState(stateDir: string): TestbedState | undefined {
  const file = stateFile(stateDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as TestbedState;
}

/** Written through a rename so a reader never sees half a file. */
export function writeState(stateDir: string, state: TestbedState): void {
  mkdirSync(stateDir, { recursive: true });
  const file = stateFile(stateDir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** Removes the state file and the cluster directories it lists, nothing else in the state dir. */
export function removeState(stateDir: string, state: TestbedState): void {
  for (const cluster of state.clusters) rmSync(cluster.dir, { recursive: true, force: true });
  rmSync(stateFile(stateDir), { force: true });
}
