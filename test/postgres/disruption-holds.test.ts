import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdKey, Store, type StoredDisruptionHold } from '@gantry/store';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

/**
 * The holds table (ADR 0033) on PostgreSQL, two servers with pools of their own: holds taken at once from
 * both, each after reading the team's budget epoch, never both land — the epoch row moved (and locked) in
 * the insert's transaction makes the later one count again.
 */
describe('disruption holds on PostgreSQL', () => {
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

  const hold = (entity: string, holder: string): StoredDisruptionHold => ({
    team: 'ops',
    entityKind: 'Node',
    entity,
    holder,
    acquiredAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T00:10:00.000Z',
  });

  it('lets one of two holds counted at the same epoch land, and the other counts again', async () => {
    for (let round = 0; round < 10; round++) {
      const team = `t${round}`;
      const one = { ...hold(`east/n${round}a`, 'drain/one'), team };
      const two = { ...hold(`east/n${round}b`, 'drain/two'), team };
      const [seenA, seenB] = await Promise.all([
        a.disruptionHolds.epoch(team),
        b.disruptionHolds.epoch(team),
      ]);
      const [first, second] = await Promise.all([
        a.disruptionHolds.acquireIf(one, seenA),
        b.disruptionHolds.acquireIf(two, seenB),
      ]);
      expect([first.ok, second.ok].filter(Boolean)).toHaveLength(1);
      expect(first.ok ? second : first).toEqual({ ok: false, reason: 'EpochMoved' });
      expect((await a.disruptionHolds.live(team, one.acquiredAt)).map(holdKey)).toEqual([
        holdKey(first.ok ? one : two),
      ]);
      expect(await b.disruptionHolds.epoch(team)).toBe(seenA + 1);
    }
  });

  it('refuses a hold on a node held already, and moves no epoch for it', async () => {
    const team = 'held';
    expect((await a.disruptionHolds.acquireIf({ ...hold('east/h', 'drain/one'), team }, 0)).ok).toBe(true);
    expect(await b.disruptionHolds.acquireIf({ ...hold('east/h', 'drain/two'), team }, 1)).toEqual({
      ok: false,
      reason: 'Held',
      holder: 'drain/one',
    });
    expect(await a.disruptionHolds.epoch(team)).toBe(1);
  });

  it('drops expired holds and releases by holder', async () => {
    expect(
      (await a.disruptionHolds.acquireIf(hold('east/x', 'drain/x'), await a.disruptionHolds.epoch('ops'))).ok,
    ).toBe(true);
    expect(await b.disruptionHolds.live('ops', '2026-01-01T00:05:00.000Z')).toHaveLength(1);
    expect(await b.disruptionHolds.live('ops', '2026-01-01T00:10:00.000Z')).toHaveLength(0);
    await b.disruptionHolds.release('ops', 'Node', 'east/x', 'drain/someone-else');
    expect(await a.disruptionHolds.live('ops', '2026-01-01T00:05:00.000Z')).toHaveLength(1);
    await b.disruptionHolds.release('ops', 'Node', 'east/x', 'drain/x');
    expect(await a.disruptionHolds.live('ops', '2026-01-01T00:05:00.000Z')).toHaveLength(0);
  });
});
