import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventRecorder } from '@gantry/controllers';
import { ExceptionService, type CorrelationGroup, type HealthPolicySource } from '@gantry/health';
import type { ExceptionRecord } from '@gantry/model';
import { Store } from '@gantry/store';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

const MIN = 60_000;
const noPolicies: HealthPolicySource = { policies: () => Promise.resolve([]) };
let scratch: ScratchDatabase;
let stores: Store[];
let clockNow = Date.parse('2026-06-01T10:00:00Z');
const clock = { now: () => clockNow };

/** Two servers: each its own Store (pool) and ExceptionService on the one database. */
function services() {
  return stores.map(
    (store) =>
      new ExceptionService({
        repository: store.exceptions,
        policies: noPolicies,
        recorder: new MemoryEventRecorder(),
        clock,
      }),
  );
}

function group(
  key: string,
  fingerprints: string[],
  state: 'firing' | 'resolved' = 'firing',
): CorrelationGroup {
  return {
    team: 'ops',
    key,
    reason: { rule: 'topology', ruleKind: 'Topology', shared: { rack: key } },
    title: `rack ${key}`,
    severity: 'critical',
    entities: [{ kind: 'Cluster', name: 'east' }],
    alerts: fingerprints.map((fingerprint) => ({
      fingerprint,
      labels: { alertname: 'NodeNotReady', node: fingerprint },
      state,
      startsAt: new Date(clockNow).toISOString(),
      endsAt: new Date(clockNow + 10 * MIN).toISOString(),
    })),
  };
}

beforeAll(async () => {
  scratch = await createScratchDatabase();
  stores = [await Store.open({ url: scratch.url }), await Store.open({ url: scratch.url })];
});
afterAll(async () => {
  for (const store of stores ?? []) await store.close();
  await scratch?.drop();
});

describe('exceptions on PostgreSQL', () => {
  it('two servers correlating the same key at once open exactly one exception with every alert', async () => {
    const [a, b] = services();
    const calls = Array.from({ length: 24 }, (_, i) =>
      (i % 2 === 0 ? a! : b!).correlate(group('race-1', [`n-${i}`]), new Date(clockNow)),
    );
    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((o) => o.outcome === 'opened')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'joined')).toHaveLength(23);
    expect(new Set(outcomes.map((o) => o.exceptionId)).size).toBe(1);
    const listed = await stores[0]!.exceptions.list({ teams: ['ops'], limit: 100 });
    const ours = listed.items.filter((item) => item.correlationKey === 'race-1');
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ alertCount: 24, firingAlertCount: 24 });
    expect(await stores[1]!.exceptions.alerts(ours[0]!.id)).toHaveLength(24);
    // Many exceptions' members in one read, in the same order as one exception's.
    const many = await stores[1]!.exceptions.alertsOf([ours[0]!.id, 'no-such-exception']);
    expect(many.get(ours[0]!.id)).toEqual(await stores[1]!.exceptions.alerts(ours[0]!.id));
    expect(many.has('no-such-exception')).toBe(false);
  });

  it('two servers seeing the group return within the window reopen it once, never open a second', async () => {
    const [a, b] = services();
    const first = await a!.correlate(group('race-2', ['x']), new Date(clockNow));
    await b!.groupResolved('ops', 'race-2', new Date(clockNow));
    clockNow += 5 * MIN;
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? a! : b!).correlate(group('race-2', ['x', `y-${i}`]), new Date(clockNow)),
      ),
    );
    expect(outcomes.filter((o) => o.outcome === 'reopened')).toHaveLength(1);
    expect(outcomes.every((o) => o.exceptionId === first.exceptionId)).toBe(true);
    expect((await stores[0]!.exceptions.episodes(first.exceptionId)).map((e) => e.ordinal)).toEqual([1, 2]);
  });

  it('refuses a second open exception for a key at the database itself (unique active key)', async () => {
    const repository = stores[0]!.exceptions;
    const base = (id: string): ExceptionRecord => ({
      id,
      team: 'ops',
      title: 't',
      severity: 'minor',
      state: 'open',
      entities: [],
      origin: 'correlation',
      correlationKey: 'dup',
      openedAt: new Date(clockNow).toISOString(),
      episodeOpenedAt: new Date(clockNow).toISOString(),
      levelRaisedAt: {},
      followUps: [],
      alertCount: 0,
      firingAlertCount: 0,
      reopenCount: 0,
      createdBy: 'test',
      changedAt: new Date(clockNow).toISOString(),
      updatedAt: new Date(clockNow).toISOString(),
    });
    await repository.insert(base('dup-1'));
    await expect(repository.insert(base('dup-2'))).rejects.toThrow();
    // Nothing of the refused insert stays (entities, episode).
    expect(await repository.episodes('dup-2')).toEqual([]);
    await repository.update({
      ...base('dup-1'),
      state: 'resolved',
      resolvedAt: new Date(clockNow).toISOString(),
    });
    await repository.insert(base('dup-3'));
  });

  it('lists with filters and pages on PostgreSQL', async () => {
    const [a] = services();
    for (const key of ['f-1', 'f-2', 'f-3']) await a!.correlate(group(key, [`${key}-n`]), new Date(clockNow));
    const repository = stores[1]!.exceptions;
    const first = await repository.list({ teams: ['ops'], states: ['open'], severity: 'critical', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextBeforeSeq).toBeDefined();
    const rest = await repository.list({
      teams: ['ops'],
      states: ['open'],
      severity: 'critical',
      limit: 100,
      beforeSeq: first.nextBeforeSeq!,
    });
    const seen = [...first.items, ...rest.items].map((item) => item.id);
    expect(new Set(seen).size).toBe(seen.length);
    const byEntity = await repository.list({
      teams: ['ops'],
      entity: { kind: 'Cluster', name: 'east' },
      limit: 100,
    });
    expect(byEntity.items.length).toBeGreaterThanOrEqual(5);
    expect(
      await repository.list({ teams: ['ops'], entity: { kind: 'Cluster', name: 'west' }, limit: 100 }),
    ).toEqual({
      items: [],
    });
    const changed = await repository.changedSince(new Date(clockNow - 1).toISOString(), 1);
    expect(changed.length).toBeGreaterThan(1); // rows sharing the last changedAt all come
  });
});
