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
  /**
   * The nice level of each test-bed process's scheduling group (see `lowerSessionPriority`): the clusters
   * stand in for remote machines and must not crowd out what is being tested on this one.
   */
  readonly nice: number;
}

export interface TestbedOptionsInput {
  clusters?: number;
  nodes?: number;
  stateDir?: string;
  cacheDir?: string;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
  nice?: number;
}

/**
 * Every test-bed process runs in its own session, and Linux's autogroup scheduler gives each session an
 * equal share of the CPUs: one cluster's five processes weighed five times the Gantry server under test.
 * At nice 12 a session weighs 70 against a nice-0 one's 1,024, so three clusters (15 sessions) weigh
 * about as much as one ordinary program; they still get every cycle nothing else wants.
 */
export const DEFAULT_TESTBED_NICE = 12;

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
    nice: input.nice ?? (env.GANTRY_TESTBED_NICE ? Number(env.GANTRY_TESTBED_NICE) : DEFAULT_TESTBED_NICE),
  };
  if (!Number.isInteger(options.nice) || options.nice < 0 || options.nice > 19) {
    throw new RangeError(`nice must be a whole number from 0 to 19, got ${options.nice}`);
  }
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
