import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller, Principal } from '@gantry/identity';
import { Store, type AlertsIngested, type StoredAlert } from '@gantry/store';
import { AlertIngest, type IngestMetrics } from './alert-ingest.ts';
import { IngestThread, type PreparedReply } from './ingest-thread.ts';

const NOW = Date.parse('2026-03-01T10:00:00.000Z');
const T = (minute: number) => new Date(NOW + minute * 60_000).toISOString();
const operator: Caller = {
  principal: { username: 'u', admin: false, teams: new Map([['ops', 'operator']]) } as Principal,
  source: 'test',
};
const admin: Caller = {
  principal: { username: 'root', admin: true, teams: new Map() } as Principal,
  source: 'test',
};

interface Side {
  store: Store;
  ingest: AlertIngest;
  heard: StoredAlert[][];
  counted: string[];
  clock: { now: number };
}

async function side(dir: string, name: string, thread: boolean): Promise<Side> {
  const store = await Store.open({ url: join(dir, `${name}.db`) });
  const heard: StoredAlert[][] = [];
  store.alerts.onIngested((_change, alerts) => heard.push([...alerts]));
  const counted: string[] = [];
  const metrics: IngestMetrics = {
    received: (source, n) => counted.push(`received:${source}:${n}`),
    rejected: (reason, n) => counted.push(`rejected:${reason}:${n}`),
    normalized: (reason, n) => counted.push(`normalized:${reason}:${n}`),
  };
  const clock = { now: NOW };
  const ingest = new AlertIngest({
    repository: store.alerts,
    thread,
    teamExists: (team) => Promise.resolve(team !== 'ghost'),
    metrics,
    now: () => clock.now,
    resolveTimeoutMs: 300_000,
    teamLabel: 'team',
  });
  return { store, ingest, heard, counted, clock };
}

const body = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** What a post came to: its answer, or its error's status, code and message. */
async function post(s: Side, payload: unknown, team: string | null = 'ops') {
  try {
    return await s.ingest.ingestBody(operator, {
      ...(team ? { team } : {}),
      source: 'prometheus',
      body: typeof payload === 'string' ? new TextEncoder().encode(payload) : body(payload),
    });
  } catch (error) {
    const e = error as { status: number; code: string; message: string; details: unknown };
    return { status: e.status, code: e.code, message: e.message, details: e.details };
  }
}

