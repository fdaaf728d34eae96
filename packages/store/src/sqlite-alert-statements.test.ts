import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, migrateToLatest } from './connect.ts';
import { migrations } from './migrations/index.ts';
import { foldAlertWrites, SqliteAlertStatements, type AlertWrite } from './sqlite-alert-statements.ts';
import { Store } from './store.ts';

const T0 = Date.UTC(2026, 2, 1, 10);
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

/**
 * A small deterministic generator, so that a failure replays: a 32-bit linear congruential one, exact in
 * 32-bit integer arithmetic (a product in doubles loses its low bits), read from its high bits (its low
 * bits repeat with a short period: `% 4` would cycle through four values).
 */
function random(seed: number) {
  let state = seed >>> 0;
  return (n: number) => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return Math.floor((state / 2 ** 32) * n);
  };
}

/** An alert firing from up to 30 s before `at` for up to three minutes; now and then its end a timeout. */
function alertOf(key: number, pick: (n: number) => number, at: number): AlertWrite {
  const startsAt = iso(at - pick(30));
  return {
    team: key % 3 === 0 ? 'dev' : 'ops',
    fingerprint: key.toString(16).padStart(16, '0'),
    labels: { alertname: `A${key}`, node: `n${key % 4}` },
    annotations: { summary: `s${pick(3)}` },
    startsAt,
    endsAt: iso(at + pick(4) * 60),
    endsTimeout: pick(4) === 1,
    generatorURL: pick(5) === 0 ? 'http://other' : '',
    source: pick(7) === 0 ? 'generic' : 'prometheus',
    entities: { node: `n${key % 4}` },
  };
}

