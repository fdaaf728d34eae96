import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryEventRecorder } from '@gantry/controllers';
import { ErrorCodes, GantryError, type HealthStats } from '@gantry/model';
import { Store } from '@gantry/store';
import { ExceptionService } from '../exceptions/exception-service.ts';
import { ManualClock, MemoryPolicySource, alert, callerWith, group } from '../exceptions/testing.ts';
import { StatsService, decodeStatsQuery, groupFigures } from './stats-service.ts';

// Every expectation below is worked out by hand from the times in the test, in minutes over a range of
// one day (1,440 minutes) from 2026-06-01T00:00Z.
const MIN = 60_000;
const DAY = 1440 * MIN;
const FROM = Date.parse('2026-06-01T00:00:00Z');
const at = (hhmm: string) => new Date(`2026-06-01T${hhmm}:00Z`);
const operator = callerWith('olga', { ops: 'operator' });

let store: Store;
let clock: ManualClock;
let exceptions: ExceptionService;
let stats: StatsService;
let ids = 0;

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
  clock = new ManualClock();
  ids = 0;
  exceptions = new ExceptionService(
    {
      repository: store.exceptions,
      policies: new MemoryPolicySource(),
      recorder: new MemoryEventRecorder(),
      clock,
      newId: () => `ex-${++ids}`,
    },
    { policyCacheMs: 0 },
  );
  stats = new StatsService({ source: store.healthStats, now: () => FROM + 3 * DAY });
});
afterEach(async () => {
  await store.close();
});

function day(by: 'team' | 'application' | 'cluster' | 'class' = 'team'): Promise<HealthStats> {
  return stats.compute(['ops'], {
    from: FROM,
    to: FROM + DAY,
    by,
    metrics: ['count', 'mttd', 'mtta', 'mttr', 'mtbf', 'availability'],
  });
}

function firing(fingerprint: string, startsAt: string) {
  return alert(fingerprint, 'firing', { startsAt: at(startsAt).toISOString() });
}

async function createAt(hhmm: string, entities: { kind: 'Application' | 'Cluster'; name: string }[]) {
  clock.set(at(hhmm).getTime());
  return exceptions.create(operator, 'ops', { title: `opened ${hhmm}`, severity: 'major', entities });
}

async function resolveAt(hhmm: string, id: string) {
  clock.set(at(hhmm).getTime());
  await exceptions.resolve(operator, 'ops', id, 'fixed');
}

