// Whether dist/ was built from the sources as they are now: dist/bundle-inputs.json lists every source file
// a bundle read (from esbuild's metafile) and when the build started; a file changed since, or gone, makes
// it stale. It imports nothing heavy, so the `gantry` bin can run it at every call (a few hundred stats).
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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
  // Sources are recorded relative and normalized: a concatenation, cheaper than path.join over 550 calls.
  const base = root.endsWith('/') ? root : `${root}/`;
  for (const source of inputs.sources) {
    const stats = statSync(base + source, { throwIfNoEntry: false });
    if (stats === undefined || stats.mtimeMs > inputs.startedAt) return false;
  }
  return true;
}

/**
 * Runs `dist/<entry>`, built first when it is missing or stale (`rebuild`, default ensureBundle): a
 * developer's edited source never runs from an older bundle. The check is synchronous on purpose: checked
 * with asynchronous stats while the bundle loaded, it cost 15-19 ms of CPU against 9-10 (ADR 0035).
 */
export async function runBundle(root, { entry = 'gantry.mjs', rebuild = () => ensureBundle(root) } = {}) {
  if (!bundleIsFresh(root)) await rebuild();
  await import(pathToFileURL(join(root, 'dist', entry)).href);
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
