import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from './outbox.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('Outbox', () => {
  it('keeps reports in order across a restart until each is removed, readable by its owner only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-outbox-'));
    dirs.push(dir);
    const first = new Outbox(dir);
    await first.open();
    const a = await first.add('jobs', { n: 1 });
    await first.add('jobs', { n: 2 });
    expect(statSync(join(dir, 'outbox', a.file)).mode & 0o777).toBe(0o600);

    const second = new Outbox(dir);
    await second.open();
    await second.add('jobs', { n: 3 });
    await second.remove(a.file);
    const entries = second.entries();
    expect(entries.map((entry) => entry.body)).toEqual([{ n: 2 }, { n: 3 }]);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(2);
  });
});
