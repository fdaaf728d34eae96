import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAlertWrites } from './alert-writes-suite.ts';

describeAlertWrites('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-alert-writes-'));
  return Promise.resolve({
    url: join(dir, 'gantry.db'),
    drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  });
});
