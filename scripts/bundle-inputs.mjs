// What a bundle records about its inputs, shared by the builder (scripts/bundle.mjs) and the freshness
// check (scripts/bundle-freshness.mjs), which imports the builder only when it has to build.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** dist/bundle-inputs.json: every source file a build read, and when the build started. */
export const INPUTS_FILE = 'bundle-inputs.json';

/** npm rewrites this file on every install: a dependency change makes the bundle stale. */
export function dependencyStampFiles(root) {
  const stamp = join(root, 'node_modules/.package-lock.json');
  return existsSync(stamp) ? [stamp] : [];
}
