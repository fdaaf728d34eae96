import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryEventRecorder, StoreEventRecorder, systemClock } from '@gantry/controllers';
import pino from 'pino';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import { builtinKinds, KindRegistry, type Resource, type ScheduleStatus } from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import { MemoryHostDirectory } from './host-directory.ts';
import { MemoryAgentPort } from './memory-agent-port.ts';
import { createJobsModule, type JobsModule } from './module.ts';
import { DEFAULT_SCHEDULE_CONTROLLER_OPTIONS, ScheduleController } from './schedule-controller.ts';
import { ManualClock } from './testing/manual-clock.ts';

const SYSTEM: Caller = { principal: SYSTEM_PRINCIPAL, source: 'test' };
const TEAM = 'ops';

let store: Store;
let clock: ManualClock;
let resources: ResourceService;
let jobs: JobsModule;
let hosts: MemoryHostDirectory;

async function schedule(name: string, spec: Record<string, unknown>) {
  await resources.create(SYSTEM, 'Schedule', TEAM, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Schedule',
    metadata: { name },
    spec: { template: 'nightly', targets: { hosts: ['h1'] }, ...spec },
  });
}

async function status(name: string): Promise<ScheduleStatus> {
  return (
    ((await resources.get(SYSTEM, 'Schedule', TEAM, name)) as Resource<unknown, ScheduleStatus>).status ?? {}
  );
}

async function runs() {
  return (await store.jobs.list({ team: TEAM, limit: 100 })).items.reverse();
}

beforeEach(async () => {
  // 2026-03-28 22:00 UTC: the night before Europe/Berlin moves to summer time.
  clock = new ManualClock(Date.parse('2026-03-28T22:00:00Z'));
  store = await Store.open({ url: ':memory:' });
  const kinds = new KindRegistry();
  for (const kind of builtinKinds) kinds.register(kind);
  resources = new ResourceService(kinds, store.resources, () => clock.now());
  hosts = new MemoryHostDirectory();
  hosts.add(TEAM, 'h1');
  const port = new MemoryAgentPort(() => clock.now());
  port.register(TEAM, 'h1'); // known, never connected: its runs stay dispatched
  jobs = createJobsModule(
    {
      resources,
      jobs: store.jobs,
      port,
      hosts,
      secrets: { reveal: () => Promise.resolve({}) },
      leases: store.leases,
      clock,
      recorder: new MemoryEventRecorder(),
    },
    { holder: 'test' },
  );
  await resources.create(SYSTEM, 'Team', undefined, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name: TEAM },
    spec: { members: [] },
  });
  await resources.create(SYSTEM, 'JobTemplate', TEAM, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'JobTemplate',
    metadata: { name: 'nightly' },
    spec: { action: 'noop' },
  });
});

afterEach(async () => {
  await jobs.stop();
  await store.close();
});

