import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeCorrelationRepositorySuite } from './correlation-repository-suite.ts';

describeCorrelationRepositorySuite('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-correlation-'));
  return Promise.resolve({
    url: join(dir, 'store.db'),
    cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  });
});
