import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeHealthStream } from './health-stream-suite.ts';

describeHealthStream('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-health-stream-'));
  return Promise.resolve({
    url: join(dir, 'gantry.db'),
    drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  });
});
