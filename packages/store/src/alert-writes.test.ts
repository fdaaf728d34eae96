import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { planAlertWrite, SqliteAlertWriter, type AlertWrite, type StoredAlertHead } from './alert-writes.ts';
import { foldAlertWrites } from './sqlite-alert-statements.ts';
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

/** The server's clock in the merge cases: ends at or before it are resolved. */
const NOW = T(10);
const changed = { summary: 'changed' };

/**
 * Alertmanager 0.25's merge of a posted alert with the stored one (`provider/mem.Put`, `types.Alert.Merge`),
 * case by case: the start, end and timeout flag written, or undefined when the write changes nothing.
 */
const MERGES: {
  name: string;
  stored: StoredAlertHead;
  write: AlertWrite;
  planned?: [string, string, 0 | 1];
}[] = [
  {
    name: 'an HA pair: the later given end holds though the earlier one came last',
    stored: head({ ends_at: T(20) }),
    write: alert('A', { endsAt: T(18), annotations: changed }),
    planned: [T(0), T(20), 0],
  },
  {
    name: 'an HA pair: the later given end coming last replaces the earlier one',
    stored: head({ ends_at: T(18) }),
    write: alert('A', { endsAt: T(20) }),
    planned: [T(0), T(20), 0],
  },
  {
    name: 'an HA pair: the earlier given end, with nothing else new, changes nothing',
    stored: head({ ends_at: T(20) }),
    write: alert('A', { endsAt: T(18) }),
  },
  {
    name: 'a stored timeout does not hold off an earlier given end',
    stored: head({ ends_at: T(15), ends_timeout: 1 }),
    write: alert('A', { endsAt: T(12) }),
    planned: [T(0), T(12), 0],
  },
  {
    name: "the merged alert has the new one's timeout flag, with the stored end",
    stored: head({ ends_at: T(20) }),
    write: alert('A', { startsAt: T(5), endsAt: T(15), endsTimeout: true }),
    planned: [T(0), T(20), 1],
  },
  {
    name: 'a change of the flag alone is written',
    stored: head({ ends_at: T(20) }),
    write: alert('A', { endsAt: T(20), endsTimeout: true }),
    planned: [T(0), T(20), 1],
  },
  {
    name: 'two resolves: the later resolve time holds',
    stored: head({ ends_at: T(8) }),
    write: alert('A', { endsAt: T(6), annotations: changed }),
    planned: [T(0), T(8), 0],
  },
  {
    name: 'a resolve of a firing alert ends it, before its given end',
    stored: head({ ends_at: T(20) }),
    write: alert('A', { endsAt: T(9) }),
    planned: [T(0), T(9), 0],
  },
  {
    name: 'no overlap: the new alert replaces the stored one as it is',
    stored: head({ ends_at: T(3) }),
    write: alert('A', { startsAt: T(4), endsAt: T(20) }),
    planned: [T(4), T(20), 0],
  },
  {
    name: 'an alert that starts where the stored one ended does not merge (strict comparisons)',
    stored: head({ ends_at: T(5) }),
    write: alert('A', { startsAt: T(5), endsAt: T(20) }),
    planned: [T(5), T(20), 0],
  },
  {
    name: 'an overlap keeps the earlier start and takes a later end',
    stored: head({ ends_at: T(20) }),
    write: alert('A', { startsAt: T(2), endsAt: T(25) }),
    planned: [T(0), T(25), 0],
  },
];

describe('a write merged with the stored alert, as Alertmanager 0.25 merges them', () => {
  it.each(MERGES)('$name', ({ stored, write, planned }) => {
    const plan = planAlertWrite(write, stored, NOW);
    expect(plan && [plan.startsAt, plan.endsAt, plan.endsTimeout]).toEqual(planned);
    // The writer thread's own copy of the plan says the same.
    expect(planWrite(write, stored, NOW)).toEqual(plan);
  });

  it('folds repeats of an alert in one batch by the same rule', () => {
    const folded = foldAlertWrites(
      [
        alert('A', { endsAt: T(20) }),
        alert('B'),
        alert('A', { startsAt: T(5), endsAt: T(18), endsTimeout: true, annotations: changed }),
        alert('B', { startsAt: T(5), endsAt: T(9) }),
      ],
      NOW,
    );
    expect(folded.map((a) => [a.labels.alertname, a.startsAt, a.endsAt, a.endsTimeout === true])).toEqual([
      ['A', T(0), T(20), true],
      ['B', T(5), T(9), false],
    ]);
    expect(folded[0]!.annotations).toEqual(changed);
  });
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
      [alert('A', { startsAt: T(5), endsAt: T(9) }), head()],
      [alert('A', { startsAt: T(1), endsAt: T(4) }), head()],
      [alert('A', { startsAt: T(1), endsAt: T(3) }), head({ ends_at: T(4) })],
      ...MERGES.map(({ write, stored }): [AlertWrite, StoredAlertHead] => [write, stored]),
    ];
    // Each with either flag on either side, at clocks before, between and after the ends.
    for (const [write, stored] of cases)
      for (const endsTimeout of [false, true])
        for (const storedTimeout of [0, 1])
          for (const now of [T(1), T(4), T(7), NOW, T(30)]) {
            const timed = { ...write, endsTimeout };
            const storedHead = stored && { ...stored, ends_timeout: storedTimeout };
            expect(planWrite(timed, storedHead, now)).toEqual(planAlertWrite(timed, storedHead, now));
          }
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
