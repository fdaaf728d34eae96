#!/usr/bin/env node
// The CLI runs from the bundle in dist/ (ADR 0011): no TypeScript is compiled at a call. `npm install`
// (prepare), `npm run build` and `npm start` build it; a call that finds it missing or older than the
// sources rebuilds it first. The bundle loads each command's code only when that command runs.
import { fileURLToPath } from 'node:url';
import { ensureBundle } from '../../../scripts/bundle-freshness.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
await ensureBundle(root);
await import(new URL('../../../dist/gantry.mjs', import.meta.url).href);
