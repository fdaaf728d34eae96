import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Everything the test bed needs to know, resolved once so no later code deals with a missing value. */
export interface TestbedOptions {
  /** How many clusters, named `testbed-1` ... `testbed-N`. */
  readonly clusters: number;
  /** Fake (kwok) nodes per cluster. */
  readonly nodes: number;
  /** Where cluster directories and `testbed.json` go. */
  readonly stateDir: string;
  /** Cache root for the binaries; `build.sh` puts them under `<cacheDir>/<versions>/bin`. */
  readonly cacheDir: string;
  /** How long one cluster may take to become ready. */
  readonly readyTimeoutMs: number;
  /** How long `stop` waits after SIGTERM before it sends SIGKILL. */
  readonly stopGraceMs: number;
}

export interface TestbedOptionsInput {
  clusters?: number;
  nodes?: number;
  stateDir?: string;
  cacheDir?: string;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
}

export const testbedRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const stagesDir = join(testbedRoot, 'stages');
export const buildScript = join(testbedRoot, 'build.sh');

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.GANTRY_TESTBED_CACHE || join(homedir(), '.cache', 'gantry-testbed');
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.GANTRY_TESTBED_STATE || join(defaultCacheDir(env), 'state');
}

export function resolveTestbedOptions(
  input: TestbedOptionsInput = {},
  env: NodeJS.ProcessEnv = process.env,
): TestbedOptions {
  const options: TestbedOptions = {
    clusters: input.clusters ?? 1,
    nodes: input.nodes ?? 3,
    stateDir: resolve(input.stateDir ?? defaultStateDir(env)),
    cacheDir: resolve(input.cacheDir ?? defaultCacheDir(env)),
    readyTimeoutMs: input.readyTimeoutMs ?? 120_000,
    stopGraceMs: input.stopGraceMs ?? 10_000,
  };
  for (const key of ['clusters', 'nodes'] as const) {
    const value = options[key];
    if (!Number.isInteger(value) || value < (key === 'clusters' ? 1 : 0) || value > 1000) {
      throw new RangeError(
        `${key} must be a whole number from ${key === 'clusters' ? 1 : 0} to 1000, got ${value}`,
      );
    }
  }
  return options;
}
