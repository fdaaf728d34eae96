import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreRiskSink, type RiskObservation } from '@gantry/health';
import { Store } from '@gantry/store';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

/**
 * Risks on PostgreSQL with two servers: both observe the same inspection's check at once (as two
 * servers running the same check would, e.g. a manual run on one while the leader's scheduled run goes
 * on the other). The open-identity unique index keeps one open risk per key; a key that goes closes
 * once; two stores claiming one cron slot run it once.
 */
describe('risks on PostgreSQL, two servers', () => {
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

  const observations = (keys: string[], score: number): RiskObservation[] =>
    keys.map((key) => ({
      key,
      title: `${key} is at risk`,
      score,
      entities: [{ kind: 'Node', name: key, cluster: 'c1' }],
      details: { score },
    }));

  it('two servers observing the same source never duplicate a risk', async () => {
    const sinks = [new StoreRiskSink(a.risks), new StoreRiskSink(b.risks)];
    const source = { team: 'ops', kind: 'Inspection' as const, name: 'fleet', check: 'disk' };
    const keys = Array.from({ length: 50 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    for (let round = 0; round < 5; round += 1) {
      const at = new Date(Date.parse('2026-01-01T00:00:00Z') + round * 60_000);
      await Promise.all(sinks.map((sink, i) => sink.observe(source, observations(keys, 40 + round + i), at)));
    }
    const open = await a.risks.list({ team: 'ops', state: 'open', limit: 1000 });
    expect(open.items).toHaveLength(50);
    expect(new Set(open.items.map((risk) => risk.key)).size).toBe(50);
    expect(open.items.every((risk) => risk.firstSeenAt === '2026-01-01T00:00:00.000Z')).toBe(true);
    expect(open.items.every((risk) => risk.lastSeenAt === '2026-01-01T00:04:00.000Z')).toBe(true);

    // Half of them go, seen by both at once: closed once each, none reopened.
    const kept = keys.slice(0, 25);
    const at = new Date('2026-01-01T00:05:00Z');
    await Promise.all(sinks.map((sink) => sink.observe(source, observations(kept, 50), at)));
    expect((await b.risks.list({ team: 'ops', state: 'open', limit: 1000 })).items).toHaveLength(25);
    const gone = await b.risks.list({ team: 'ops', state: 'gone', limit: 1000 });
    expect(gone.items).toHaveLength(25);
    expect(gone.items.every((risk) => risk.goneAt === '2026-01-01T00:05:00.000Z')).toBe(true);
    expect((await a.risks.list({ team: 'ops', entity: 'Node/c1/n00', limit: 10 })).items).toHaveLength(1);
  });

  it('a cron slot claimed by one server is not run by the other', async () => {
    const run = {
      team: 'ops',
      inspection: 'fleet',
      trigger: 'schedule' as const,
      slot: '2026-01-01T01:00:00.000Z',
      createdBy: 'controller/health-inspections',
      startedAt: '2026-01-01T01:00:00.010Z',
    };
    const claims = await Promise.all([a.risks.startRun(run), b.risks.startRun(run)]);
    expect(claims.filter((claim) => claim !== undefined)).toHaveLength(1);
    expect(await a.risks.lastSlot('ops', 'fleet')).toBe('2026-01-01T01:00:00.000Z');
  });
});