describe('SqliteAlertStatements with the journal (ADR 0042)', () => {
  let dir: string;
  let stores: Store[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-alert-journal-'));
    stores = [];
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function pair(name: string) {
    const plainStore = await Store.open({ url: join(dir, `${name}-plain.db`) });
    const journalStore = await Store.open({ url: join(dir, `${name}-journal.db`) });
    stores.push(plainStore, journalStore);
    return { plain: plainStore.connection.sqlite!, journaled: journalStore.connection.sqlite! };
  }

  const rows = (db: SqliteDatabase) => db.prepare('select * from alerts order by team, fingerprint').all();
  const journalRows = (db: SqliteDatabase) =>
    (db.prepare('select count(*) as n from alert_journal').get() as { n: number }).n;

  // Sixty alerts, folds due by age: the journal is folded; four alerts, a longer age and a shorter journal:
  // its changes soon outnumber the alerts, and it is compacted.
  it.each([
    { keys: 60, ageMs: 3_000, pending: 40, chunk: 25, name: 'random' },
    { keys: 4, ageMs: 30_000, pending: 8, chunk: 25, name: 'compacted' },
  ])(
    'answers and stores what the plain write does, whatever the folds in between ($keys alerts)',
    async ({ keys, ageMs, pending, chunk, name }) => {
      const { plain, journaled } = await pair(name);
      let now = T0;
      const options = { foldPending: pending, foldAgeMs: ageMs, foldChunk: chunk, heads: 45, now: () => now };
      const here = new SqliteAlertStatements(plain);
      let thread = new SqliteAlertStatements(journaled, options);
      const pick = random(7);
      let epoch = 0;
      let folds = 0;
      /** Writes whose stored end was kept over the alert's own (Alertmanager's merge). */
      let keptEnds = 0;
      for (let step = 0; step < 600; step++) {
        now += pick(1_500);
        const batch = Array.from({ length: 1 + pick(12) }, () =>
          alertOf(pick(keys), pick, (now - T0) / 1000),
        );
        // The plain writer takes one write per alert, folded by its caller; the journaling one folds them.
        const updatedAt = new Date(now).toISOString();
        const unique = foldAlertWrites(batch, updatedAt);
        // Now and then another connection writes (the store's own): it folds the journal first.
        if (pick(40) === 0) {
          epoch++;
          new SqliteAlertStatements(journaled).foldAll();
        }
        // Now and then the thread folds the journal whole itself, and keeps its heads.
        if (pick(53) === 0) thread.foldAll();
        // Now and then the thread starts again (a restart) with whatever the journal holds.
        if (pick(97) === 0) thread = new SqliteAlertStatements(journaled, options);
        const before = journalRows(journaled);
        // `unchanged` is the journaling writer's own (what its previous write left); all else is the same.
        const { unchanged, slots, ...written } = thread.write(batch, updatedAt, epoch);
        expect(written).toEqual({ ...here.write(unique, updatedAt), unchanged: undefined, slots: undefined });
        keptEnds += written.ends.filter((end, i) => end !== null && end !== written.alerts[i]!.endsAt).length;
        expect(unchanged.map((same) => same === null)).toEqual(written.starts.map((start) => start === null));
        // Every alert written has its head, and the slot its caller keeps there.
        expect(written.starts.filter((start, i) => start !== null && slots[i] === undefined)).toEqual([]);
        thread.foldDue();
        if (journalRows(journaled) < before) folds++;
        if (pick(25) === 0) {
          new SqliteAlertStatements(journaled).foldAll();
          expect(rows(journaled)).toEqual(rows(plain));
        }
      }
      thread.foldAll();
      expect(journalRows(journaled)).toBe(0);
      expect(rows(journaled)).toEqual(rows(plain));
      expect(folds).toBeGreaterThan(5);
      // The merge kept stored ends, and timeouts went through the journal, its folds and compaction.
      expect(keptEnds).toBeGreaterThan(5);
      expect(rows(plain).some((row) => (row as { ends_timeout: number }).ends_timeout === 1)).toBe(true);
    },
  );

  it('writes a resend of a stored alert to the journal, not to its row, until folded', async () => {
    const { journaled } = await pair('resend');
    let now = T0;
    const thread = new SqliteAlertStatements(journaled, {
      foldPending: 1_000,
      foldAgeMs: 60_000,
      foldChunk: 1_000,
      heads: 1_000,
      now: () => now,
    });
    const first = alertOf(1, () => 0, 0);
    thread.write([first], iso(0), 0);
    const resend = { ...first, endsAt: iso(600) };
    thread.write([resend], iso(1), 0);
    thread.write([{ ...resend, endsAt: iso(900) }], iso(2), 0);
    expect(journalRows(journaled)).toBe(2);
    expect(rows(journaled)).toMatchObject([{ ends_at: first.endsAt, seq: 1 }]);
    now += 60_000;
    thread.write([{ ...resend, endsAt: iso(1200) }], iso(3), 0);
    expect(journalRows(journaled)).toBe(3);
    thread.foldDue();
    // Due: the chunk folds only the latest change of the alert (seq 4), and the rows it read go.
    expect(journalRows(journaled)).toBe(0);
    expect(rows(journaled)).toMatchObject([{ ends_at: iso(1200), seq: 4, updated_at: iso(3) }]);
  });

  it('compacts a journal whose changes outnumber its alerts, also while a fold is under way', async () => {
    const { journaled } = await pair('compact');
    let now = T0;
    const thread = new SqliteAlertStatements(journaled, {
      foldPending: 6,
      foldAgeMs: 1_000,
      foldChunk: 1,
      heads: 100,
      now: () => now,
    });
    const alerts = [1, 2, 4].map((key) => alertOf(key, () => 0, 0));
    const resent = (minutes: number) => alerts.map((alert) => ({ ...alert, endsAt: iso(minutes * 60) }));
    thread.write(alerts, iso(0), 0);
    thread.write(resent(10), iso(1), 0);
    now += 2_000;
    // Due by age: the fold writes the first alert only (one at a time).
    thread.foldDue();
    expect(rows(journaled).map((row) => (row as { ends_at: string }).ends_at)).toEqual([
      iso(600),
      alerts[1]!.endsAt,
      alerts[2]!.endsAt,
    ]);
    thread.write(resent(20), iso(2), 0);
    // Six changes of three alerts: one row of their latest changes, the two the fold had not reached too.
    thread.foldDue();
    expect(journalRows(journaled)).toBe(1);
    thread.write(resent(30).slice(0, 1), iso(3), 0);
    new SqliteAlertStatements(journaled).foldAll();
    expect(journalRows(journaled)).toBe(0);
    expect(rows(journaled)).toMatchObject([
      { ends_at: iso(1800), updated_at: iso(3) },
      { ends_at: iso(1200), updated_at: iso(2) },
      { ends_at: iso(1200), updated_at: iso(2) },
    ]);
  });

  it('takes an alert stored, or a change journaled, before migration 0031 as one with a given end', async () => {
    const connection = connect({ url: join(dir, 'before-0031.db') });
    try {
      const migrator = new Migrator({
        db: connection.db,
        provider: { getMigrations: () => Promise.resolve(migrations('sqlite')) },
        migrationTableName: 'gantry_migrations',
        migrationLockTableName: 'gantry_migrations_lock',
      });
      expect((await migrator.migrateTo('0030-alert-journal')).error).toBeUndefined();
      const db = connection.sqlite!;
      // As 0030's writers left them: a row, and a later change of another alert in the journal, no flags.
      const stored = alertOf(1, () => 0, 0);
      const journaled = alertOf(2, () => 0, 0);
      const insert = db.prepare(
        `insert into alerts (team, fingerprint, seq, alertname, labels, annotations, starts_at, ends_at,
          updated_at, generator_url, source, cluster, node, namespace, application, component)
          values (?, ?, ?, 'A', '{}', ?, ?, ?, ?, ?, ?, '', '', '', '', '')`,
      );
      const row = (alert: AlertWrite, seq: number, endsAt: string) =>
        insert.run(
          alert.team,
          alert.fingerprint,
          seq,
          JSON.stringify(alert.annotations),
          iso(0),
          endsAt,
          iso(0),
          alert.generatorURL,
          alert.source,
        );
      row(stored, 1, iso(1200));
      row(journaled, 2, iso(60));
      db.prepare('insert into alert_journal (id, updated_at, entries) values (3, ?, ?)').run(
        iso(1),
        JSON.stringify([[journaled.team, journaled.fingerprint, 3, iso(0), iso(1200), null, null, null]]),
      );
      db.prepare('update alert_seq set value = 3 where id = 1').run();
      await migrateToLatest(connection);
      new SqliteAlertStatements(db).foldAll();
      const times = () =>
        db.prepare('select fingerprint, ends_at, ends_timeout from alerts order by fingerprint').all();
      expect(times()).toEqual([
        { fingerprint: stored.fingerprint, ends_at: iso(1200), ends_timeout: 0 },
        { fingerprint: journaled.fingerprint, ends_at: iso(1200), ends_timeout: 0 },
      ]);
      // Given ends: an earlier one resent (the other replica of an HA pair) leaves them.
      const written = new SqliteAlertStatements(db).write(
        [
          { ...stored, startsAt: iso(0), endsAt: iso(600) },
          { ...journaled, startsAt: iso(0), endsAt: iso(600) },
        ],
        iso(2),
      );
      expect(written.starts).toEqual([null, null]);
      expect(times()).toMatchObject([{ ends_at: iso(1200) }, { ends_at: iso(1200) }]);
    } finally {
      await connection.close();
    }
  });

  it('forgets what a write that SQLite refused had changed: its resend is written again', async () => {
    const { journaled } = await pair('refused');
    const thread = new SqliteAlertStatements(journaled, {});
    const first = alertOf(1, () => 0, 0);
    thread.write([first], iso(0), 0);
    thread.write([{ ...first, endsAt: iso(600) }], iso(1), 0);
    // The second alert cannot be stored (no team): the transaction, and the first alert's change in it, go.
    const broken = { ...alertOf(2, () => 0, 0), team: null as unknown as string };
    expect(() => thread.write([{ ...first, endsAt: iso(900) }, broken], iso(2), 0)).toThrow();
    const again = thread.write([{ ...first, endsAt: iso(900) }], iso(3), 0);
    expect(again.starts).toEqual([first.startsAt]);
    thread.foldAll();
    expect(rows(journaled)).toMatchObject([{ ends_at: iso(900), updated_at: iso(3) }]);
  });

  it("tells the listeners of a thread's commit after the turn when more wait, and of every write in commit order", async () => {
    const store = await Store.open({ url: join(dir, 'told.db') });
    stores.push(store);
    const heard: number[] = [];
    store.alerts.onIngested((change) => heard.push(change.fromSeq));
    /** A lease of one commit, made on another connection (the ingest's thread, ADR 0046). */
    const committed = (fromSeq: number, busy: boolean) =>
      store.alerts.lease(
        async (_epoch, commit) => {
          commit({
            change: { fromSeq, toSeq: fromSeq, teams: ['ops'], count: 1 },
            alerts: [],
            journaled: false,
          });
        },
        () => busy,
      );
    await committed(100, false);
    // Nothing waits behind it: told before the writer goes on.
    expect(heard).toEqual([100]);
    await committed(101, true);
    // ADR 0043: in a storm, the writer answers and hands the thread its next commit before the listeners run.
    expect(heard).toEqual([100]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toEqual([100, 101]);
    await committed(102, true);
    await committed(103, false);
    // Told at once, after the one told later that waits.
    expect(heard).toEqual([100, 101, 102, 103]);
    await committed(104, true);
    // A write of the store's own connection is told at once, after the commits told later that wait.
    const own = await store.alerts.upsert([alertOf(3, () => 0, 0)], iso(1));
    expect(heard).toEqual([100, 101, 102, 103, 104, own.fromSeq]);
    await committed(105, true);
    const closing = store.close();
    stores.pop();
    // Told as the store starts closing, while it is still open, not lost.
    expect(heard).toEqual([100, 101, 102, 103, 104, own.fromSeq, 105]);
    await closing;
  });

  it('leaves nothing unread for the store: its reads fold the journal first', async () => {
    const store = await Store.open({ url: join(dir, 'reads.db') });
    stores.push(store);
    const thread = new SqliteAlertStatements(store.connection.sqlite!, {});
    const first = alertOf(2, () => 0, 0);
    thread.write([first], iso(0), 0);
    // The thread's commits tell the store that changes wait (AlertRepository.lease).
    await store.alerts.lease(async (_epoch, commit) => {
      const write = thread.write([{ ...first, endsAt: iso(3_600) }], iso(1), 0);
      expect(write.starts).toEqual([first.startsAt]);
      commit({ change: { fromSeq: 2, toSeq: 2, teams: ['ops'], count: 0 }, alerts: [], journaled: true });
    });
    expect(journalRows(store.connection.sqlite!)).toBe(1);
    expect((await store.alerts.get('ops', first.fingerprint))?.endsAt).toBe(iso(3_600));
    expect(journalRows(store.connection.sqlite!)).toBe(0);
  });
});
