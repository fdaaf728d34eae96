// The alert ingest's thread when Gantry runs from its sources (tests, development): its TypeScript, loaded
// through tsx. The bundle has its own file of this name, ingest.worker.ts bundled (scripts/bundle.mjs).
import { tsImport } from 'tsx/esm/api';

await tsImport('./ingest.worker.ts', import.meta.url);
