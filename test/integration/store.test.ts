import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStoreSuite } from './store-suite.ts';

describeStoreSuite('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-store-'));
  return Promise.resolve({
    url: join(dir, 'store.db'),
    cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  });
});
