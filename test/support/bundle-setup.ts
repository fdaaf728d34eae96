// Vitest global setup: the `gantry` bin runs the bundle in dist/ and rebuilds it first when a source is
// newer (ADR 0011), saying so on stderr. Tests that run the CLI compare its stderr, so the bundle is made
// fresh once here, before any test starts, and the CLI processes the tests spawn find it up to date.
import { fileURLToPath } from 'node:url';
// @ts-expect-error a plain .mjs script without type declarations
import { ensureBundle } from '../../scripts/bundle-freshness.mjs';

export default async function setup(): Promise<void> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  await (ensureBundle as (root: string, log: (line: string) => void) => Promise<void>)(root, () => undefined);
}
