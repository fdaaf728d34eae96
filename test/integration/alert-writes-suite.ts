import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store, type AlertsIngested, type AlertWrite } from '@gantry/store';

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

/**
 * The alert write path (ADR 0022) on one database: sequence numbers without gaps, interval merging,
 * unchanged resends left alone, endsAt changes always stored, and writes isolated from other
 * transactions on the same connection.
 */
export function describeAlertWrites(
  database: string,
  url: () => Promise<{ url: string; drop(): Promise<void> }>,
) {
  describe(`alert writes on ${database}`, () => {
    let store: Store;
    let drop: () => Promise<void>;
    const heard: AlertsIngested[] = [];

    beforeAll(async () => {
      const target = await url();
      drop = target.drop;
      store = await Store.open({ url: target.url });
      store.alerts.onIngested((change) => heard.push(change));
    });
    afterAll(async () => {
      await store?.close();
      await drop?.();
    });

    it('numbers only the rows it writes, without gaps, and merges overlapping firings', async () => {
      const first = await store.alerts.upsert([alert('A'), alert('B'), alert('C')], T(0));
      expect(first).toEqual({ fromSeq: 1, toSeq: 3, teams: ['ops'], count: 3 });

      // A resent with nothing new but the time of receipt; B moved on (later endsAt, later startsAt inside
      // the stored interval: the stored start stays); C resent unchanged; D new; B twice in the batch folds.
      const second = await store.alerts.upsert(
        [
          alert('A'),
          alert('B', { startsAt: T(2), endsAt: T(8) }),
          alert('C'),
          alert('D', { team: 'dev' }),
          alert('B', { startsAt: T(3), endsAt: T(9) }),
        ],
        T(1),
      );
      expect(second).toEqual({ fromSeq: 4, toSeq: 5, teams: ['ops', 'dev'], count: 2 });
      expect(await store.alerts.currentSeq()).toBe(5);
      expect(heard).toEqual([first, second]);

      const changed = await store.alerts.changedSince(3, 10);
      expect(changed.map((a) => [a.labels.alertname, a.seq, a.startsAt, a.endsAt, a.updatedAt])).toEqual([
        ['B', 4, T(0), T(9), T(1)],
        ['D', 5, T(0), T(5), T(1)],
      ]);
      // The unchanged one keeps its sequence number and its updatedAt.
      expect(await store.alerts.get('ops', alert('A').fingerprint)).toMatchObject({
        seq: 1,
        updatedAt: T(0),
      });

      // Nothing changed at all: no sequence number, no listener.
      expect(await store.alerts.upsert([alert('A'), alert('C')], T(2))).toMatchObject({ count: 0 });
      expect(await store.alerts.currentSeq()).toBe(5);
      expect(heard).toHaveLength(2);
    });

    it('stores every change of endsAt, annotations or source, and a new firing after a resolve', async () => {
      const seq = await store.alerts.currentSeq();
      // Resolved: endsAt moves earlier.
      await store.alerts.upsert([alert('A', { endsAt: T(1) })], T(3));
      // Fires again after it resolved: the new interval does not overlap, its own startsAt is kept.
      await store.alerts.upsert([alert('C', { startsAt: T(10), endsAt: T(15) })], T(3));
      await store.alerts.upsert([alert('D', { team: 'dev', annotations: { summary: 'new text' } })], T(3));
      await store.alerts.upsert(
        [alert('D', { team: 'dev', annotations: { summary: 'new text' }, source: 'generic' })],
        T(4),
      );
      const changed = await store.alerts.changedSince(seq, 10);
      expect(changed.map((a) => [a.labels.alertname, a.seq, a.startsAt, a.endsAt, a.source])).toEqual([
        ['A', seq + 1, T(0), T(1), 'prometheus'],
        ['C', seq + 2, T(10), T(15), 'prometheus'],
        ['D', seq + 4, T(0), T(5), 'generic'],
      ]);
      expect(changed[2]!.annotations).toEqual({ summary: 'new text' });
      expect(changed[0]!.entities).toEqual({ cluster: 'c1' });
    });

    it('commits on its own while another transaction on the store is open and then rolls back', async () => {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let opened: () => void = () => undefined;
      const open = new Promise<void>((resolve) => (opened = resolve));
      const other = store.connection.db
        .transaction()
        .execute(async (tx) => {
          await sql`update alert_seq set value = value where id = 1`.execute(tx);
          opened();
          await held;
          throw new Error('rolled back');
        })
        .catch((error: unknown) => error);
      await open;
      const write = store.alerts.upsert([alert('E')], T(5));
      release();
      expect(await other).toMatchObject({ message: 'rolled back' });
      const change = await write;
      expect(change.count).toBe(1);
      expect(await store.alerts.get('ops', alert('E').fingerprint)).toMatchObject({ seq: change.toSeq });
      expect(await store.alerts.currentSeq()).toBe(change.toSeq);
    });

    it('keeps sequence order across concurrent writers', async () => {
      const before = await store.alerts.currentSeq();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.alerts.upsert([alert(`P${i}a`), alert(`P${i}b`)], T(6))),
      );
      const ranges = results.map((r) => [r.fromSeq, r.toSeq]).sort((a, b) => a[0]! - b[0]!);
      expect(ranges[0]![0]).toBe(before + 1);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1]! + 1);
      const seqs = (await store.alerts.changedSince(before, 100)).map((a) => a.seq);
      expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => before + 1 + i));
    });
  });
}
