#!/usr/bin/env node
// The CLI runs from the bundle in dist/ (ADR 0011): no TypeScript is compiled at a call. `npm install`
// (prepare), `npm run build` and `npm start` build it; a call that finds it missing or older than the
// sources rebuilds it first (runBundle). The bundle loads each command's code only when that command runs.
// `gantry server` with GANTRY_MAX_HEAP_MB set runs in a Node started with that heap cap (ADR 0025).
import { fileURLToPath } from 'node:url';
import { runBundle } from '../../../scripts/bundle-freshness.mjs';
import { heapCapArgs, runInstead } from './heap-cap.mjs';

let capped;
try {
  capped = heapCapArgs(process.argv, process.env, process.execArgv);
} catch (error) {
  process.stderr.write(`error: ${error.message}\n`);
  process.exit(2);
}
if (capped) await runInstead(capped);
else await runBundle(fileURLToPath(new URL('../../../', import.meta.url)));
