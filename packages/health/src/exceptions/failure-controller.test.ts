import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryEventRecorder, leaseTimings, systemClock, type LeaseStore } from '@gantry/controllers';
import { Store } from '@gantry/store';
import { ExceptionService } from './exception-service.ts';
import { DEFAULT_FAILURE_CONTROLLER_OPTIONS, FailureController } from './failure-controller.ts';
import { ExceptionEventReasons, FailureReasons } from './reasons.ts';
import { ManualClock, MemoryPolicySource, alert, callerWith, group } from './testing.ts';

const MIN = 60_000;
const operator = callerWith('olga', { ops: 'operator' });

let store: Store;
let clock: ManualClock;
let recorder: MemoryEventRecorder;
let policies: MemoryPolicySource;
let service: ExceptionService;
let ids = 0;

function controller(holder = 'server-a') {
  return new FailureController(
    {
      repository: store.exceptions,
      policies: (team) => policies.policies(team),
      leases: store.leases,
      clock,
      recorder,
    },
    { ...DEFAULT_FAILURE_CONTROLLER_OPTIONS, holder },
  );
}

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
  clock = new ManualClock();
  recorder = new MemoryEventRecorder();
  policies = new MemoryPolicySource();
  ids = 0;
  service = new ExceptionService(
    { repository: store.exceptions, policies, recorder, clock, newId: () => `ex-${++ids}` },
    { policyCacheMs: 0 },
  );
});
afterEach(async () => {
  await store.close();
});

