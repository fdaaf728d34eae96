import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchAlertChanges } from '@gantry/alerts';
import { Store, type AlertWrite } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

const alert = (name: string, team = 'ops', endsAt = '2026-03-01T10:05:00.000Z'): AlertWrite => ({
  team,
  fingerprint: Buffer.from(name).toString('hex').padEnd(16, '0'),
  labels: { alertname: name },
  annotations: {},
  startsAt: '2026-03-01T10:00:00.000Z',
  endsAt,
  generatorURL: '',
  source: 'generic',
  entities: {},
});

/** Two servers on one database: a write on one wakes the other, which reads the change in order. */
describe('alert change wake-ups across servers on PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let writer: Store;
  let reader: Store;
  let stopWatching: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    writer = await Store.open({ url: scratch.url });
    reader = await Store.open({ url: scratch.url });
  });
  afterAll(async () => {
    await stopWatching?.();
    await writer?.close();
    await reader?.close();
    await scratch?.drop();
  });

  it('NOTIFY wakes the other server, and changedSince gives every write once, in order', async () => {
    let wakes = 0;
    const errors: unknown[] = [];
    const stop = await watchAlertChanges(
      reader,
      () => wakes++,
      (error) => errors.push(error),
    );
    stopWatching = stop;
    const afterConnect = wakes;
    let seen = 0;
    const read: string[] = [];
    const catchUp = async () => {
      for (const change of await reader.alerts.changedSince(seen, 100)) {
        read.push(change.labels.alertname!);
        seen = change.seq;
      }
    };
    await writer.alerts.upsert([alert('a1'), alert('b1', 'dev')], '2026-03-01T10:00:00.000Z');
    await eventually(
      () => Promise.resolve(wakes),
      (n) => n > afterConnect,
    );
    await catchUp();
    // Every writer moves a1's endsAt (a resend whose endsAt the server filled in: a timeout, which the
    // merge with the stored alert lets an earlier one replace), so each rewrites it, in whatever order they
    // commit: 20 writers contend for one row.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        writer.alerts.upsert(
          [
            alert(`c${i}`),
            { ...alert('a1', 'ops', `2026-03-01T10:${String(10 + i)}:00.000Z`), endsTimeout: true },
          ],
          '2026-03-01T10:01:00.000Z',
        ),
      ),
    );
    const last = await writer.alerts.currentSeq();
    // Each wake-up is followed by a catch-up, as the dispatcher does, until the last write is read.
    await eventually(
      async () => {
        await catchUp();
        return seen;
      },
      (n) => n === last,
    );
    expect(wakes).toBeGreaterThan(afterConnect + 1);
    expect(read.slice(0, 2)).toEqual(['a1', 'b1']);
    expect(new Set(read.slice(2).filter((name) => name !== 'a1')).size).toBe(20);
    expect(seen).toBe(await writer.alerts.currentSeq());
    expect(seen).toBe(42);
    expect(await reader.alerts.changedSince(seen, 10)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