describe('ScheduleController', () => {
  it('fires at the cron time in its time zone (across a daylight saving change), once for missed times', async () => {
    await schedule('at-nine', { cron: '0 9 * * *', timeZone: 'Europe/Berlin' });
    expect(await jobs.schedules.tick()).toEqual([{ schedule: 'at-nine', action: 'Waiting' }]);
    expect((await status('at-nine')).nextScheduleTime).toBe('2026-03-29T07:00:00.000Z'); // 09:00 CEST
    clock.advance(9 * 3_600_000 - 1); // 06:59:59.999 UTC
    expect(await jobs.schedules.tick()).toEqual([{ schedule: 'at-nine', action: 'Waiting' }]);
    clock.advance(1);
    const [fired] = (await jobs.schedules.tick())!;
    expect(fired).toMatchObject({ schedule: 'at-nine', action: 'Started' });
    const [run] = await runs();
    expect(run).toMatchObject({ schedule: 'at-nine', template: 'nightly', createdBy: 'schedule/at-nine' });
    expect(await status('at-nine')).toMatchObject({
      lastScheduleTime: '2026-03-29T07:00:00.000Z',
      lastRunId: run!.id,
      nextScheduleTime: '2026-03-30T07:00:00.000Z',
    });
    // The run goes on (its host never answers): the schedule skips while it does.
    await store.jobs.finish(run!.id, 'Succeeded', 'AllSucceeded', new Date(clock.now()).toISOString());
    // Three days pass without a server: one run, for the latest time.
    clock.advance(3 * 86_400_000);
    expect((await jobs.schedules.tick())![0]).toMatchObject({ action: 'Started' });
    expect(await runs()).toHaveLength(2);
    expect((await status('at-nine')).lastScheduleTime).toBe('2026-04-01T07:00:00.000Z');
  });

  it('skips while the previous run goes on (Skip), or queues and starts it when that run ends (Queue)', async () => {
    await schedule('skipper', { cron: '*/10 * * * *', concurrencyPolicy: 'Skip' });
    await schedule('queuer', { cron: '*/10 * * * *', concurrencyPolicy: 'Queue' });
    clock.advance(10 * 60_000);
    expect((await jobs.schedules.tick())!.map((o) => o.action)).toEqual(['Started', 'Started']);
    clock.advance(10 * 60_000);
    expect((await jobs.schedules.tick())!.map((o) => `${o.schedule}:${o.action}`)).toEqual([
      'queuer:Queued',
      'skipper:Skipped',
    ]);
    expect((await status('queuer')).queued).toBe(1);
    clock.advance(60_000);
    expect((await jobs.schedules.tick())!.map((o) => o.action)).toEqual(['Waiting', 'Waiting']);
    for (const run of await runs())
      await store.jobs.finish(run.id, 'Succeeded', 'AllSucceeded', new Date(clock.now()).toISOString());
    expect((await jobs.schedules.tick())!.map((o) => `${o.schedule}:${o.action}`)).toEqual([
      'queuer:Started',
      'skipper:Waiting',
    ]);
    expect((await status('queuer')).queued).toBe(0);
    expect((await runs()).map((r) => r.schedule)).toEqual(['queuer', 'skipper', 'queuer']);
  });

  it('keeps a refused run in status, and refuses a cron or time zone that does not parse', async () => {
    await schedule('broken', { cron: '* * * * *', parameters: { nope: 1 } });
    clock.advance(60_000);
    expect((await jobs.schedules.tick())![0]).toMatchObject({ action: 'Failed' });
    expect((await status('broken')).lastError).toMatch(/^GANTRY_E_INVALID: parameters/);
    await expect(schedule('bad-cron', { cron: '61 * * * *' })).rejects.toMatchObject({
      details: [expect.objectContaining({ path: '/spec/cron' })],
    });
    await expect(schedule('bad-zone', { cron: '0 * * * *', timeZone: 'Mars/Olympus' })).rejects.toMatchObject(
      {
        details: [{ path: '/spec/timeZone', message: 'is not an IANA time zone' }],
      },
    );
  });

  it('a leader paused mid-reconcile and resumed after another took the lease starts no run and writes no status (ADR 0028)', async () => {
    await schedule('every-minute', { cron: '* * * * *' });
    const refused: string[] = [];
    const warnings: string[] = [];
    const x = new ScheduleController(
      {
        resources,
        jobs: store.jobs,
        service: jobs.service,
        leases: store.leases,
        clock,
        recorder: new MemoryEventRecorder(),
        metrics: { fencedWrites: { inc: ({ controller }) => void refused.push(controller) } },
        logger: { warn: (_object, message) => void warnings.push(message) },
      },
      { ...DEFAULT_SCHEDULE_CONTROLLER_OPTIONS, holder: 'x' },
    );
    expect(await x.tick()).toEqual([{ schedule: 'every-minute', action: 'Waiting' }]);
    const before = await status('every-minute');
    // X is held inside its reconcile, while it creates the run (checking the targets).
    let resume!: () => void;
    const held = new Promise<void>((resolve) => (resume = resolve));
    let checking!: () => void;
    const checked = new Promise<void>((resolve) => (checking = resolve));
    const known = hosts.known.bind(hosts);
    hosts.known = async (team, names) => {
      checking();
      await held;
      return known(team, names);
    };
    clock.advance(60_000);
    const ticking = x.tick();
    await checked;
    // X's lease runs out while it is paused and Y takes it.
    clock.advance(DEFAULT_SCHEDULE_CONTROLLER_OPTIONS.leaseDurationMs + 1);
    expect(
      await store.leases.tryAcquire(
        'controller/schedules',
        'y',
        DEFAULT_SCHEDULE_CONTROLLER_OPTIONS.leaseDurationMs,
        clock.now(),
      ),
    ).toBe(true);
    resume();
    expect(await ticking).toBeUndefined();
    expect(await runs()).toEqual([]);
    expect(await status('every-minute')).toEqual(before);
    expect(refused).toEqual(['schedules']);
    expect(warnings.filter((message) => message.includes('refused'))).toHaveLength(1);
    // Not the holder: its next tick does nothing.
    expect(await x.tick()).toBeUndefined();
  });

  it('records its events in its term: an event flushed after the lease moved is refused, counted once, not stored (ADR 0028)', async () => {
    await schedule('every-minute', { cron: '* * * * *' });
    const refused: string[] = [];
    const events = new StoreEventRecorder({
      events: store.events,
      clock: systemClock(),
      logger: pino({ level: 'silent' }),
      flushIntervalMs: 60_000,
    });
    const x = new ScheduleController(
      {
        resources,
        jobs: store.jobs,
        service: jobs.service,
        leases: store.leases,
        clock,
        recorder: events,
        metrics: { fencedWrites: { inc: ({ controller }) => void refused.push(controller) } },
      },
      { ...DEFAULT_SCHEDULE_CONTROLLER_OPTIONS, holder: 'x' },
    );
    await x.tick();
    clock.advance(60_000);
    const [fired] = (await x.tick())!;
    expect(fired).toMatchObject({ action: 'Started' });
    // The event waits for the recorder's flush; meanwhile Y takes the lease.
    clock.advance(DEFAULT_SCHEDULE_CONTROLLER_OPTIONS.leaseDurationMs + 1);
    expect(
      await store.leases.tryAcquire(
        'controller/schedules',
        'y',
        DEFAULT_SCHEDULE_CONTROLLER_OPTIONS.leaseDurationMs,
        clock.now(),
      ),
    ).toBe(true);
    await events.close();
    expect(refused).toEqual(['schedules']);
    expect(events.pending).toBe(0);
    const stored = await store.events.query({ teams: [TEAM], limit: 10 });
    expect(stored.items.filter((event) => event.objectKind === 'Schedule')).toEqual([]);
  });
});
