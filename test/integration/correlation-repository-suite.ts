import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store, type EscalationRow } from '@gantry/store';

/** The correlation and escalation state table's contract, run against every database the store supports. */
export function describeCorrelationRepositorySuite(
  database: string,
  open: () => Promise<{ url: string; cleanup?: () => Promise<void> }>,
) {
  describe(`correlation repository on ${database}`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      const target = await open();
      cleanup = target.cleanup;
      store = await Store.open({ url: target.url });
    });
    afterAll(async () => {
      await store?.close();
      await cleanup?.();
    });

    it('writes a round of groups and members in one go, and a later round replaces and removes rows', async () => {
      const longKey = `rule/power/${JSON.stringify({ dc: 'x'.repeat(3000) })}`;
      await store.correlation.apply(
        {
          groups: [
            {
              team: 'a',
              key: 'topology/rack/z1/r1',
              row: { team: 'a', key: 'topology/rack/z1/r1', data: '{"v":1}' },
            },
            { team: 'a', key: longKey, row: { team: 'a', key: longKey, data: '{"v":2}' } },
          ],
          members: Array.from({ length: 450 }, (_, i) => ({
            team: 'a',
            fingerprint: `fp${i}`,
            row: { team: 'a', fingerprint: `fp${i}`, key: 'topology/rack/z1/r1', startsAt: 1_000 + i },
          })),
        },
        5_000,
      );
      expect((await store.correlation.loadGroups()).map((g) => [g.key.length, g.data]).sort()).toEqual([
        [19, '{"v":1}'],
        [longKey.length, '{"v":2}'],
      ]);
      expect(await store.correlation.loadMembers()).toHaveLength(450);

      await store.correlation.apply(
        {
          groups: [
            { team: 'a', key: 'topology/rack/z1/r1' },
            { team: 'a', key: longKey, row: { team: 'a', key: longKey, data: '{"v":3}' } },
          ],
          members: [
            { team: 'a', fingerprint: 'fp0' },
            {
              team: 'a',
              fingerprint: 'fp1',
              row: { team: 'a', fingerprint: 'fp1', key: longKey, startsAt: 9 },
            },
          ],
        },
        6_000,
      );
      expect(await store.correlation.loadGroups()).toEqual([{ team: 'a', key: longKey, data: '{"v":3}' }]);
      const members = await store.correlation.loadMembers();
      expect(members).toHaveLength(449);
      expect(members.find((m) => m.fingerprint === 'fp1')).toEqual({
        team: 'a',
        fingerprint: 'fp1',
        key: longKey,
        startsAt: 9,
      });
      await store.correlation.deleteTeam('a');
      expect(await store.correlation.loadGroups()).toEqual([]);
      expect(await store.correlation.loadMembers()).toEqual([]);
    });

    it('starts an escalation episode once, moves it only from the position read, stops it', async () => {
      const row: EscalationRow = {
        team: 'b',
        exceptionId: 'exc-1',
        policy: 'default',
        episode: 1,
        episodeStartedAt: 1_000,
        step: 0,
        round: 0,
        state: 'active',
        dueAt: 1_000,
        updatedAt: 1_000,
      };
      expect(await store.correlation.startEscalation(row)).toEqual(row);
      // Another server starting the same episode changes nothing.
      expect(await store.correlation.startEscalation({ ...row, dueAt: 9_999 })).toEqual(row);
      expect((await store.correlation.dueEscalations(999, 10)).length).toBe(0);
      expect(await store.correlation.dueEscalations(1_000, 10)).toEqual([row]);
      expect(await store.correlation.nextEscalationDueAt()).toBe(1_000);

      const to = { step: 1, round: 0, state: 'active' as const, dueAt: 61_000 };
      expect(await store.correlation.moveEscalation('b', 'exc-1', row, to, 2_000)).toBe(true);
      // A second mover from the same position (a deposed leader) moves nothing.
      expect(await store.correlation.moveEscalation('b', 'exc-1', row, to, 2_000)).toBe(false);
      expect(await store.correlation.getEscalation('b', 'exc-1')).toMatchObject({ step: 1, dueAt: 61_000 });

      expect(await store.correlation.stopEscalation('b', 'exc-1', 1, 3_000)).toBe(true);
      expect(await store.correlation.stopEscalation('b', 'exc-1', 1, 3_000)).toBe(false);
      expect(await store.correlation.nextEscalationDueAt()).toBeUndefined();
      // A new episode (reopened) replaces the stopped one.
      const second = { ...row, episode: 2, dueAt: 70_000, updatedAt: 70_000 };
      expect(await store.correlation.startEscalation(second)).toEqual(second);
      expect(await store.correlation.startEscalation(row)).toEqual(second);
    });
  });
}
