import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '@gantry/store';
import { describeChangeJournalSuite } from '../integration/changes-journal-suite.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

// Two stores on one database: two servers, each with its own pool.
describeChangeJournalSuite('PostgreSQL', async () => {
  const scratch = await createScratchDatabase();
  const a = await Store.open({ url: scratch.url });
  const b = await Store.open({ url: scratch.url });
  return {
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      await scratch.drop();
    },
  };
});

/**
 * The fence under contention, two servers with pools of their own: server one appends as fast as it can
 * while server two takes the lease over, reads the journal and appends. The lease check in each append's
 * transaction (with the row held `FOR SHARE`, so a take-over waits for an append in flight) and the
 * unique step numbers leave one outcome: one is fenced out, two's first append lands after everything
 * one wrote, and nothing of one's comes after it.
 */
describe('change journal fence on PostgreSQL, take-over during appends', () => {
  let scratch: ScratchDatabase;
  let a: Store;
  let b: Store;
  beforeAll(async () => {
    scratch = await createScratchDatabase();
    a = await Store.open({ url: scratch.url });
    b = await Store.open({ url: scratch.url });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await scratch?.drop();
  });

  it('never lets a deposed holder write after the new holder read the journal', async () => {
    for (let round = 0; round < 20; round++) {
      const lease = `fence-${round}`;
      const change = { team: 't', name: `c${round}`, uid: `u${round}` };
      expect(await a.leases.tryAcquire(lease, 'one', 50, 1000)).toBe(true);
      const one = { lease, holder: 'one', transitions: (await a.leases.get(lease))!.transitions };
      let seq = 0;
      let stop = false;
      const writer = (async () => {
        while (!stop) {
          const result = await a.changes.append(one, change, seq, [
            { key: `one/${seq}`, type: 'Step', at: new Date().toISOString() },
          ]);
          if (!result.ok) return result.reason;
          seq += 1;
        }
        return 'stopped';
      })();
      await new Promise((resolve) => setTimeout(resolve, 5 + (round % 5) * 3));
      expect(await b.leases.tryAcquire(lease, 'two', 60_000, 2000)).toBe(true);
      const two = { lease, holder: 'two', transitions: (await b.leases.get(lease))!.transitions };
      const seen = await b.changes.entries(change.uid);
      const appended = await b.changes.append(two, change, seen.length, [
        { key: 'two/first', type: 'Step', at: new Date().toISOString() },
      ]);
      stop = true;
      expect(await writer).toBe('Fenced');
      expect(appended).toMatchObject({ ok: true });
      const all = await a.changes.entries(change.uid);
      expect(all.at(-1)?.key).toBe('two/first');
      expect(all.filter((entry) => entry.term.startsWith('one#'))).toHaveLength(all.length - 1);
    }
  });
});
