import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceDisruptionBudgets, StoreDrainHolds } from '@gantry/changes';
import { ChangeHarness, FakeActuator, TEAM } from '@gantry/changes/testing';
import { Store } from '@gantry/store';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

const T0 = Date.parse('2026-03-02T00:00:00Z');
const BUDGET = 3;
const changeNodes = Array.from({ length: 24 }, (_, i) => `east/c${String(i).padStart(2, '0')}`);
const drainNodes = Array.from({ length: 12 }, (_, i) => `east/d${String(i).padStart(2, '0')}`);

/**
 * The shared disruption budget across two servers (ADR 0033, amended): the change engine's batches on one
 * server and drains by hand on both, all at once against one budget of 3 nodes of cluster `east`. Every
 * taker moves the team's budget epoch in the transaction that makes its take visible, only if it is still
 * the one it read before counting, so no two counts pass each other: the nodes actually out at any moment
 * (inside an actuator's call, or between a drain's hold and its release) never exceed the budget.
 */
describe('the disruption budget with many takers on two servers (PostgreSQL)', () => {
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

  it('never has more out than the budget, and every taker gets its turn', async () => {
    const out = new Set<string>();
    let most = 0;
    const hold = async (entity: string, ms: number) => {
      out.add(entity);
      most = Math.max(most, out.size);
      await sleep(ms);
      out.delete(entity);
    };
    const actuator = new FakeActuator([...changeNodes, ...drainNodes]);
    const apply = actuator.apply.bind(actuator);
    actuator.apply = async (request) => {
      // Held long against a transaction's time, so that takers overlap even on a loaded machine.
      await hold(request.entity, 40);
      return apply(request);
    };
    const h = new ChangeHarness(a, actuator, T0, 50);
    await h.createTeam();
    await h.apply('DisruptionBudget', 'three-per-cluster', { maxUnavailable: String(BUDGET) });
    for (const [name, targets] of [
      ['left', changeNodes.slice(0, 12)],
      ['right', changeNodes.slice(12)],
    ] as const)
      await h.apply('Change', name, {
        nodeOperation: { operation: 'cordon' },
        targets: { names: targets },
        plan: { batches: [{ size: '100%', bake: '0s' }], maxConcurrent: 12 },
      });

    // Drains by hand on both servers, each through its own store.
    const drainsOn = (store: Store) =>
      new StoreDrainHolds({
        holds: store.disruptionHolds,
        repository: store.resources,
        journal: store.changes,
        budgets: new ResourceDisruptionBudgets({
          repository: store.resources,
          labels: () => actuator.labels(),
        }),
        now: () => h.now,
      });
    let done = false;
    let drained = 0;
    const drainer = async (store: Store, worker: number) => {
      const holds = drainsOn(store);
      for (let turn = 0; !done; turn++) {
        const node = drainNodes[(worker * 5 + turn) % drainNodes.length]!;
        const answer = await holds.acquire({
          team: TEAM,
          cluster: 'east',
          node: node.slice('east/'.length),
          holder: `drain/${worker}`,
          ttlMs: 600_000,
        });
        if (!answer.ok) {
          await sleep(1);
          continue;
        }
        drained += 1;
        await hold(node, 30);
        await answer.hold.release();
      }
    };
    const term = (await h.lead('server-a'))!;
    const engine = async (name: string) => {
      for (;;) {
        const result = await term.engine.reconcile(term.ctx, { team: TEAM, name });
        if (result.requeueAfterMs === undefined) return;
        await sleep(1);
      }
    };
    const drains = [0, 1, 2, 3, 4, 5].map((worker) => drainer(worker % 2 === 0 ? a : b, worker));
    await Promise.all([engine('left'), engine('right')]);
    done = true;
    await Promise.all(drains);

    expect((await h.status('left')).phase).toBe('Succeeded');
    expect((await h.status('right')).phase).toBe('Succeeded');
    expect(actuator.effectCounts().size).toBe(changeNodes.length);
    expect(drained).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(BUDGET);
    // The budget was contended, not idle: it was full at some moment.
    expect(most).toBe(BUDGET);
  }, 120_000);
});
