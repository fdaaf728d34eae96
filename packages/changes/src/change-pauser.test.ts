import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '@gantry/store';
import { createChangePauser } from './change-pauser.ts';
import { ChangeHarness, FakeActuator, TEAM } from './testing/index.ts';

const T0 = Date.parse('2026-01-14T10:00:00Z');

let store: Store;
let h: ChangeHarness;

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
  h = new ChangeHarness(store, new FakeActuator(['east/n1', 'east/n2', 'west/n1']), T0);
  await h.createTeam();
});

afterEach(async () => {
  await store.close();
});

describe('pausing the changes that touch an entity (self-healing’s pauseChanges)', () => {
  it('pauses the running changes whose batches name it, with the reason, and leaves the others', async () => {
    const plan = { batches: [{ size: '1', bake: '30m', repeat: true }], maxConcurrent: 1 };
    await h.apply('Change', 'east-first', {
      nodeOperation: { operation: 'cordon' },
      targets: { names: ['east/n1', 'east/n2'] },
      plan,
    });
    await h.apply('Change', 'west-only', {
      nodeOperation: { operation: 'cordon' },
      targets: { names: ['west/n1'] },
      plan,
    });
    const term = (await h.lead('a'))!;
    for (const name of ['east-first', 'west-only'])
      await h.run(term, name, (status) => status.phase === 'Observing');

    const pauser = createChangePauser({ service: h.service, repository: store.resources });
    expect(await pauser.pauseTouching(TEAM, ['east/n1'], 'healing: KubeletDown on east/n1')).toEqual([
      'east-first',
    ]);
    // The engine takes the request at its next step, recorded with who and why.
    await h.run(term, 'east-first', (status) => status.phase === 'Paused');
    await h.run(term, 'west-only', (status) => status.phase === 'Observing');
    expect((await h.status('east-first')).paused).toMatchObject({
      reason: 'healing: KubeletDown on east/n1',
      actor: 'system:gantry',
    });
    expect((await h.status('west-only')).phase).toBe('Observing');
    // Paused already: nothing more to pause.
    expect(await pauser.pauseTouching(TEAM, ['east/n1'], 'again')).toEqual([]);
  });
});
