import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir } from '@gantry/testbed';

/**
 * For tests: the helm binary the test bed builds (testbed/build.sh puts it in `<cache>/<versions>/bin`).
 * Throws, so the tests fail rather than skip, when it has not been built.
 */
export function testbedHelmPath(): string {
  const cache = defaultCacheDir();
  const found = existsSync(cache)
    ? readdirSync(cache)
        .map((versions) => join(cache, versions, 'bin', 'helm'))
        .filter((path) => existsSync(path))
        .sort()
    : [];
  const helm = found.at(-1);
  if (helm === undefined) {
    throw new Error(
      `no helm binary in ${cache}/*/bin: build the test bed's binaries first (bash testbed/build.sh)`,
    );
  }
  return helm;
}
