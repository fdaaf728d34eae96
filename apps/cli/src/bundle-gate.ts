// The `gantry` bin imports the bundle while it checks that dist/ was built from the sources as they are
// (scripts/bundle-freshness.mjs, runBundle; ADR 0035). The check's answer is left here, under a symbol both
// share: a stale bundle must run nothing.
const BUNDLE_GATE = Symbol.for('gantry.bundle-gate');

/** Whether this bundle may run: true when it is fresh or was started without the bin's check. */
export async function bundleMayRun(): Promise<boolean> {
  const gate = (globalThis as Record<symbol, unknown>)[BUNDLE_GATE];
  return gate === undefined ? true : (await gate) === true;
}
