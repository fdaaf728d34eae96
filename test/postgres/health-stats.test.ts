import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventRecorder } from '@gantry/controllers';
import {
  ExceptionService,
  StatsService,
  type CorrelationGroup,
  type HealthPolicySource,
} from '@gantry/health';
import type { Caller } from '@gantry/identity';
import { Store } from '@gantry/store';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

// The statistics' SQL on PostgreSQL (ADR 0023), on one day from 2026-06-01T00:00Z whose every figure
// is worked out by hand below, in minutes: dedup, merge, reopen, escalation, overlap and a straddling
// episode, through the real ExceptionService.
const MIN = 60_000;
const DAY = 1440 * MIN;
const FROM = Date.parse('2026-06-01T00:00:00Z');
const at = (hhmm: string) => new Date(`2026-06-01T${hhmm}:00Z`);
const noPolicies: HealthPolicySource = { policies: () => Promise.resolve([]) };
const operator: Caller = {
  principal: { username: 'olga', admin: false, teams: new Map([['ops', 'operator' as const]]) },
  source: 'test',
};

let scratch: ScratchDatabase;
let store: Store;
let clockNow = FROM;
let exceptions: ExceptionService;
let stats: StatsService;

function group(key: string, fingerprint: string, startsAt: string, app: string): CorrelationGroup {
  return {
    team: 'ops',
    key,
    reason: { rule: 'topology', ruleKind: 'Topology', shared: { rack: key } },
    title: `rack ${key}`,
    severity: 'critical',
    entities: [
      { kind: 'Application', name: app },
      { kind: 'Node', name: `n-${key}`, cluster: 'east' },
    ],
    alerts: [
      {
        fingerprint,
        labels: { alertname: 'NodeDown', node: fingerprint },
        state: 'firing',
        startsAt: at(startsAt).toISOString(),
        endsAt: '2026-06-02T00:00:00.000Z',
      },
    ],
  };
}

beforeAll(async () => {
  scratch = await createScratchDatabase();
  store = await Store.open({ url: scratch.url });
  exceptions = new ExceptionService({
    repository: store.exceptions,
    policies: noPolicies,
    recorder: new MemoryEventRecorder(),
    clock: { now: () => clockNow },
  });
  stats = new StatsService({ source: store.healthStats, now: () => FROM + 2 * DAY });

  // Straddling: opened 23:30 the day before, resolved 00:30: 30 minutes inside, not a failure of the day.
  clockNow = FROM - 30 * MIN;
  const night = await exceptions.create(operator, 'ops', {
    title: 'overnight',
    severity: 'minor',
    entities: [{ kind: 'Application', name: 'search' }],
  });
  clockNow = at('00:30').getTime();
  await exceptions.resolve(operator, 'ops', night.id);

  // A: alert from 09:55, opened 10:00, the same alert again at 10:01 (dedup), escalated at 10:05 (no
  // effect on MTTA), acknowledged 10:10, resolved 10:30. Reopened at 10:40 (alert from 10:38), resolved
  // 11:00. Application checkout.
  const a = await exceptions.correlate(group('r1', 'a1', '09:55', 'checkout'), at('10:00'));
  await exceptions.correlate(group('r1', 'a1', '09:55', 'checkout'), at('10:01'));
  await exceptions.recordActivity('ops', a.exceptionId, {
    type: 'escalation',
    at: at('10:05'),
    message: 'step 1',
  });
  clockNow = at('10:10').getTime();
  await exceptions.acknowledge(operator, 'ops', a.exceptionId);
  await exceptions.groupResolved('ops', 'r1', at('10:30'));
  expect((await exceptions.correlate(group('r1', 'a2', '10:38', 'checkout'), at('10:40'))).outcome).toBe(
    'reopened',
  );
  await exceptions.groupResolved('ops', 'r1', at('11:00'));

  // B: alert from 10:15, opened 10:20, application checkout, resolved 10:50: overlaps A's first span.
  await exceptions.correlate(group('r2', 'b1', '10:15', 'checkout'), at('10:20'));
  await exceptions.groupResolved('ops', 'r2', at('10:50'));

  // C: opened 12:00 (alert 12:00), merged into D at 12:05; D opened 12:02 (alert 12:01), resolved 12:31.
  const c = await exceptions.correlate(group('r3', 'c1', '12:00', 'search'), at('12:00'));
  const d = await exceptions.correlate(group('r4', 'd1', '12:01', 'search'), at('12:02'));
  clockNow = at('12:05').getTime();
  await exceptions.merge(operator, 'ops', d.exceptionId, c.exceptionId);
  clockNow = at('12:31').getTime();
  await exceptions.resolve(operator, 'ops', d.exceptionId);
});
afterAll(async () => {
  await store?.close();
  await scratch?.drop();
});

const day = (by: 'team' | 'application' | 'cluster') =>
  stats.compute(['ops'], {
    from: FROM,
    to: FROM + DAY,
    by,
    metrics: ['count', 'mttd', 'mtta', 'mttr', 'mtbf', 'availability'],
  });

describe('failure statistics on PostgreSQL', () => {
  it('adds up the team by hand', async () => {
    // Failures of the day: A1, A2, B, D (C merged, the night one detected the day before) = 4.
    // Detect: A1 5, A2 2, B 5, D 1 → 13 / 4. Acknowledge: A1 10 (not 5: escalation is no acknowledgement).
    // Resolve from impact start: A1 35, A2 22, B 35, D 30 → 122 / 4.
    // Downtime: 00:00–00:30 (30); A1 09:55–10:30, B 10:15–10:50 and A2 10:38–11:00 overlap into one span
    // 09:55–11:00 (65, not 35 + 35 + 22 = 92); D 12:01–12:31 (30). 30 + 65 + 30 = 125.
    const { groups, total } = await day('team');
    const expected = {
      key: 'ops',
      failures: 4,
      detected: 4,
      acknowledged: 1,
      resolved: 4,
      mttdMs: (13 / 4) * MIN,
      mttaMs: 10 * MIN,
      mttrMs: (122 / 4) * MIN,
      mtbfMs: ((1440 - 125) / 4) * MIN,
      downtimeMs: 125 * MIN,
      availability: 1 - 125 / 1440,
    };
    expect(groups).toEqual([expected]);
    expect(total).toEqual({ ...expected, key: '' });
  });

  it('splits by application and cluster', async () => {
    const byApp = await day('application');
    // checkout: A1, A2, B: downtime 09:55–11:00 = 65, MTTR (35 + 22 + 35) / 3.
    // search: D (night not counted, its 30 minutes are downtime): 30 + 30 = 60, MTTR 30.
    expect(byApp.groups.map((g) => [g.key, g.failures, g.downtimeMs, g.mttrMs])).toEqual([
      ['checkout', 3, 65 * MIN, Math.round((92 / 3) * MIN)],
      ['search', 1, 60 * MIN, 30 * MIN],
    ]);
    const byCluster = await day('cluster');
    // east: the nodes of A, B, D (the night one has no cluster): 65 + 30 = 95.
    expect(byCluster.groups.map((g) => [g.key, g.failures, g.downtimeMs])).toEqual([['east', 4, 95 * MIN]]);
  });
});
