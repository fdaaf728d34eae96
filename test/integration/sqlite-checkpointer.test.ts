import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { needsRewind, startCheckpointer, type Checkpointer } from '@gantry/store';

describe('SQLite checkpoints off the event loop', () => {
  let dir: string | undefined;
  let db: SqliteDatabase.Database | undefined;
  let checkpointer: Checkpointer | undefined;

  afterEach(async () => {
    await checkpointer?.stop();
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    checkpointer = undefined;
    db = undefined;
    dir = undefined;
  });

  function open() {
    dir = mkdtempSync(join(tmpdir(), 'gantry-wal-'));
    const path = join(dir, 'test.db');
    const opened = new SqliteDatabase(path);
    opened.pragma('journal_mode = WAL');
    opened.pragma('synchronous = NORMAL');
    opened.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    db = opened;
    return { path, db: opened };
  }

  /** Writes `count` rows of 4 KiB one transaction at a time. */
  async function write(db: SqliteDatabase.Database, count: number) {
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    const read = db.prepare('SELECT max(id) FROM t');
    for (let i = 0; i < count; i++) {
      db.transaction(() => {
        read.get();
        insert.run('x'.repeat(4000));
      })();
      // Requests arrive spread out in time: pause a little every few writes, as a loaded server does.
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 4));
    }
  }

  it('rewinds only a large WAL whose pages the worker has nearly all copied', () => {
    const options = { rewindPages: 4096, backlogPages: 256 };
    expect(needsRewind(5000, 4900, options)).toBe(true);
    expect(needsRewind(5000, 4000, options)).toBe(false);
    expect(needsRewind(1000, 1000, options)).toBe(false);
  });

  it('checkpoints from the worker while the writing connection never does', async () => {
    const { path, db } = open();
    checkpointer = startCheckpointer(db, path, {
      intervalMs: 10,
      rewindPages: 256,
      backlogPages: 64,
      capPages: 1024,
    });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // About 6,000 pages of WAL frames in all; if nobody checkpointed, the file would hold every one (24 MB).
    // A worker starved of CPU (a loaded machine) still leaves the WAL near its cap of 1,024 pages (4 MiB).
    await write(db, 3000);
    const walBytes = statSync(`${path}-wal`).size;
    expect(walBytes).toBeLessThan(12 * 1024 * 1024);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 3000 });
  });
});
