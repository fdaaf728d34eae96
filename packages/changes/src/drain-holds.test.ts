import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredJournalEntry } from '@gantry/store';
import { Store } from '@gantry/store';
import { ResourceDisruptionBudgets } from './budget.ts';
import { StoreDrainHolds } from './drain-holds.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const NODES = ['east/n1', 'east/n2', 'east/n3', 'east/n4'];

let store: Store;
let now: number;
/** The Changes the team has, as the repository lists them, and their journals. */
let changes: { name: string; uid: string; spec: unknown }[];
let journals: Map<string, StoredJournalEntry[]>;

function holds() {
  const list = ({ kind }: { kind: string }) =>
    Promise.resolve({
      items:
        kind === 'DisruptionBudget'
          ? [
              {
                name: 'one-at-a-time',
                json: JSON.stringify({
                  metadata: { name: 'one-at-a-time' },
                  spec: { maxUnavailable: '1', entityKind: 'Node' },
                }),
              },
            ]
          : changes.map((change) => ({
              name: change.name,
              json: JSON.stringify({
                metadata: { name: change.name, uid: change.uid, team: 'ops' },
                spec: change.spec,
                status: { phase: 'Running' },
              }),
            })),
    } as never);
  return new StoreDrainHolds({
    holds: store.disruptionHolds,
    repository: { list },
    journal: { entries: (uid) => Promise.resolve(journals.get(uid) ?? []) },
    budgets: new ResourceDisruptionBudgets({
      repository: { list },
      labels: () => Promise.resolve(new Map(NODES.map((node) => [node, { 'gantry.dev/cluster': 'east' }]))),
    }),
    now: () => now,
  });
}

const drain = (node: string, ttlMs = 60_000) =>
  holds().acquire({ team: 'ops', cluster: 'east', node, holder: `drain/${node}`, ttlMs });

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
  now = T0;
  changes = [];
  journals = new Map();
});
afterEach(async () => {
  await store.close();
});

describe('drain holds on the shared disruption budget', () => {
  it('holds one drain’s node, refuses a second in the domain, and lets it after the release', async () => {
    const first = await drain('n1');
    expect(first.ok).toBe(true);
    expect(await drain('n2')).toEqual({
      ok: false,
      message:
        'DisruptionBudget one-at-a-time: 1 of 4 entities in gantry.dev/cluster=east out already, at most 1 (1)',
    });
    if (first.ok) await first.hold.release();
    expect((await drain('n2')).ok).toBe(true);
  });

  it('forgets a hold past its expiry (its server died in the middle of the drain)', async () => {
    expect((await drain('n1', 60_000)).ok).toBe(true);
    now = T0 + 59_000;
    expect((await drain('n2')).ok).toBe(false);
    now = T0 + 60_000;
    expect((await drain('n2')).ok).toBe(true);
  });

  it('counts a node a running change has out', async () => {
    changes = [{ name: 'cordon-all', uid: 'u1', spec: { nodeOperation: { operation: 'drain' } } }];
    const entry = (seq: number, type: string, data: Record<string, unknown>, entity?: string) =>
      ({
        seq,
        key: `k${seq}`,
        type,
        at: new Date(T0).toISOString(),
        data,
        term: 't',
        ...(entity ? { entity } : {}),
      }) as StoredJournalEntry;
    journals.set('u1', [
      entry(1, 'Started', { targets: ['east/n3'], batches: [{ index: 0, entities: ['east/n3'] }] }),
      entry(2, 'EntityStarted', { attempt: 1 }, 'east/n3'),
    ]);
    const refused = await drain('n1');
    expect(refused).toMatchObject({ ok: false });
    // The change's node is done: the budget is free again.
    journals.get('u1')!.push(entry(3, 'EntityDone', { attempt: 1, status: 'Succeeded' }, 'east/n3'));
    expect((await drain('n1')).ok).toBe(true);
  });
});