describe('failure statistics over exception episodes', () => {
  it('deduplication: the same alert twice is one exception, one failure', async () => {
    const first = await exceptions.correlate(group([firing('n1', '09:55')]), at('10:00'));
    const again = await exceptions.correlate(group([firing('n1', '09:55')]), at('10:01'));
    expect(first.outcome).toBe('opened');
    expect(again.exceptionId).toBe(first.exceptionId);
    clock.set(at('10:05').getTime());
    await exceptions.acknowledge(operator, 'ops', first.exceptionId);
    await exceptions.groupResolved('ops', 'topology/rack=r1', at('10:30'));

    const { groups, total } = await day();
    // detect 10:00 − 09:55 = 5; acknowledge 10:05 − 10:00 = 5; resolve 10:30 − 09:55 = 35 (impact start).
    expect(groups).toEqual([
      {
        key: 'ops',
        failures: 1,
        detected: 1,
        acknowledged: 1,
        resolved: 1,
        mttdMs: 5 * MIN,
        mttaMs: 5 * MIN,
        mttrMs: 35 * MIN,
        mtbfMs: (1440 - 35) * MIN,
        downtimeMs: 35 * MIN,
        availability: 1 - 35 / 1440,
      },
    ]);
    expect(total).toEqual({ ...groups[0], key: '' });
  });

  it('merge: the merged exception is not counted, the survivor once', async () => {
    const a = await exceptions.correlate(group([firing('a1', '09:58')]), at('10:00'));
    const b = await exceptions.correlate(
      group([firing('b1', '10:09')], { key: 'topology/rack=r2' }),
      at('10:10'),
    );
    clock.set(at('10:20').getTime());
    await exceptions.merge(operator, 'ops', a.exceptionId, b.exceptionId, 'same outage');
    await resolveAt('10:40', a.exceptionId);

    const { groups } = await day();
    // Only A: detect 2, resolve 10:40 − 09:58 = 42, downtime 42, no acknowledgement.
    expect(groups).toEqual([
      {
        key: 'ops',
        failures: 1,
        detected: 1,
        acknowledged: 0,
        resolved: 1,
        mttdMs: 2 * MIN,
        mttrMs: 42 * MIN,
        mtbfMs: (1440 - 42) * MIN,
        downtimeMs: 42 * MIN,
        availability: 1 - 42 / 1440,
      },
    ]);
  });

  it('reopen: two episodes of one exception, each with its own times, the gap not downtime', async () => {
    const opened = await exceptions.correlate(group([firing('n1', '10:00')]), at('10:00'));
    await exceptions.groupResolved('ops', 'topology/rack=r1', at('10:20'));
    const back = await exceptions.correlate(group([firing('n1', '10:29')]), at('10:30'));
    expect(back).toEqual({ exceptionId: opened.exceptionId, outcome: 'reopened' });
    clock.set(at('10:45').getTime());
    await exceptions.acknowledge(operator, 'ops', opened.exceptionId);
    await exceptions.groupResolved('ops', 'topology/rack=r1', at('11:00'));

    const { groups } = await day();
    // Episode 1: 10:00–10:20, detect 0, resolve 20. Episode 2: impact 10:29, opened 10:30, acknowledged
    // 10:45, resolved 11:00: detect 1, acknowledge 15, resolve 31. Downtime 20 + 31 = 51.
    expect(groups).toEqual([
      {
        key: 'ops',
        failures: 2,
        detected: 2,
        acknowledged: 1,
        resolved: 2,
        mttdMs: 0.5 * MIN,
        mttaMs: 15 * MIN,
        mttrMs: 25.5 * MIN,
        mtbfMs: ((1440 - 51) / 2) * MIN,
        downtimeMs: 51 * MIN,
        availability: 1 - 51 / 1440,
      },
    ]);
  });

  it('escalation: notifications and escalation steps do not change the time to acknowledge', async () => {
    const opened = await exceptions.correlate(group([firing('n1', '09:59')]), at('10:00'));
    await exceptions.recordActivity('ops', opened.exceptionId, {
      type: 'escalation',
      at: at('10:05'),
      message: 'step 1: not acknowledged after 5m',
    });
    await exceptions.recordActivity('ops', opened.exceptionId, {
      type: 'notification',
      at: at('10:15'),
      message: 'paged the second line',
    });
    clock.set(at('10:20').getTime());
    await exceptions.acknowledge(operator, 'ops', opened.exceptionId);
    await exceptions.groupResolved('ops', 'topology/rack=r1', at('10:50'));

    const [ops] = (await day()).groups;
    expect(ops).toMatchObject({ failures: 1, acknowledged: 1, mttaMs: 20 * MIN, mttrMs: 51 * MIN });
  });

  it('overlap: one application hit by two overlapping exceptions is down for the union of them', async () => {
    const x = await createAt('10:00', [
      { kind: 'Application', name: 'checkout' },
      { kind: 'Cluster', name: 'east' },
    ]);
    const y = await createAt('10:30', [
      { kind: 'Application', name: 'checkout' },
      { kind: 'Cluster', name: 'west' },
    ]);
    const z = await createAt('12:00', [{ kind: 'Application', name: 'search' }]);
    await resolveAt('11:00', x.id);
    await resolveAt('11:30', y.id);
    await resolveAt('12:10', z.id);

    const byApplication = await day('application');
    // checkout: 10:00–11:30 = 90 (not 60 + 60); two failures, MTTR (60 + 60) / 2 = 60.
    expect(byApplication.groups.map((g) => [g.key, g.failures, g.downtimeMs, g.mttrMs, g.mtbfMs])).toEqual([
      ['checkout', 2, 90 * MIN, 60 * MIN, ((1440 - 90) / 2) * MIN],
      ['search', 1, 10 * MIN, 10 * MIN, (1440 - 10) * MIN],
    ]);
    // The team: 10:00–11:30 and 12:00–12:10 = 100.
    expect(byApplication.total).toMatchObject({
      failures: 3,
      downtimeMs: 100 * MIN,
      mttrMs: (130 / 3) * MIN,
    });

    const byCluster = await day('cluster');
    expect(byCluster.groups.map((g) => [g.key, g.failures, g.downtimeMs])).toEqual([
      ['east', 1, 60 * MIN],
      ['west', 1, 60 * MIN],
    ]);
  });

  it('counts an exception that names one application twice (two clusters) once for it', async () => {
    clock.set(at('10:00').getTime());
    const twice = await exceptions.create(operator, 'ops', {
      title: 'checkout in both clusters',
      severity: 'major',
      entities: [
        { kind: 'Application', name: 'checkout', cluster: 'east' },
        { kind: 'Application', name: 'checkout', cluster: 'west' },
      ],
    });
    await resolveAt('10:20', twice.id);
    const { groups } = await day('application');
    expect(groups.map((g) => [g.key, g.failures, g.mttrMs, g.downtimeMs])).toEqual([
      ['checkout', 1, 20 * MIN, 20 * MIN],
    ]);
    const byCluster = await day('cluster');
    expect(byCluster.groups.map((g) => [g.key, g.failures])).toEqual([
      ['east', 1],
      ['west', 1],
    ]);
    expect(byCluster.total).toMatchObject({ failures: 1, downtimeMs: 20 * MIN });
  });

  it('class: the failure level when the exception reached one, else the severity', async () => {
    const failure = await createAt('10:00', [{ kind: 'Cluster', name: 'east' }]);
    const plain = await createAt('11:00', [{ kind: 'Cluster', name: 'east' }]);
    await store.exceptions.transaction(async (repo) => {
      const record = { ...(await repo.get('ops', failure.id))!, level: 'P4' as const };
      await repo.update(record);
      await repo.syncEpisode(record);
    });
    await resolveAt('10:30', failure.id);
    await resolveAt('11:05', plain.id);

    const { groups } = await day('class');
    expect(groups.map((g) => [g.key, g.failures, g.mttrMs])).toEqual([
      ['P4', 1, 30 * MIN],
      ['major', 1, 5 * MIN],
    ]);
  });

  it('clips episodes that straddle the range and counts open ones up to its end', async () => {
    // Opened the day before at 23:30, resolved at 00:30: 30 minutes inside, not a failure of the range.
    clock.set(FROM - 30 * MIN);
    const before = await exceptions.create(operator, 'ops', {
      title: 'overnight',
      severity: 'minor',
      entities: [{ kind: 'Application', name: 'checkout' }],
    });
    await resolveAt('00:30', before.id);
    // Opened at 23:00 of the range's day, still open: 60 minutes inside, a failure without MTTR.
    await createAt('23:00', [{ kind: 'Application', name: 'checkout' }]);

    const [ops] = (await day()).groups;
    expect(ops).toEqual({
      key: 'ops',
      failures: 1,
      detected: 0,
      acknowledged: 0,
      resolved: 0,
      mtbfMs: (1440 - 90) * MIN,
      downtimeMs: 90 * MIN,
      availability: 1 - 90 / 1440,
    });
  });

  it('keeps teams apart, and answers a range without episodes with zero counts', async () => {
    await exceptions.correlate(group([firing('n1', '10:00')], { team: 'data' }), at('10:00'));
    expect((await day()).groups).toEqual([]);
    expect((await day()).total).toEqual({
      key: '',
      failures: 0,
      detected: 0,
      acknowledged: 0,
      resolved: 0,
      downtimeMs: 0,
      availability: 1,
    });
    const all = await stats.compute(undefined, {
      from: FROM,
      to: FROM + DAY,
      by: 'team',
      metrics: ['count'],
    });
    expect(all.groups).toEqual([{ key: 'data', failures: 1, detected: 1, acknowledged: 0, resolved: 0 }]);
  });
});

