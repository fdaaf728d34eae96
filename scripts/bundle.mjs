// Bundles the server (and the CLI) into single ES modules under dist/, so that a start does not compile
// TypeScript. Workspace packages (@gantry/*) are bundled; npm dependencies stay external.
import { build } from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@gantry/') ? undefined : { path: args.path, external: true },
    );
  },
};

export async function bundle() {
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [externalNpmPackages],
    // import.meta.url must point into the repo so the server finds apps/console/dist.
    banner: {
      js: "import { createRequire as __gantryCreateRequire } from 'node:module'; const require = __gantryCreateRequire(import.meta.url);",
    },
  };
  await build({
    ...common,
    entryPoints: [join(root, 'apps/server/src/main.ts')],
    outfile: join(root, 'dist/gantry-server.mjs'),
  });
  // Worker threads start from files of their own, found next to the bundle.
  mkdirSync(join(root, 'dist'), { recursive: true });
  copyFileSync(
    join(root, 'packages/store/src/sqlite-checkpointer.worker.mjs'),
    join(root, 'dist/sqlite-checkpointer.worker.mjs'),
  );
  // The built-in definitions (packages/delivery/src/catalog/catalog.ts looks next to the bundle first).
  rmSync(join(root, 'dist/catalog'), { recursive: true, force: true });
  cpSync(join(root, 'packages/delivery/catalog'), join(root, 'dist/catalog'), { recursive: true });
  await build({
    ...common,
    entryPoints: [join(root, 'apps/cli/src/main.ts')],
    outfile: join(root, 'dist/gantry-cli.mjs'),
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle();
}
