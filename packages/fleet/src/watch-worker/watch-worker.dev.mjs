// Starts the watch worker from its TypeScript source (tests, running from source): the worker's own
// module loader does not see the hooks the parent registered with `--import tsx`.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.entry, import.meta.url);