describe("the alert ingest's thread (ADR 0042)", () => {
  let dir: string;
  let threaded: Side;
  let plain: Side;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-ingest-thread-'));
    threaded = await side(dir, 'threaded', true);
    plain = await side(dir, 'plain', false);
    expect(await threaded.ingest.threadReady()).toBe(true);
    expect(await plain.ingest.threadReady()).toBe(false);
  }, 60_000);
  afterAll(async () => {
    for (const s of [threaded, plain]) {
      await s?.ingest.close();
      await s?.store.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores, answers and tells its listeners what the event loop does, body for body', async () => {
    const bodies: unknown[] = [
      [
        { labels: { alertname: 'A', node: 'n1', cluster: 'c1' }, annotations: { summary: 'a' } },
        { labels: { alertname: 'B', severity: 'page', empty: '' }, startsAt: T(-5) },
        { labels: { alertname: 'C' }, startsAt: T(-2), endsAt: T(1) },
      ],
      // Repeats: one unchanged (no number), one with new annotations, one moved.
      [
        { labels: { alertname: 'A', node: 'n1', cluster: 'c1' }, annotations: { summary: 'a' } },
        { labels: { alertname: 'B', severity: 'page' }, startsAt: T(-5), annotations: { summary: 'b2' } },
        { labels: { alertname: 'C' }, startsAt: T(-1), endsAt: T(3) },
        { labels: { alertname: 'D', team: 'ops' } },
      ],
      [],
      // Refused: bad names, missing alertname, ends before starts, not an array, not JSON, bad times.
      [{ labels: { alertname: 'E', 'bad name': 'x' } }],
      [{ labels: { severity: 'x' } }],
      [{ labels: { alertname: 'F' }, startsAt: T(2), endsAt: T(1) }],
      { labels: { alertname: 'not an array' } },
      '[{"labels": ',
      [{ labels: { alertname: 'G' }, startsAt: 'yesterday' }],
      [{ labels: { alertname: 'G' }, annotations: { n: 1 } }],
      [{ labels: { alertname: 'A', nul: 'a\u0000b' } }],
    ];
    for (const [i, payload] of bodies.entries()) {
      threaded.clock.now = plain.clock.now = NOW + i * 1000;
      const [a, b] = [await post(threaded, payload), await post(plain, payload)];
      expect(a, JSON.stringify(payload)).toEqual(b);
    }
    expect(threaded.heard).toEqual(plain.heard);
    // A second later every alert without endsAt moves its endsAt: written again (A), as B, C and D.
    expect(threaded.heard.flat().map((alert) => alert.labels.alertname)).toEqual([
      'A',
      'B',
      'C',
      'A',
      'B',
      'C',
      'D',
    ]);
    expect(await threaded.store.alerts.changedSince(0, 100)).toEqual(
      await plain.store.alerts.changedSince(0, 100),
    );
    expect(threaded.counted).toEqual(plain.counted);
    expect(threaded.counted).toContain('rejected:malformed:1');
  });

  it("stores and tells the endsAt Alertmanager's merge keeps, as the event loop does", async () => {
    threaded.clock.now = plain.clock.now = NOW;
    const replica = (endsAt: string | undefined, value: string) => ({
      labels: { alertname: 'Replicated' },
      annotations: { value },
      startsAt: T(-1),
      ...(endsAt ? { endsAt } : {}),
    });
    const before = [threaded.heard.length, plain.heard.length];
    const bodies = [
      // An HA pair: the later given endsAt first, then the earlier one (with its own annotations).
      [replica(T(4), '3')],
      [replica(T(3), '2')],
      // No endsAt: now + the resolve timeout (T(5)), which then holds off no earlier given one.
      [replica(undefined, '4')],
      [replica(T(2), '5')],
      // Both replicas in one body: folded by the same rule.
      [replica(T(6), '6'), replica(T(5), '7')],
    ];
    for (const payload of bodies) expect(await post(threaded, payload)).toEqual(await post(plain, payload));
    const heard = (side: Side, from: number) =>
      side.heard
        .slice(from)
        .flat()
        .filter((alert) => alert.labels.alertname === 'Replicated')
        .map((alert) => [alert.endsAt, alert.annotations.value]);
    expect(heard(threaded, before[0]!)).toEqual([
      [T(4), '3'],
      [T(4), '2'],
      [T(5), '4'],
      [T(2), '5'],
      [T(6), '7'],
    ]);
    expect(heard(threaded, before[0]!)).toEqual(heard(plain, before[1]!));
    expect(await threaded.store.alerts.changedSince(0, 100)).toEqual(
      await plain.store.alerts.changedSince(0, 100),
    );
  });

  it('groups the bodies that arrive while a commit runs into one transaction, each answered after it', async () => {
    // The team checked just now: the thread takes the bodies as ready (none comes back to be checked).
    expect(await post(threaded, [{ labels: { alertname: 'GroupFirst' } }])).toEqual({ accepted: 1 });
    const before = threaded.heard.length;
    const seq = await threaded.store.alerts.currentSeq();
    // The store's connection is held (a commit runs) while the bodies arrive: the thread prepares them all
    // before its lease is granted (its messages come in order), and commits them in one transaction.
    let holding!: () => void;
    let open!: () => void;
    const isHeld = new Promise<void>((resolve) => (holding = resolve));
    const held = threaded.store.alerts.lease(() => {
      holding();
      return new Promise<void>((resolve) => (open = resolve));
    });
    await isHeld;
    const posted = Promise.all(
      Array.from({ length: 20 }, (_, i) => post(threaded, [{ labels: { alertname: `Group${i}` } }])),
    );
    open();
    await held;
    const replies = await posted;
    expect(replies).toEqual(Array.from({ length: 20 }, () => ({ accepted: 1 })));
    // The thread's commits are told to the listeners after the turn that answered them, in commit order.
    await new Promise((resolve) => setImmediate(resolve));
    const groups = threaded.heard.slice(before);
    expect(groups.flat()).toHaveLength(20);
    expect(groups).toHaveLength(1);
    // The listeners were told exactly what was stored.
    expect(groups.flat()).toEqual(await threaded.store.alerts.changedSince(seq, 100));
    const stored = await threaded.store.alerts.query({ teams: ['ops'], now: T(0), limit: 100 });
    expect(stored.items.filter((alert) => /^Group\d+$/.test(alert.labels.alertname ?? ''))).toHaveLength(20);
  });

  it('refuses an unknown team before anything is written, and a team the caller may not write', async () => {
    const seq = await threaded.store.alerts.currentSeq();
    const ghost = await threaded.ingest
      .ingestBody(admin, {
        team: 'ghost',
        source: 'prometheus',
        body: body([{ labels: { alertname: 'X' } }]),
      })
      .catch((error: { status: number }) => ({ status: error.status }));
    expect(ghost).toEqual({ status: 404 });
    expect(await post(threaded, [{ labels: { alertname: 'X', team: 'dev' } }], null)).toMatchObject({
      status: 403,
    });
    expect(await threaded.store.alerts.currentSeq()).toBe(seq);
  });

  it('ingests on the event loop once the thread has ended, losing nothing', async () => {
    const pending = post(threaded, [{ labels: { alertname: 'Late' } }]);
    await threaded.ingest.close();
    expect(await pending).toEqual({ accepted: 1 });
    expect(await post(threaded, [{ labels: { alertname: 'After' } }])).toEqual({ accepted: 1 });
    const names = (await threaded.store.alerts.changedSince(0, 1000)).map((alert) => alert.labels.alertname);
    expect(names).toEqual(expect.arrayContaining(['Late', 'After']));
  });
});