describe('FailureController', () => {
  it('raises at exactly each default threshold, never a millisecond before', async () => {
    const opened = clock.now();
    await service.create(operator, 'ops', { title: 'checkout down', severity: 'critical', entities: [] });
    const failures = controller();
    const steps: [number, string | undefined][] = [
      [10, 'P4'],
      [30, 'P3'],
      [60, 'P2'],
      [150, 'P1'],
      [360, 'P0'],
    ];
    for (const [minutes, level] of steps) {
      clock.set(opened + minutes * MIN - 1);
      const before = await failures.tick();
      expect(before?.[0]?.reason).not.toBe(FailureReasons.raised);
      clock.set(opened + minutes * MIN);
      const [outcome] = (await failures.tick())!;
      expect(outcome).toMatchObject({ reason: FailureReasons.raised, to: level });
      const record = await service.show(operator, 'ops', 'ex-1');
      expect(record.level).toBe(level);
      expect(record.levelRaisedAt[level!]).toBe(new Date(opened + minutes * MIN).toISOString());
    }
    expect((await failures.tick())![0]).toMatchObject({ reason: FailureReasons.unchanged, level: 'P0' });
    expect(recorder.events.filter((e) => e.reason === ExceptionEventReasons.failureRaised)).toHaveLength(5);
    const levels = (await service.timeline(operator, 'ops', 'ex-1')).entries
      .filter((e) => e.type === 'level-raised')
      .map((e) => e.level);
    expect(levels).toEqual(['P4', 'P3', 'P2', 'P1', 'P0']);
    expect((await store.exceptions.episodes('ex-1'))[0]!.level).toBe('P0');
  });

  it('reports below-threshold exceptions and leaves resolved ones alone', async () => {
    await service.create(operator, 'ops', { title: 'a', severity: 'minor', entities: [] });
    await service.create(operator, 'ops', { title: 'b', severity: 'minor', entities: [] });
    await service.resolve(operator, 'ops', 'ex-2');
    clock.advance(9 * MIN);
    expect(await controller().tick()).toEqual([
      { exceptionId: 'ex-1', team: 'ops', reason: FailureReasons.belowThreshold },
    ]);
    clock.advance(60 * MIN);
    await controller().tick();
    expect((await service.show(operator, 'ops', 'ex-2')).level).toBeUndefined();
  });

  it('resumes after a restart from stored times: the levels it missed, once each, at their true instants', async () => {
    const opened = clock.now();
    await service.create(operator, 'ops', { title: 'down', severity: 'major', entities: [] });
    await controller('server-a').tick();
    // The server is gone for 70 minutes; a new one (a new controller, no memory) takes over the lease.
    clock.set(opened + 70 * MIN);
    const [outcome] = (await controller('server-a').tick())!;
    expect(outcome).toMatchObject({
      reason: FailureReasons.raised,
      to: 'P2',
      raised: [
        { level: 'P4', at: new Date(opened + 10 * MIN).toISOString() },
        { level: 'P3', at: new Date(opened + 30 * MIN).toISOString() },
        { level: 'P2', at: new Date(opened + 60 * MIN).toISOString() },
      ],
    });
    expect((await controller('server-a').tick())![0]).toMatchObject({ reason: FailureReasons.unchanged });
    expect(recorder.events.filter((e) => e.reason === ExceptionEventReasons.failureRaised)).toHaveLength(3);
  });

  it('keeps its lease between passes, and loses it to another server at the expiry when it dies', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const leaseDurationMs = 8000;
      let dead = false;
      // A dead server's calls never complete: it neither renews nor releases.
      const dying: LeaseStore = {
        tryAcquire: (...args) => (dead ? new Promise(() => undefined) : store.leases.tryAcquire(...args)),
        release: (...args) => (dead ? new Promise(() => undefined) : store.leases.release(...args)),
      };
      const make = (holder: string, leases: LeaseStore) =>
        new FailureController(
          {
            repository: store.exceptions,
            policies: (team) => policies.policies(team),
            leases,
            clock: systemClock(),
            recorder,
          },
          { ...DEFAULT_FAILURE_CONTROLLER_OPTIONS, leaseDurationMs, intervalMs: 15_000, holder },
        );
      const a = make('a', dying);
      const b = make('b', store.leases);
      a.start();
      // b starts when a's lease would have lapsed had a renewed it only at its passes, every 15 s.
      await vi.advanceTimersByTimeAsync(leaseDurationMs + 1000);
      b.start();
      await vi.advanceTimersByTimeAsync(10 * 15_000);
      const held = (await store.leases.get('controller/failures'))!;
      expect(held).toMatchObject({ holder: 'a', transitions: 0 });
      dead = true;
      while ((await store.leases.get('controller/failures'))!.holder !== 'b')
        await vi.advanceTimersByTimeAsync(5);
      const takeoverMs = Date.now() - held.renewedAt;
      expect(takeoverMs).toBeGreaterThan(leaseDurationMs);
      // At the expiry it read, not at its next pass 15 s later.
      expect(takeoverMs).toBeLessThanOrEqual(
        leaseDurationMs + leaseTimings(leaseDurationMs).takeoverMarginMs + 5,
      );
      void a.stop();
      await b.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('runs on the lease holder only', async () => {
    await service.create(operator, 'ops', { title: 'down', severity: 'major', entities: [] });
    expect(await controller('server-a').tick()).toHaveLength(1);
    expect(await controller('server-b').tick()).toBeUndefined();
  });

  it('a leader paused mid-pass and resumed after another took the lease raises nothing (ADR 0028)', async () => {
    const opened = clock.now();
    await service.create(operator, 'ops', { title: 'checkout down', severity: 'critical', entities: [] });
    const refused: string[] = [];
    const warnings: string[] = [];
    // A is held inside its pass, reading the team's policies.
    let resume!: () => void;
    const held = new Promise<void>((resolve) => (resume = resolve));
    let reading!: () => void;
    const read = new Promise<void>((resolve) => (reading = resolve));
    const a = new FailureController(
      {
        repository: store.exceptions,
        policies: async (team) => {
          reading();
          await held;
          return policies.policies(team);
        },
        leases: store.leases,
        clock,
        recorder,
        metrics: { fencedWrites: { inc: ({ controller }) => void refused.push(controller) } },
        logger: { warn: (_object, message) => void warnings.push(message) },
      },
      { ...DEFAULT_FAILURE_CONTROLLER_OPTIONS, holder: 'server-a' },
    );
    clock.set(opened + 10 * MIN);
    const ticking = a.tick();
    await read;
    // A's lease runs out while it is paused and B takes it.
    clock.set(opened + 10 * MIN + DEFAULT_FAILURE_CONTROLLER_OPTIONS.leaseDurationMs + 1);
    expect(
      await store.leases.tryAcquire(
        'controller/failures',
        'server-b',
        DEFAULT_FAILURE_CONTROLLER_OPTIONS.leaseDurationMs,
        clock.now(),
      ),
    ).toBe(true);
    resume();
    expect(await ticking).toBeUndefined();
    expect((await service.show(operator, 'ops', 'ex-1')).level).toBeUndefined();
    expect(
      (await service.timeline(operator, 'ops', 'ex-1')).entries.filter((e) => e.type === 'level-raised'),
    ).toEqual([]);
    expect(recorder.events.filter((e) => e.reason === ExceptionEventReasons.failureRaised)).toEqual([]);
    expect(refused).toEqual(['failures']);
    expect(warnings.filter((message) => message.includes('refused'))).toHaveLength(1);
    // B, the holder, raises it once.
    expect((await controller('server-b').tick())![0]).toMatchObject({
      reason: FailureReasons.raised,
      to: 'P4',
    });
  });

  it('takes thresholds from the application’s HealthPolicy first, then the team’s', async () => {
    const thresholds = (p4: string) => ({ P4: p4, P3: '300m', P2: '400m', P1: '500m', P0: '600m' });
    policies.byTeam.set('ops', [
      { name: 'team', spec: { selector: {}, failureThresholds: thresholds('20m'), reopenWindow: '30m' } },
      {
        name: 'checkout',
        spec: {
          selector: { application: 'checkout' },
          failureThresholds: thresholds('2m'),
          reopenWindow: '30m',
        },
      },
    ]);
    await service.create(operator, 'ops', {
      title: 'checkout',
      severity: 'major',
      entities: [{ kind: 'Component', name: 'api', application: 'checkout' }],
    });
    await service.create(operator, 'ops', { title: 'billing', severity: 'major', entities: [] });
    clock.advance(2 * MIN);
    const outcomes = await controller().tick();
    expect(outcomes!.map((o) => o.reason)).toEqual([FailureReasons.raised, FailureReasons.belowThreshold]);
    clock.advance(18 * MIN);
    expect((await controller().tick())!.map((o) => o.reason)).toEqual([
      FailureReasons.unchanged,
      FailureReasons.raised,
    ]);
  });

  it('counts a reopened exception from its reopening, and lists it among failures by level', async () => {
    await service.correlate(group([alert('a', 'firing')]), new Date(clock.now()));
    clock.advance(12 * MIN);
    await controller().tick();
    await service.groupResolved('ops', 'topology/rack=r1', new Date(clock.now()));
    clock.advance(MIN);
    await service.correlate(group([alert('a', 'firing')]), new Date(clock.now()));
    const reopened = await service.show(operator, 'ops', 'ex-1');
    expect(reopened.level).toBeUndefined();
    clock.advance(10 * MIN - 1);
    expect((await controller().tick())![0]!.reason).toBe(FailureReasons.belowThreshold);
    clock.advance(1);
    expect((await controller().tick())![0]!.reason).toBe(FailureReasons.raised);
    const episodes = await store.exceptions.episodes('ex-1');
    expect(episodes.map((e) => e.level)).toEqual(['P4', 'P4']);
    expect((await service.list(operator, 'ops', { level: 'P4' }, { failuresOnly: true })).items).toHaveLength(
      1,
    );
    expect((await service.list(operator, 'ops', { level: 'P3' }, { failuresOnly: true })).items).toHaveLength(
      0,
    );
  });
});
