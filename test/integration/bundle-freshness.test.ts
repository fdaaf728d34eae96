// The `gantry` bin's start (scripts/bundle-freshness.mjs, ADR 0011 and 0035): a bundle older than a source
// never runs; the bin rebuilds it and runs the new one. Checked on a small tree of its own with a fake
// rebuild.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script without type declarations
import * as freshnessModule from '../../scripts/bundle-freshness.mjs';

const freshness = freshnessModule as {
  bundleIsFresh(root: string): boolean;
  runBundle(root: string, options: { entry?: string; rebuild?: () => Promise<void> }): Promise<void>;
};

/** What the fake entries ran, in order. */
const RAN = Symbol.for('gantry.test.ran');
const ran = (): string[] => ((globalThis as Record<symbol, string[]>)[RAN] ??= []);

let root: string;
let builtAt: number;

/** A bundle built now from src/a.ts and src/b.ts; its entry records `version` when it runs. */
function build(version: string): void {
  mkdirSync(join(root, 'dist'), { recursive: true });
  builtAt = Date.now();
  const entry = `(globalThis[Symbol.for('gantry.test.ran')] ??= []).push('${version}');\n`;
  writeFileSync(join(root, 'dist', 'gantry.mjs'), entry);
  writeFileSync(join(root, 'dist', 'gantry-server.mjs'), '');
  writeFileSync(
    join(root, 'dist', 'bundle-inputs.json'),
    JSON.stringify({ startedAt: builtAt, sources: ['src/a.ts', 'src/b.ts'] }),
  );
}

/** A source edited after the build. */
function edit(file: string): void {
  const later = new Date(builtAt + 5_000);
  utimesSync(join(root, file), later, later);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gantry-freshness-'));
  mkdirSync(join(root, 'src'));
  const before = new Date(Date.now() - 60_000);
  for (const file of ['src/a.ts', 'src/b.ts']) {
    writeFileSync(join(root, file), '');
    utimesSync(join(root, file), before, before);
  }
  ran().length = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('the bundle freshness check', () => {
  it('finds a bundle stale when a source is newer or gone, or an entry is missing', () => {
    build('v1');
    expect(freshness.bundleIsFresh(root)).toBe(true);
    edit('src/b.ts');
    expect(freshness.bundleIsFresh(root)).toBe(false);
    build('v2');
    rmSync(join(root, 'src/a.ts'));
    expect(freshness.bundleIsFresh(root)).toBe(false);
    build('v3');
    rmSync(join(root, 'dist', 'gantry-server.mjs'));
    expect(freshness.bundleIsFresh(root)).toBe(false);
  });

  it('runs a fresh bundle without rebuilding it', async () => {
    build('v1');
    let rebuilds = 0;
    await freshness.runBundle(root, { rebuild: () => Promise.resolve(void rebuilds++) });
    expect(ran()).toEqual(['v1']);
    expect(rebuilds).toBe(0);
  });

  it('never runs a stale bundle: it is rebuilt and the new one runs', async () => {
    build('v1');
    edit('src/a.ts');
    await freshness.runBundle(root, { rebuild: () => Promise.resolve(build('v2')) });
    expect(ran()).toEqual(['v2']);
  });

  it('builds a bundle that is missing', async () => {
    await freshness.runBundle(root, { rebuild: () => Promise.resolve(build('v1')) });
    expect(ran()).toEqual(['v1']);
  });
});