describe('the query', () => {
  const now = Date.parse('2026-06-10T00:00:00Z');

  it('defaults to the 30 days before now, grouped by team, every metric', () => {
    expect(decodeStatsQuery({}, now)).toEqual({
      from: now - 30 * DAY,
      to: now,
      by: 'team',
      metrics: ['count', 'mttd', 'mtta', 'mttr', 'mtbf', 'availability'],
    });
  });

  it('ends the range at now at the latest', () => {
    expect(decodeStatsQuery({ from: '2026-06-09T00:00:00Z', to: '2026-07-01T00:00:00Z' }, now)).toMatchObject(
      {
        from: now - DAY,
        to: now,
      },
    );
  });

  it.each([
    [{ from: 'yesterday' }, 'querystring/from'],
    [{ to: '2026-06-01T00:00:00Z', from: '2026-06-02T00:00:00Z' }, 'querystring/from'],
    [{ from: '2020-01-01T00:00:00Z' }, 'querystring/from'],
    [{ metrics: 'mttr,uptime' }, 'querystring/metrics'],
  ])('refuses %j at %s', (query, path) => {
    let thrown: unknown;
    try {
      decodeStatsQuery(query, now);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GantryError);
    expect((thrown as GantryError).code).toBe(ErrorCodes.invalid);
    expect((thrown as GantryError).details[0]?.path).toBe(path);
  });

  it('leaves out the means that have nothing to average and the metrics not asked for', () => {
    const sums = {
      key: 'ops',
      failures: 0,
      detected: 0,
      acknowledged: 0,
      resolved: 0,
      detectMs: 0,
      acknowledgeMs: 0,
      repairMs: 0,
      downtimeMs: 0,
    };
    expect(groupFigures(sums, DAY, ['mttr', 'mtbf'])).toEqual({ key: 'ops' });
    expect(groupFigures({ ...sums, failures: 2, resolved: 2, repairMs: 3 * MIN }, DAY, ['mttr'])).toEqual({
      key: 'ops',
      mttrMs: 1.5 * MIN,
    });
  });
});