describe("the alert ingest's thread, leased the store's connection (ADR 0046)", () => {
  it(
    'commits under a lease what is ready, and a body bound to a team not cleared once it is approved',
    {
      timeout: 30_000,
    },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gantry-ingest-lease-'));
      const store = await Store.open({ url: join(dir, 'lease.db') });
      const sentBack: PreparedReply[] = [];
      // As the ingest does: the lease ends once nothing is left at the thread.
      const thread: IngestThread = new IngestThread({
        path: join(dir, 'lease.db'),
        busyMs: 5_000,
        onPrepared: (reply) => {
          sentBack.push(reply);
          if (thread.held === 0) thread.release();
        },
      });
      try {
        while (!thread.ready) await new Promise((resolve) => setTimeout(resolve, 10));
        const options = {
          team: 'ops',
          teamLabel: 'team',
          source: 'prometheus' as const,
          now: NOW,
          resolveTimeoutMs: 300_000,
        };
        const batch = (n: number) =>
          body(
            Array.from({ length: 64 }, (_, i) => ({ labels: { alertname: 'Lease', n: `${n}`, i: `${i}` } })),
          );
        let commits: { change: AlertsIngested; batches: number[] }[] = [];
        const lease = async () => {
          commits = [];
          await store.alerts.lease((epoch, committed) =>
            thread.lease(epoch, (made) => {
              commits.push({
                change: committed(made.written),
                batches: made.committed.map((outcome) => outcome.id),
              });
              if (thread.held === 0) thread.release();
            }),
          );
          return {
            batches: commits.flatMap((commit) => commit.batches),
            count: commits.reduce((sum, commit) => sum + commit.change.count, 0),
          };
        };
        const a = thread.prepare(batch(0), options, ['ops']);
        const b = thread.prepare(batch(1), options, ['ops']);
        const c = thread.prepare(batch(2), options, []);
        expect(thread.held).toBe(3);
        // The two bound to a cleared team are committed, in order; the third comes back to be checked.
        expect(await lease()).toEqual({ batches: [a, b], count: 128 });
        expect(commits[0]!.change).toMatchObject({ fromSeq: 1, teams: ['ops'] });
        expect(sentBack).toMatchObject([{ type: 'prepared', id: c, ok: true, teams: ['ops'], count: 64 }]);
        expect(thread.held).toBe(0);
        expect(thread.leased).toBe(false);
        // Once approved, it is committed by the next lease, with what came since.
        thread.approve([c]);
        const d = thread.prepare(batch(3), options, ['ops']);
        expect(await lease()).toEqual({ batches: [c, d], count: 128 });
        expect(commits.at(-1)!.change).toMatchObject({ toSeq: 256 });
        expect(await store.alerts.currentSeq()).toBe(256);
      } finally {
        await thread.stop();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it(
    'keeps what it was sent of at most `keptAlerts` alerts, and reads every row right past that bound',
    { timeout: 30_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gantry-ingest-slots-'));
      const store = await Store.open({ url: join(dir, 'slots.db') });
      const thread: IngestThread = new IngestThread({
        path: join(dir, 'slots.db'),
        busyMs: 5_000,
        keptAlerts: 2,
        onPrepared: () => {},
      });
      const options = {
        team: 'ops',
        teamLabel: 'team',
        source: 'prometheus' as const,
        resolveTimeoutMs: 300_000,
      };
      /** One body of the named alerts at `minute`, their summary `summary`; the rows its commit answered. */
      const commit = async (names: string[], minute: number, summary = 'one') => {
        const rows: StoredAlert[] = [];
        thread.prepare(
          body(names.map((alertname) => ({ labels: { alertname }, annotations: { summary } }))),
          { ...options, now: NOW + minute * 60_000 },
          ['ops'],
        );
        await store.alerts.lease((epoch, committed) =>
          thread.lease(epoch, (made) => {
            committed(made.written);
            rows.push(...made.written.alerts);
            if (thread.held === 0) thread.release();
          }),
        );
        return rows.map((alert) => `${alert.labels.alertname} ${alert.annotations.summary} ${alert.endsAt}`);
      };
      try {
        while (!thread.ready) await new Promise((resolve) => setTimeout(resolve, 10));
        const ends = (minute: number) => T(minute + 5);
        expect(await commit(['A', 'B'], 0)).toEqual([`A one ${ends(0)}`, `B one ${ends(0)}`]);
        // A is kept; C would pass the bound: both kept anew (A's labels sent again), B dropped.
        expect(await commit(['A', 'C'], 1, 'two')).toEqual([`A two ${ends(1)}`, `C two ${ends(1)}`]);
        expect(await commit(['B'], 2)).toEqual([`B one ${ends(2)}`]);
        expect(await commit(['A', 'B'], 3)).toEqual([`A one ${ends(3)}`, `B one ${ends(3)}`]);
        // What the answers said is what was stored.
        const stored = await store.alerts.query({ teams: ['ops'], now: T(3), limit: 10 });
        const described = stored.items.map(
          (alert) => `${alert.labels.alertname} ${alert.annotations.summary} ${alert.endsAt}`,
        );
        expect(described.sort()).toEqual([`A one ${ends(3)}`, `B one ${ends(3)}`, `C two ${ends(1)}`]);
      } finally {
        await thread.stop();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it(
    "ends a lease as soon as anyone else waits for the store's connection",
    { timeout: 30_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gantry-ingest-contended-'));
      const store = await Store.open({ url: join(dir, 'contended.db') });
      const thread = new IngestThread({
        path: join(dir, 'contended.db'),
        busyMs: 5_000,
        onPrepared: () => {},
      });
      try {
        while (!thread.ready) await new Promise((resolve) => setTimeout(resolve, 10));
        const stop = store.alerts.onContended(() => thread.release());
        const order: string[] = [];
        const leased = store.alerts
          .lease((epoch) => thread.lease(epoch, () => order.push('commit')))
          .then(() => order.push('lease ended'));
        // The lease is held (nothing to commit): a read of the store waits for it, and ends it.
        while (!thread.leased) await new Promise((resolve) => setImmediate(resolve));
        await store.alerts.currentSeq().then(() => order.push('read'));
        await leased;
        expect(order).toEqual(['lease ended', 'read']);
        stop();
      } finally {
        await thread.stop();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
