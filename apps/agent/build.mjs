// Bundles the agent into dist/ for hosts with Node 20 and nothing else installed (docs/agent.md):
// `node dist/gantry-agent.mjs --server URL --join-token TOKEN`. The job runner (the executor, the
// schema validation it brings: most of the code) is a separate chunk beside it, `gantry-agent-jobs.mjs`,
// read only when the first job comes, so an idle agent neither holds nor parses it. The two files go
// together (the install copies the directory).
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, 'dist');
mkdirSync(outdir, { recursive: true });
for (const file of readdirSync(outdir)) if (file.endsWith('.mjs')) rmSync(join(outdir, file));
await build({
  entryPoints: {
    'gantry-agent': join(here, 'src/main.ts'),
    // An entry of its own so that its file has a stable name; the agent imports it on the first job.
    'gantry-agent-jobs': join(here, '../../packages/jobs/src/agent/index.ts'),
  },
  outdir,
  bundle: true,
  splitting: true,
  entryNames: '[name]',
  // Code both use (esbuild's module helpers, the protocol constants).
  chunkNames: 'gantry-agent-shared',
  outExtension: { '.js': '.mjs' },
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ws's optional native helpers are left out: it falls back to JavaScript.
  external: ['bufferutil', 'utf-8-validate'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
