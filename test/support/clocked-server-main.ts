import { resolveConfig, startServer } from '../../apps/server/src/index.ts';

/**
 * `gantry server` as its own process (what `apps/server/src/main.ts` starts), with the server's injectable
 * clock moved by its parent: the clock is the wall clock plus an offset, given at start
 * (`GANTRY_TEST_CLOCK_OFFSET_MS`) and moved by an IPC message `{ offsetMs }`, answered once it applies. A
 * test kills this process with SIGKILL and starts it again on the same data with the offset it had.
 */
let offsetMs = Number(process.env.GANTRY_TEST_CLOCK_OFFSET_MS ?? '0');
const now = () => Date.now() + offsetMs;

process.on('message', (message: { offsetMs?: number }) => {
  if (typeof message.offsetMs === 'number') offsetMs = message.offsetMs;
  process.send?.({ offsetMs });
});

const server = await startServer(resolveConfig(process.env, {}), { now });
process.stdout.write(`\nGantry is running at ${server.url}  (database: ${server.store.dialect})\n\n`);
