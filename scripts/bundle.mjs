// Bundles the CLI and the server into ES modules under dist/ (ADR 0011), so that neither a CLI call nor a
// server start compiles TypeScript or resolves hundreds of npm files. One esbuild run with code splitting:
// `dist/gantry.mjs` (the CLI, run by apps/cli/bin/gantry.mjs) and `dist/gantry-server.mjs` (the server
// alone) share their chunks, so `gantry server` runs the very code `node dist/gantry-server.mjs` runs, and a
// CLI command loads only its own chunk. npm dependencies are bundled too, except those listed in EXTERNAL.
// The sources each output was built from are recorded in dist/bundle-inputs.json for the freshness check
// (scripts/bundle-freshness.mjs).
import { build } from 'esbuild';
import {
  cpSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { INPUTS_FILE, dependencyStampFiles } from './bundle-inputs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/**
 * Left to Node's resolver: a native addon, an optional addon of pg, the Kubernetes client (large, and
 * imported only once a cluster is used), and the bundler itself.
 */
/** Worker threads of the store, started from files of their own next to the bundle. */
const WORKER_FILES = ['sqlite-checkpointer.worker.mjs', 'sqlite-alert-writer.worker.mjs'];
const EXTERNAL = ['better-sqlite3', 'pg-native', '@kubernetes/client-node', 'esbuild'];

/** Chunks no longer referenced are removed once they are this old (a running CLI may still load one). */
const STALE_CHUNK_MS = 10 * 60_000;

export async function bundle() {
  const startedAt = Date.now();
  const result = await build({
    entryPoints: {
      gantry: join(root, 'apps/cli/src/main.ts'),
      'gantry-server': join(root, 'apps/server/src/main.ts'),
      // The alert ingest's thread (ADR 0042), started from this file next to the chunks; from sources a
      // script of the same name loads its TypeScript through tsx instead.
      'alert-ingest.worker': join(root, 'packages/alerts/src/ingest/ingest.worker.ts'),
    },
    absWorkingDir: root,
    outdir: dist,
    // Chunks sit next to the entries: the code finds files relative to import.meta.url (the catalog, the
    // checkpointer worker, the console).
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    write: false,
    logLevel: 'warning',
    external: EXTERNAL,
    // Bundled CommonJS packages call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __gantryCreateRequire } from 'node:module'; const require = __gantryCreateRequire(import.meta.url);",
    },
  });
  mkdirSync(dist, { recursive: true });
  // Each file is written whole and renamed into place, chunks before the entries that import them, so that
  // a CLI call running while another rebuilds never reads half a file.
  const outputs = [...result.outputFiles].sort((a, b) => Number(isEntry(a.path)) - Number(isEntry(b.path)));
  for (const file of outputs) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
  removeUnusedChunks(new Set(outputs.map((file) => file.path)));
  // Worker threads start from files of their own, found next to the bundle.
  for (const worker of WORKER_FILES) cpSync(join(root, 'packages/store/src', worker), join(dist, worker));
  // The built-in definitions (packages/delivery/src/catalog/catalog.ts looks next to the bundle first),
  // parsed here once rather than at every start.
  rmSync(join(dist, 'catalog'), { recursive: true, force: true });
  for (const folder of ['components', 'traits']) {
    const from = join(root, 'packages/delivery/catalog', folder);
    mkdirSync(join(dist, 'catalog', folder), { recursive: true });
    for (const file of readdirSync(from).filter((name) => name.endsWith('.yaml'))) {
      const object = parseYaml(readFileSync(join(from, file), 'utf8'));
      writeFileSync(join(dist, 'catalog', folder, file.replace(/\.yaml$/, '.json')), JSON.stringify(object));
    }
  }

  const sources = Object.keys(result.metafile.inputs)
    .map((input) => join(root, input))
    .filter((path) => !path.split('/').includes('node_modules'));
  sources.push(
    ...WORKER_FILES.map((worker) => join(root, 'packages/store/src', worker)),
    ...readdirSync(join(root, 'packages/delivery/catalog'), { recursive: true }).map((file) =>
      join(root, 'packages/delivery/catalog', String(file)),
    ),
    join(root, 'scripts/bundle.mjs'),
    ...dependencyStampFiles(root),
  );
  const inputs = { startedAt, sources: sources.map((path) => relative(root, path)) };
  writeFileSync(join(dist, INPUTS_FILE), `${JSON.stringify(inputs)}\n`);
}

function isEntry(path) {
  return /\/(gantry(-server)?|alert-ingest\.worker)\.mjs$/.test(path);
}

function removeUnusedChunks(written) {
  const now = Date.now();
  for (const name of readdirSync(dist)) {
    if (!name.startsWith('chunk-')) continue;
    const path = join(dist, name);
    if (written.has(path) || written.has(path.replace(/\.map$/, ''))) continue;
    if (now - statSync(path).mtimeMs > STALE_CHUNK_MS) rmSync(path, { force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle();
}
