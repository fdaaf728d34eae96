// Whether dist/ was built from the sources as they are now: dist/bundle-inputs.json lists every source file
// a bundle read (from esbuild's metafile) and when the build started; a file changed since, or gone, makes
// it stale. It imports nothing heavy, so the `gantry` bin can run it at every call (a few hundred stats).
// `runBundle` (the bin's start) checks while the bundle loads: the stats run on libuv's threads while the
// main thread compiles the bundle, and the bundle waits for the answer before it runs any command (ADR 0035).
import { existsSync, mkdirSync, readFileSync, rmSync, stat, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { INPUTS_FILE } from './bundle-inputs.mjs';

const ENTRIES = ['gantry.mjs', 'gantry-server.mjs'];
const LOCK = 'dist/.bundle-lock';
/** A lock older than this is left over from a build that died. */
const LOCK_STALE_MS = 120_000;

export function bundleIsFresh(root) {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(root, 'dist', INPUTS_FILE), 'utf8'));
  } catch {
    return false;
  }
  if (!ENTRIES.every((entry) => existsSync(join(root, 'dist', entry)))) return false;
  for (const source of inputs.sources) {
    const stats = statSync(join(root, source), { throwIfNoEntry: false });
    if (stats === undefined || stats.mtimeMs > inputs.startedAt) return false;
  }
  return true;
}

/** bundleIsFresh without blocking: every stat at once, on libuv's threads. */
export async function bundleIsFreshAsync(root) {
  let inputs;
  try {
    inputs = JSON.parse(await readFile(join(root, 'dist', INPUTS_FILE), 'utf8'));
  } catch {
    return false;
  }
  const modified = (path) =>
    new Promise((resolve) => stat(path, (error, stats) => resolve(error ? undefined : stats.mtimeMs)));
  const checks = [
    ...ENTRIES.map((entry) => modified(join(root, 'dist', entry)).then((ms) => ms !== undefined)),
    ...inputs.sources.map((source) =>
      modified(join(root, source)).then((ms) => ms !== undefined && ms <= inputs.startedAt),
    ),
  ];
  return (await Promise.all(checks)).every(Boolean);
}

/**
 * What the bundle's entry awaits before it runs a command (apps/cli/src/bundle-gate.ts): whether the
 * bundle is fresh. Absent when the entry is run without `runBundle` (`node dist/gantry.mjs`).
 */
export const BUNDLE_GATE = Symbol.for('gantry.bundle-gate');

/**
 * Imports `dist/<entry>` while checking that dist/ is fresh; the entry waits for the check at its gate, so
 * a stale bundle is compiled but runs no command: dist/ is rebuilt (`rebuild`, default ensureBundle) and the
 * new entry imported and run.
 */
export async function runBundle(root, { entry = 'gantry.mjs', rebuild = () => ensureBundle(root) } = {}) {
  const fresh = bundleIsFreshAsync(root);
  globalThis[BUNDLE_GATE] = fresh;
  const url = pathToFileURL(join(root, 'dist', entry)).href;
  try {
    await import(url);
  } catch (error) {
    // dist/ missing or half gone is a stale bundle; a fresh one failing is the command's own failure.
    if (await fresh) throw error;
  }
  if (await fresh) return;
  await rebuild();
  globalThis[BUNDLE_GATE] = Promise.resolve(true);
  // A new URL: the module of the stale entry stays in the module map. Chunks are named by their content.
  await import(`${url}?built=${Date.now()}`);
}

/**
 * Builds dist/ unless it is fresh. Concurrent callers (tests run several CLI processes at once) build one
 * at a time: the first takes the lock, the others wait for it and find the bundle fresh.
 */
export async function ensureBundle(root, log = (line) => process.stderr.write(`${line}\n`)) {
  while (!bundleIsFresh(root)) {
    if (!takeLock(root)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    try {
      if (bundleIsFresh(root)) return;
      log(
        'gantry: the bundle in dist/ is missing or older than the sources; building it (scripts/bundle.mjs)',
      );
      const { bundle } = await import('./bundle.mjs');
      await bundle();
      if (!bundleIsFresh(root)) throw new Error('a source changed while dist/ was being built; run it again');
    } finally {
      rmSync(join(root, LOCK), { recursive: true, force: true });
    }
  }
}

function takeLock(root) {
  const lock = join(root, LOCK);
  mkdirSync(join(root, 'dist'), { recursive: true });
  try {
    mkdirSync(lock);
    return true;
  } catch {
    const stats = statSync(lock, { throwIfNoEntry: false });
    if (stats !== undefined && Date.now() - stats.mtimeMs > LOCK_STALE_MS) {
      rmSync(lock, { recursive: true, force: true });
    }
    return false;
  }
}
