import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANGE_LEASE, StepType } from '@gantry/changes';
import { ADMIN, ChangeHarness, FakeActuator, TEAM } from '@gantry/changes/testing';
import type { Store } from '@gantry/store';
import { type JournalFence } from '@gantry/store';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const MINUTE = 60_000;
const nodes = (count: number) =>
  Array.from({ length: count }, (_, i) => `west/n${String(i).padStart(3, '0')}`);

/**
 * The change journal's contract and the engine's recovery on one database: appends fenced by the lease
 * term and all-or-nothing, idempotency keys, requests handled with their step, stop-the-line, and a
 * second server taking over a change mid-batch from the first. `open` gives two stores on one database
 * (two servers); on SQLite both may be the same store.
 */
export function describeChangeJournalSuite(
  database: string,
  open: () => Promise<{ a: Store; b: Store; close: () => Promise<void> }>,
) {
  describe(`change journal on ${database}`, () => {
    let a: Store;
    let b: Store;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ a, b, close } = await open());
    });
    afterAll(async () => {
      await close?.();
    });

    const change = (name: string) => ({ team: 'journal', name, uid: `uid-${name}` });
    const entry = (key: string, type = 'Step') => ({
      key,
      type,
      at: new Date(T0).toISOString(),
      data: { key },
    });

    async function lease(holder: string, now: number): Promise<JournalFence> {
      expect(await a.leases.tryAcquire('journal-test', holder, 1000, now)).toBe(true);
      const row = await a.leases.get('journal-test');
      return { lease: 'journal-test', holder, transitions: row!.transitions };
    }

    it('appends in order for the holder, and refuses a deposed holder with nothing written', async () => {
      const first = await lease('one', T0);
      const written = await a.changes.append(first, change('c1'), 0, [
        entry('start'),
        entry('batch/0/started'),
      ]);
      expect(written).toMatchObject({ ok: true, entries: [{ seq: 0, term: 'one#0' }, { seq: 1 }] });
      // The lease expires and server two takes it: a new term.
      const second = await lease('two', T0 + 5000);
      expect(second.transitions).toBe(first.transitions + 1);
      expect(await b.changes.append(first, change('c1'), 2, [entry('late')])).toEqual({
        ok: false,
        reason: 'Fenced',
        holder: 'two',
      });
      expect(await b.changes.append(second, change('c1'), 2, [entry('next')])).toMatchObject({ ok: true });
      const entries = await a.changes.entries('uid-c1');
      expect(entries.map((e) => [e.seq, e.key, e.term])).toEqual([
        [0, 'start', 'one#0'],
        [1, 'batch/0/started', 'one#0'],
        [2, 'next', `two#${second.transitions}`],
      ]);
      expect(await a.changes.entries('uid-c1', 1)).toHaveLength(1);
    });

    it('refuses a step key written before, or a taken number, writing none of the batch', async () => {
      const fence = await lease('two', T0 + 6000);
      await a.changes.append(fence, change('c2'), 0, [entry('start')]);
      expect(await a.changes.append(fence, change('c2'), 1, [entry('fresh'), entry('start')])).toEqual({
        ok: false,
        reason: 'Conflict',
      });
      expect(await a.changes.append(fence, change('c2'), 0, [entry('other')])).toEqual({
        ok: false,
        reason: 'Conflict',
      });
      expect((await a.changes.entries('uid-c2')).map((e) => e.key)).toEqual(['start']);
    });

    it('marks requests handled in the transaction that journals them', async () => {
      const fence = await lease('two', T0 + 7000);
      const request = await a.changes.request({
        team: 'journal',
        change: 'c3',
        uid: 'uid-c3',
        action: 'pause',
        actor: 'otto',
        reason: 'look',
        requestedAt: new Date(T0).toISOString(),
      });
      expect((await b.changes.pendingRequests('uid-c3')).map((r) => r.id)).toEqual([request.id]);
      const at = new Date(T0 + 1).toISOString();
      expect(
        await a.changes.append(fence, change('c3'), 0, [entry(`request/${request.id}`, 'Paused')], {
          requests: [request.id],
          at,
        }),
      ).toMatchObject({ ok: true });
      expect(await b.changes.pendingRequests('uid-c3')).toEqual([]);
      // Fenced out: the request stays pending for the next holder.
      const other = await a.changes.request({ ...request, action: 'resume', reason: 'go' });
      expect(
        await a.changes.append({ ...fence, holder: 'one' }, change('c3'), 1, [entry(`request/${other.id}`)], {
          requests: [other.id],
          at,
        }),
      ).toMatchObject({ ok: false, reason: 'Fenced' });
      expect((await b.changes.pendingRequests('uid-c3')).map((r) => r.id)).toEqual([other.id]);
      await a.changes.deleteChange('journal', 'c3');
      expect(await a.changes.entries('uid-c3')).toEqual([]);
      expect(await a.changes.pendingRequests('uid-c3')).toEqual([]);
    });

    it('keeps stop-the-line per team and for the fleet, with who stopped and released it', async () => {
      await a.changes.stopLine({ team: 'journal', actor: 'otto', reason: 'incident', at: 't1' });
      await a.changes.stopLine({ team: '', actor: 'admin', reason: 'fleet incident', at: 't2' });
      await a.changes.stopLine({ team: 'other', actor: 'olga', reason: 'theirs', at: 't3' });
      expect((await b.changes.activeStops(['journal', ''])).map((s) => s.stoppedBy)).toEqual([
        'otto',
        'admin',
      ]);
      const released = await b.changes.releaseLine({
        team: 'journal',
        actor: 'vera',
        reason: 'over',
        at: 't4',
      });
      expect(released).toEqual([
        expect.objectContaining({ stoppedBy: 'otto', releasedBy: 'vera', releaseReason: 'over' }),
      ]);
      expect((await a.changes.activeStops(['journal', ''])).map((s) => s.team)).toEqual(['']);
      expect(
        await a.changes.releaseLine({ team: 'journal', actor: 'vera', reason: 'again', at: 't5' }),
      ).toEqual([]);
      expect((await a.changes.stops(['journal', ''], 10)).map((s) => s.reason)).toEqual([
        'fleet incident',
        'incident',
      ]);
      await a.changes.releaseLine({ team: '', actor: 'admin', reason: 'done', at: 't6' });
    });

    it('a second server takes a change over mid-batch: nothing applied twice, nothing skipped, bake counted from the journal', async () => {
      const actuator = new FakeActuator(nodes(40));
      const one = new ChangeHarness(a, actuator, T0);
      const two = new ChangeHarness(b, actuator, T0);
      await one.createTeam();
      await one.apply('Change', 'roll', {
        nodeOperation: { operation: 'drain' },
        targets: { selector: '' },
        plan: { maxConcurrent: 4 },
      });
      // The lease may be held from the tests above: start after it.
      one.now = T0 + 10 * MINUTE;
      const first = (await one.lead('server-one'))!;
      expect(first).toBeDefined();
      await one.run(first, 'roll', (status) => status.currentBatch === 1 && status.phase === 'Observing');
      // Batch 3 (10%: 4 nodes): server one dies with two calls in flight, one of which took effect.
      one.now = Date.parse((await one.status('roll')).batches![1]!.observeUntil!);
      actuator.hanging.add('west/n006');
      actuator.hanging.add('west/n007');
      const dying = first.engine.reconcile(first.ctx, { team: TEAM, name: 'roll' });
      void dying;
      for (let i = 0; i < 100 && actuator.calls.length < 9; i++) await new Promise((r) => setTimeout(r, 10));
      first.term.abort();

      two.now = one.now;
      two.expireLease();
      const second = (await two.lead('server-two'))!;
      expect(second).toBeDefined();
      const resumedAt = two.now;
      await two.run(second, 'roll');
      const status = await two.status('roll');
      expect(status.phase).toBe('Succeeded');
      const counts = actuator.effectCounts();
      expect(counts.size).toBe(40);
      expect([...counts.values()].every((count) => count === 1)).toBe(true);
      const again = actuator.calls.filter(
        (call) => call.entity === 'west/n006' || call.entity === 'west/n007',
      );
      expect(again).toHaveLength(4);
      expect(new Set(again.map((call) => call.key)).size).toBe(2);
      const entries = await b.changes.entries(
        (await two.resources.get(ADMIN, 'Change', TEAM, 'roll')).metadata.uid,
      );
      expect(new Set(entries.map((e) => e.key)).size).toBe(entries.length);
      expect(entries.filter((e) => e.type === StepType.EntityDone)).toHaveLength(40);
      expect([...new Set(entries.map((e) => e.term.split('#')[0]))]).toEqual(['server-one', 'server-two']);
      // The batch server two resumed is observed for its 5 minutes from when it finished applying it.
      const resumed = status.batches![2]!;
      expect(Date.parse(resumed.observeUntil!) - resumedAt).toBe(5 * MINUTE);
      expect((await a.leases.get(CHANGE_LEASE))?.holder).toBe('server-two');
    });

    it('a second server reads a gate-failed change’s rollback and another change’s budget from the journals, and finishes both', async () => {
      const actuator = new FakeActuator(nodes(6).map((node) => node.replace('west/', 'south/')));
      const one = new ChangeHarness(a, actuator, T0);
      const two = new ChangeHarness(b, actuator, T0);
      await one.createTeam().catch(() => undefined);
      await one.apply('DisruptionBudget', 'one-at-a-time', { maxUnavailable: '1' });
      const gate = {
        name: 'errors',
        source: 'prom',
        query: 'errors{node=~"$names"}',
        failureCondition: 'max > 0',
        minSamples: 1,
      };
      // Errors on n002 once it is cordoned: batch 1 fails its gate, the change rolls back.
      for (const h of [one, two]) h.metrics.answer = (expr) => (expr.includes('n002') ? [1] : [0]);
      await one.apply('Change', 'undone', {
        nodeOperation: { operation: 'cordon' },
        targets: { names: ['south/n000', 'south/n001', 'south/n002'] },
        plan: {
          batches: [
            { size: '1', bake: '10m' },
            { size: '2', bake: '5m' },
          ],
        },
        gates: { metrics: [gate] },
        failurePolicy: 'Rollback',
      });
      one.now = T0 + 60 * MINUTE;
      const first = (await one.lead('server-one'))!;
      expect(first).toBeDefined();
      await one.run(first, 'undone', (status) => status.phase === 'RollingBack');
      // Server one dies while undoing batch 1: n002 undone, n001's undo never answered.
      const undo = actuator.undo.bind(actuator);
      actuator.undo = (request) => {
        if (request.entity !== 'south/n001') return undo(request);
        actuator.undoCalls.push(request);
        return new Promise(() => undefined);
      };
      void first.engine.reconcile(first.ctx, { team: TEAM, name: 'undone' });
      for (let i = 0; i < 100 && actuator.undoCalls.length < 1; i++)
        await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      first.term.abort();
      actuator.undo = undo;

      // Another change of the same cluster waits for the budget while n001 is held (in doubt) by the first.
      await two.apply('Change', 'waits', {
        nodeOperation: { operation: 'cordon' },
        targets: { names: ['south/n004'] },
        plan: { batches: [{ size: '1', bake: '1m' }] },
      });
      two.now = one.now;
      two.expireLease();
      const second = (await two.lead('server-two'))!;
      expect(second).toBeDefined();
      await second.engine.reconcile(second.ctx, { team: TEAM, name: 'waits' });
      expect((await two.status('waits')).conditions?.find((c) => c.type === 'Blocked')?.reason).toBe(
        'BudgetExhausted',
      );
      await two.run(second, 'undone');
      await two.run(second, 'waits');
      const undone = await two.status('undone');
      expect(undone.phase).toBe('RolledBack');
      expect(undone.rollback!.batches.map((item) => [item.index, item.phase])).toEqual([
        [1, 'Completed'],
        [0, 'Completed'],
      ]);
      expect((await two.status('waits')).phase).toBe('Succeeded');
      // n001's undo was called again with the same key; every undo took effect once.
      const keys = actuator.undoCalls.filter((call) => call.entity === 'south/n001').map((call) => call.key);
      expect(keys).toHaveLength(2);
      expect(new Set(keys).size).toBe(1);
      expect(actuator.undoOrder().sort()).toEqual(['south/n000', 'south/n001', 'south/n002']);
      const entries = await b.changes.entries(
        (await two.resources.get(ADMIN, 'Change', TEAM, 'undone')).metadata.uid,
      );
      expect(new Set(entries.map((e) => e.key)).size).toBe(entries.length);
      expect(
        entries.find((e) => e.type === StepType.GateEvaluated && e.data.verdict === 'Failed')?.data,
      ).toMatchObject({
        observed: { query: 'errors{node=~"n001|n002"}', values: [1] },
      });
    });
  });
}
