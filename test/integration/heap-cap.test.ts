// `gantry server` with GANTRY_MAX_HEAP_MB (ADR 0025): the bin starts Node again with the heap cap.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script without type declarations
import * as heapCapModule from '../../apps/cli/bin/heap-cap.mjs';

const { heapCapArgs } = heapCapModule as {
  heapCapArgs(argv: string[], env: NodeJS.ProcessEnv, execArgv: string[]): string[] | undefined;
};
const bin = fileURLToPath(new URL('../../apps/cli/bin/gantry.mjs', import.meta.url));

describe('heapCapArgs', () => {
  const argv = ['/usr/bin/node', '/x/gantry.mjs', 'server', '--port', '7420'];

  it('starts the server in a Node with the cap, its own Node flags kept', () => {
    expect(heapCapArgs(argv, { GANTRY_MAX_HEAP_MB: '400' }, ['--enable-source-maps'])).toEqual([
      '--enable-source-maps',
      '--max-old-space-size=400',
      '/x/gantry.mjs',
      'server',
      '--port',
      '7420',
    ]);
  });

  it('does nothing without the setting, with 0, for other commands, or when the flag was given', () => {
    expect(heapCapArgs(argv, {}, [])).toBeUndefined();
    expect(heapCapArgs(argv, { GANTRY_MAX_HEAP_MB: '0' }, [])).toBeUndefined();
    expect(
      heapCapArgs(['node', 'gantry', 'get', 'server'], { GANTRY_MAX_HEAP_MB: '400' }, []),
    ).toBeUndefined();
    expect(heapCapArgs(argv, { GANTRY_MAX_HEAP_MB: '400' }, ['--max-old-space-size=300'])).toBeUndefined();
    expect(
      heapCapArgs(argv, { GANTRY_MAX_HEAP_MB: '400', NODE_OPTIONS: '--max_old_space_size=300' }, []),
    ).toBeUndefined();
  });

  it('refuses a value that is not a number of MB', () => {
    expect(() => heapCapArgs(argv, { GANTRY_MAX_HEAP_MB: '400m' }, [])).toThrow(/whole number of MB/);
  });
});

describe('gantry server with GANTRY_MAX_HEAP_MB', () => {
  it("runs the capped Node in the bin's place: its output and exit code", () => {
    const capped = spawnSync(process.execPath, [bin, 'server', '--help'], {
      env: { ...process.env, GANTRY_MAX_HEAP_MB: '256' },
      encoding: 'utf8',
    });
    const plain = spawnSync(process.execPath, [bin, 'server', '--help'], {
      env: { ...process.env, GANTRY_MAX_HEAP_MB: '' },
      encoding: 'utf8',
    });
    expect(capped.status).toBe(0);
    expect(capped.stdout).toContain('GANTRY_MAX_HEAP_MB');
    expect(capped.stdout).toBe(plain.stdout);
    // Each Node of the call says its heap limit: the bin's (Node's default), then the server's (the cap).
    const dir = mkdtempSync(join(tmpdir(), 'gantry-heap-'));
    try {
      const probe = join(dir, 'probe.mjs');
      writeFileSync(
        probe,
        "import v8 from 'node:v8';\nprocess.stderr.write(`heap-limit-mb=${Math.round(v8.getHeapStatistics().heap_size_limit / 1048576)}\\n`);\n",
      );
      const probed = spawnSync(process.execPath, [bin, 'server', '--help'], {
        env: { ...process.env, GANTRY_MAX_HEAP_MB: '256', NODE_OPTIONS: `--import=${probe}` },
        encoding: 'utf8',
      });
      const limits = [...probed.stderr.matchAll(/heap-limit-mb=(\d+)/g)].map((match) => Number(match[1]));
      expect(limits).toHaveLength(2);
      expect(limits[1]).toBeGreaterThanOrEqual(256);
      expect(limits[1]).toBeLessThan(320);
      expect(limits[0]).toBeGreaterThan(limits[1]!);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const bad = spawnSync(process.execPath, [bin, 'server'], {
      env: { ...process.env, GANTRY_MAX_HEAP_MB: 'lots' },
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/GANTRY_MAX_HEAP_MB must be a whole number/);
  });
});
