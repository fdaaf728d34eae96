import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { planAlertWrite, SqliteAlertWriter, type AlertWrite, type StoredAlertHead } from './alert-writes.ts';
import { Store } from './store.ts';
// @ts-expect-error a plain .mjs worker script without type declarations
import * as workerModule from './sqlite-alert-writer.worker.mjs';

const { planWrite } = workerModule as {
  planWrite(
    alert: AlertWrite,
    stored: StoredAlertHead | undefined,
    now: string,
  ): ReturnType<typeof planAlertWrite>;
};

const T = (minute: number) => new Date(Date.UTC(2026, 2, 1, 10, minute)).toISOString();

const alert = (name: string, over: Partial<AlertWrite> = {}): AlertWrite => ({
  team: 'ops',
  fingerprint: Buffer.from(name).toString('hex').slice(0, 16).padEnd(16, '0'),
  labels: { alertname: name, cluster: 'c1' },
  annotations: { summary: name },
  startsAt: T(0),
  endsAt: T(5),
  generatorURL: '',
  source: 'prometheus',
  entities: { cluster: 'c1' },
  ...over,
});

const head = (over: Partial<StoredAlertHead> = {}): StoredAlertHead => ({
  starts_at: T(0),
  ends_at: T(5),
  ends_timeout: 0,
  annotations: JSON.stringify({ summary: 'A' }),
  generator_url: '',
  source: 'prometheus',
  ...over,
});

describe("the SQLite alert writer's thread (ADR 0038)", () => {
  it('plans every write as planAlertWrite does', () => {
    const cases: [AlertWrite, StoredAlertHead | undefined][] = [
      [alert('A'), undefined],
      [alert('A'), head()],
      [alert('A', { endsAt: T(6) }), head()],
      [alert('A', { startsAt: T(2), endsAt: T(8) }), head()],
      [alert('A', { startsAt: T(7), endsAt: T(9) }), head()],
      [alert('A', { annotations: { summary: 'changed' } }), head()],
      [alert('A', { source: 'generic' }), head()],
      [alert('A', { generatorURL: 'http://x' }), head()],
      [alert('A', { startsAt: T(0), endsAt: T(1) }), head({ starts_at: T(2), ends_at: T(3) })],
    ];
    for (const [write, stored] of cases)
      expect(planWrite(write, stored, T(1))).toEqual(planAlertWrite(write, stored, T(1)));
  });

  describe('on a database file', () => {
    let dir: string;
    let threaded: Store;
    let plain: Store;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'gantry-alert-thread-'));
      threaded = await Store.open({ url: join(dir, 'threaded.db') });
      plain = await Store.open({ url: join(dir, 'plain.db') });
    });
    afterAll(async () => {
      await threaded?.close();
      await plain?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('writes in its thread what the in-process write writes, and says the same of it', async () => {
      const { db, sqlite } = threaded.connection;
      const inThread = new SqliteAlertWriter(db, sqlite!);
      const here = new SqliteAlertWriter(plain.connection.db, plain.connection.sqlite!, { thread: false });
      // The journal (ADR 0042) is folded once at the first write on the server's connection: before the spy.
      await inThread.settle();
      const transaction = vi.spyOn(sqlite!, 'transaction');
      const batches: AlertWrite[][] = [
        [alert('A'), alert('B'), alert('C', { team: 'dev', entities: { cluster: 'x'.repeat(300) } })],
        [alert('A'), alert('B', { startsAt: T(2), endsAt: T(8) }), alert('D')],
        [alert('A'), alert('B', { startsAt: T(2), endsAt: T(8) })],
      ];
      try {
        for (const [i, batch] of batches.entries()) {
          const a = await inThread.write(batch, T(10 + i));
          const b = await here.write(batch, T(10 + i));
          expect(a).toEqual(b);
        }
        // Nothing ran on the server's own connection: the statements ran in the thread.
        expect(transaction).not.toHaveBeenCalled();
        expect(await threaded.alerts.changedSince(0, 100)).toEqual(await plain.alerts.changedSince(0, 100));
        expect((await threaded.alerts.changedSince(0, 100)).map((row) => row.seq)).toEqual([1, 3, 4, 5]);
      } finally {
        transaction.mockRestore();
        await inThread.close();
      }
    });

    it('writes on its own connection once the thread has ended', async () => {
      const { db, sqlite } = threaded.connection;
      const writer = new SqliteAlertWriter(db, sqlite!);
      await writer.write([alert('E')], T(20));
      await writer.close();
      const change = (await writer.write([alert('F')], T(21))).change;
      expect(change.count).toBe(1);
      expect((await threaded.alerts.changedSince(change.fromSeq - 1, 10)).map((row) => row.labels)).toEqual([
        { alertname: 'F', cluster: 'c1' },
      ]);
    });

    it('reports a failed statement as the error it was, and writes nothing of the batch', async () => {
      const { db, sqlite } = threaded.connection;
      const writer = new SqliteAlertWriter(db, sqlite!);
      const before = await threaded.alerts.changedSince(0, 1000);
      try {
        // NOT NULL on source: the second alert's insert fails inside the transaction.
        await expect(
          writer.write([alert('G'), alert('H', { source: null as unknown as 'prometheus' })], T(30)),
        ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
        expect(await threaded.alerts.changedSince(0, 1000)).toEqual(before);
      } finally {
        await writer.close();
      }
    });
  });
});
