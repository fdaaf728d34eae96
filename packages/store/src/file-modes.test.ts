import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from './store.ts';

describe('SQLite files', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const mode = (path: string) => statSync(path).mode & 0o777;

  it('are created readable by their owner only (0600), the database, its WAL and shared memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-modes-'));
    dirs.push(dir);
    const file = join(dir, 'data', 'gantry.db');
    const store = await Store.open({ url: file });
    try {
      await store.users.count();
      for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(mode(path), path).toBe(0o600);
      expect(mode(join(dir, 'data'))).toBe(0o700);
    } finally {
      await store.close();
    }
  });

  it('tightens the mode of an existing database file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-modes-'));
    dirs.push(dir);
    const file = join(dir, 'gantry.db');
    writeFileSync(file, '');
    chmodSync(file, 0o644);
    const store = await Store.open({ url: file });
    await store.close();
    expect(mode(file)).toBe(0o600);
  });
});