describe('time to recovery split by exceptions (MTTR with and without healing, ADR 0041)', () => {
  it('gives the same MTTR as the statistics for the episodes it keeps, with percentiles', async () => {
    const opened: string[] = [];
    // Four exceptions opened at 10:00 and resolved after 10, 20, 30 and 100 minutes; one left open.
    for (const [index, minutes] of [10, 20, 30, 100].entries()) {
      const created = await createAt('10:00', [{ kind: 'Cluster', name: `c${index}` }]);
      opened.push(created.id);
      await resolveAt(
        `${String(10 + Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`,
        created.id,
      );
    }
    await createAt('11:00', [{ kind: 'Cluster', name: 'open' }]);
    const from = new Date(FROM).toISOString();
    const to = new Date(FROM + DAY).toISOString();
    const healed = [opened[0]!, opened[1]!];

    const withHealing = await stats.recovery('ops', from, to, { include: healed });
    expect(withHealing).toEqual({ count: 2, meanMs: 15 * MIN, p50Ms: 10 * MIN, p90Ms: 20 * MIN });
    const without = await stats.recovery('ops', from, to, { exclude: healed });
    expect(without).toEqual({ count: 2, meanMs: 65 * MIN, p50Ms: 30 * MIN, p90Ms: 100 * MIN });
    // Nothing excluded: the mean is the statistics' own MTTR over the same range.
    const all = await stats.recovery('ops', from, to, {});
    expect(all.meanMs).toBe((await day()).total.mttrMs);
    expect(all).toMatchObject({ count: 4, p50Ms: 20 * MIN, p90Ms: 100 * MIN });
    expect(await stats.recovery('ops', from, to, { include: [] })).toEqual({ count: 0 });
  });
});
