import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewHealingRun, Store } from '@gantry/store';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

/**
 * The healing runs' contract on one database: one run per policy and trigger key, writes conditional on
 * the version read, in-flight caps counted in the claiming transaction, and the guardrails' ledger
 * counted by window. `open` gives two stores on one database (two servers); on SQLite both may be one.
 */
export function describeHealingRepositorySuite(
  database: string,
  open: () => Promise<{ a: Store; b: Store; close: () => Promise<void> }>,
) {
  describe(`healing runs on ${database}`, () => {
    let a: Store;
    let b: Store;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ a, b, close } = await open());
    });
    afterAll(async () => {
      await close?.();
    });

    let sequence = 0;
    const run = (team: string, entity: string, domain = 'r1', policy = 'p'): NewHealingRun => ({
      id: `run-${(sequence += 1)}`,
      team,
      policy,
      triggerKind: 'exception',
      triggerKey: `exception/e-${entity}/${at(0)}/Node/east/${entity}`,
      entity: `Node/east/${entity}`,
      domain,
      mode: 'Act',
      phase: 'Matched',
      rung: -1,
      reason: 'HealingMatched',
      message: 'matched',
      data: { decisions: [] },
      nextAt: at(0),
      createdAt: at(sequence),
    });

    it('stores one run per policy and trigger key, from either server', async () => {
      const first = run('one', 'n1');
      const created = await a.healing.create(first);
      expect(created).toMatchObject({ id: first.id, version: 1, inFlight: false, phase: 'Matched' });
      expect(await b.healing.create({ ...first, id: 'other' })).toBeUndefined();
      expect(await b.healing.active('one', 'p', first.triggerKey)).toMatchObject({ id: first.id });
      // Another policy may run for the same trigger.
      expect(await b.healing.create({ ...first, id: 'other', policy: 'q' })).toBeDefined();
    });

    it('writes only from the version read; the loser writes nothing', async () => {
      const created = (await a.healing.create(run('two', 'n1')))!;
      const patch = { phase: 'Diagnosing', updatedAt: at(10), data: { decisions: ['x'] } };
      const [x, y] = await Promise.all([
        a.healing.update(created.id, 1, patch, [
          {
            team: 'two',
            policy: 'p',
            entity: created.entity,
            kind: 'action',
            runId: created.id,
            key: 'k1',
            at: at(10),
          },
        ]),
        b.healing.update(created.id, 1, { ...patch, phase: 'Escalated' }, [
          {
            team: 'two',
            policy: 'p',
            entity: created.entity,
            kind: 'failed',
            runId: created.id,
            key: 'k2',
            at: at(10),
          },
        ]),
      ]);
      expect([x, y].filter((r) => r !== undefined)).toHaveLength(1);
      const stored = (await a.healing.get('two', created.id))!;
      expect(stored.version).toBe(2);
      // The ledger entry went with the write that won, and only with it.
      const actions = await a.healing.ledgerCount('two', 'p', created.entity, 'action', at(0));
      const failed = await a.healing.ledgerCount('two', 'p', created.entity, 'failed', at(0));
      expect(actions + failed).toBe(1);
      expect(stored.phase).toBe(actions === 1 ? 'Diagnosing' : 'Escalated');
    });

    it('never lets more runs in flight than the caps, whichever server claims', async () => {
      const team = 'three';
      const runs = await Promise.all(
        [
          ['n1', 'r1'],
          ['n2', 'r1'],
          ['n3', 'r2'],
          ['n4', 'r3'],
          ['n5', 'r4'],
        ].map(async ([entity, domain]) => (await a.healing.create(run(team, entity!, domain)))!),
      );
      const results = await Promise.all(
        runs.map((r, index) =>
          (index % 2 === 0 ? a : b).healing.claimInFlight(
            r,
            { perPolicy: 3, perDomain: 1 },
            { phase: 'Acting', updatedAt: at(20) },
          ),
        ),
      );
      const claimed = results.filter((r) => r.ok);
      expect(claimed).toHaveLength(3);
      const inFlight = (await a.healing.list({ team, limit: 10 })).items.filter((r) => r.inFlight);
      expect(inFlight).toHaveLength(3);
      expect(new Set(inFlight.map((r) => r.domain)).size).toBe(3);
      expect(await a.healing.inFlight(team, 'p', 'r1')).toEqual({ policy: 3, domain: 1 });
      // Ending a run frees its slot.
      const ended = inFlight[0]!;
      await a.healing.update(ended.id, ended.version, {
        phase: 'Healed',
        endedAt: at(30),
        updatedAt: at(30),
      });
      expect((await a.healing.inFlight(team, 'p', ended.domain)).policy).toBe(2);
    });

    it('counts the ledger by window and a repeated entry once; keeps it for runs to come', async () => {
      const team = 'four';
      const created = (await a.healing.create(run(team, 'n1')))!;
      const entry = (key: string, ms: number) => ({
        team,
        policy: 'p',
        entity: created.entity,
        kind: 'failed' as const,
        runId: created.id,
        key,
        at: at(ms),
      });
      let current = created;
      for (const [key, ms] of [
        ['f1', 1000],
        ['f1', 1000],
        ['f2', 60_000],
      ] as const) {
        current = (await b.healing.update(current.id, current.version, { updatedAt: at(ms) }, [
          entry(key, ms),
        ]))!;
      }
      expect(await a.healing.ledgerCount(team, 'p', created.entity, 'failed', at(0))).toBe(2);
      expect(await a.healing.ledgerCount(team, 'p', created.entity, 'failed', at(30_000))).toBe(1);
      expect(await a.healing.ledgerCount(team, 'p', 'Node/east/other', 'failed', at(0))).toBe(0);
      // Every kind in one read, each from its own time.
      expect(
        await a.healing.ledgerCounts(team, 'p', created.entity, {
          failed: at(30_000),
          action: at(0),
          healed: at(0),
        }),
      ).toEqual({ failed: 1, action: 0, healed: 0 });
      expect(
        await a.healing.ledgerCounts(team, 'p', 'Node/east/other', {
          failed: at(0),
          action: at(0),
          healed: at(0),
        }),
      ).toEqual({ failed: 0, action: 0, healed: 0 });
    });

    it('answers due runs soonest first, and lists with filters and continue positions', async () => {
      const team = 'five';
      for (const entity of ['n1', 'n2', 'n3']) await a.healing.create(run(team, entity));
      const due = (await b.healing.due(at(0), 1000)).filter((r) => r.team === team);
      expect(due).toHaveLength(3);
      const first = await a.healing.list({ team, limit: 2 });
      expect(first.items).toHaveLength(2);
      expect(first.next).toBeDefined();
      const second = await a.healing.list({ team, limit: 2, after: first.next! });
      expect(second.items).toHaveLength(1);
      expect(new Set([...first.items, ...second.items].map((r) => r.entity)).size).toBe(3);
      expect((await a.healing.list({ team, entity: 'Node/east/n2', limit: 10 })).items).toHaveLength(1);
      const one = first.items[0]!;
      await a.healing.update(one.id, one.version, { phase: 'Shadowed', endedAt: at(5), updatedAt: at(5) });
      expect((await a.healing.list({ team, active: true, limit: 10 })).items).toHaveLength(2);
      expect((await b.healing.due(at(0), 1000)).filter((r) => r.team === team)).toHaveLength(2);
    });
  });
}
