import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { TermScope } from '@gantry/controllers';
import { FencedWriteRefused } from '@gantry/store';
import { StoreRiskSink } from '../risks/store-risk-sink.ts';
import { createInspectionsModule } from './module.ts';
import { InspectionScheduler } from './inspection-scheduler.ts';
import { InspectionRunner, type InspectionRunnerDeps, type RunRequest } from './inspection-runner.ts';
import { inspectionHarness, SYSTEM, TEAM } from './test-support.ts';

type Harness = Awaited<ReturnType<typeof inspectionHarness>>;
let h: Harness;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

const EVERY_FIVE = {
  schedule: { cron: '*/5 * * * *' },
  checks: [{ name: 'down', inventory: { over: 'nodes', condition: '!node.ready' } }],
};

function scheduler(runner: Pick<InspectionRunner, 'run'> = h.runner, drift: number[] = []) {
  return new InspectionScheduler(
    {
      resources: h.store.resources,
      runs: h.store.risks,
      sink: new StoreRiskSink(h.store.risks),
      runner,
      data: h.data,
      clock: h.clock,
      onDrift: (ms) => drift.push(ms),
    },
    { resyncMs: 600_000, concurrency: 4, interruptedAfterMs: 15 * 60_000 },
  );
}

async function slots(name: string) {
  return (await h.store.risks.listRuns(TEAM, name, 100)).items.map((run) => run.slot).reverse();
}

beforeEach(async () => {
  h = await inspectionHarness(at('2026-03-02T10:01:00Z'));
});
afterEach(async () => {
  await h.store.close();
});

describe('InspectionScheduler', () => {
  it('runs each cron slot once, as it comes, and sleeps until the next one', async () => {
    await h.apply('nodes', EVERY_FIVE);
    const drift: number[] = [];
    const s = scheduler(h.runner, drift);
    await s.start();
    expect(iso(s.dueTimes().get(`${TEAM}/nodes`))).toBe('2026-03-02T10:05:00.000Z');
    expect(iso(h.clock.nextTimer())).toBe('2026-03-02T10:05:00.000Z');
    h.clock.set(at('2026-03-02T10:04:59.999Z'));
    expect(await s.tick()).toEqual([]);
    h.clock.set(at('2026-03-02T10:05:00.250Z'));
    expect(await s.tick()).toEqual([
      { inspection: 'ops/nodes', slot: '2026-03-02T10:05:00.000Z', action: 'Started' },
    ]);
    await s.settle();
    expect(await s.tick()).toEqual([]);
    h.clock.set(at('2026-03-02T10:10:00Z'));
    await s.tick();
    await s.settle();
    expect(await slots('nodes')).toEqual(['2026-03-02T10:05:00.000Z', '2026-03-02T10:10:00.000Z']);
    expect(drift).toEqual([250, 0]);
    const status = (await h.get('nodes')).status!;
    expect(status).toMatchObject({
      lastScheduleTime: '2026-03-02T10:10:00.000Z',
      nextRunTime: '2026-03-02T10:15:00.000Z',
    });
    await s.stop();
  });

  it('a restarted scheduler resumes from the last claimed slot and never runs a slot twice', async () => {
    await h.apply('nodes', EVERY_FIVE);
    const first = scheduler();
    await first.start();
    h.clock.set(at('2026-03-02T10:05:00Z'));
    await first.tick();
    await first.settle();
    await first.stop();
    // The same moment, a new process (or a new leader): the 10:05 slot is taken.
    const second = scheduler();
    await second.start();
    expect(iso(second.dueTimes().get(`${TEAM}/nodes`))).toBe('2026-03-02T10:10:00.000Z');
    expect(await second.tick()).toEqual([]);
    await second.stop();
    expect(await slots('nodes')).toEqual(['2026-03-02T10:05:00.000Z']);
  });

  it('two schedulers that both think a slot is due run it once (the slot is claimed in the database)', async () => {
    await h.apply('nodes', EVERY_FIVE);
    const a = scheduler();
    const b = scheduler();
    await a.start();
    await b.start();
    h.clock.set(at('2026-03-02T10:05:00Z'));
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.settle(), b.settle()]);
    expect(await slots('nodes')).toEqual(['2026-03-02T10:05:00.000Z']);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('a scheduler whose term is over claims no slot and writes no risk; the new leader runs the slot (ADR 0028)', async () => {
    await h.apply('nodes', EVERY_FIVE);
    const LEASE = 'health-inspections';
    expect(await h.store.leases.tryAcquire(LEASE, 'x', 1000, 0)).toBe(true);
    const fence = { lease: LEASE, holder: 'x', transitions: (await h.store.leases.get(LEASE))!.transitions };
    const refused: unknown[] = [];
    const stale = scheduler();
    await stale.start(new TermScope({ fence, onRefused: (error) => void refused.push(error) }));
    // Another server takes the lease before x's 10:05 slot comes.
    expect(await h.store.leases.tryAcquire(LEASE, 'y', 1000, 5000)).toBe(true);
    h.clock.set(at('2026-03-02T10:05:00Z'));
    await stale.tick();
    await stale.settle();
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(FencedWriteRefused);
    expect(await slots('nodes')).toEqual([]);
    await stale.stop();
    // y's scheduler claims and runs the slot.
    const current = scheduler();
    await current.start();
    await current.tick();
    await current.settle();
    expect(await slots('nodes')).toEqual(['2026-03-02T10:05:00.000Z']);
    await current.stop();
  });

  it("a run held before its finish, whose scheduler's lease moved, finishes nothing and reports nothing (ADR 0028)", async () => {
    await h.apply('nodes', EVERY_FIVE);
    const LEASE = 'health-inspections';
    expect(await h.store.leases.tryAcquire(LEASE, 'x', 1000, 0)).toBe(true);
    const fence = { lease: LEASE, holder: 'x', transitions: (await h.store.leases.get(LEASE))!.transitions };
    const refused: unknown[] = [];
    let resume!: () => void;
    const held = new Promise<void>((resolve) => (resume = resolve));
    let finishing = 0;
    const runs: InspectionRunnerDeps['runs'] = {
      startRun: (run, f) => h.store.risks.startRun(run, f),
      getRun: (team, id) => h.store.risks.getRun(team, id),
      openChecks: (team, kind, name) => h.store.risks.openChecks(team, kind, name),
      finishRun: async (...args) => {
        finishing += 1;
        await held;
        return h.store.risks.finishRun(...args);
      },
    };
    const runner = new InspectionRunner({
      runs,
      sink: new StoreRiskSink(h.store.risks),
      data: h.data,
      prometheus: h.prometheus,
      sources: h.sources,
      resources: h.resources,
      recorder: h.recorder,
      engine: h.engine,
      clock: h.clock,
    });
    const s = scheduler(runner);
    await s.start(new TermScope({ fence, onRefused: (error) => void refused.push(error) }));
    h.clock.set(at('2026-03-02T10:05:00Z'));
    await s.tick();
    for (let i = 0; i < 1000 && finishing === 0; i++) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(finishing).toBe(1);
    // Another server takes the lease while the run's finish is in flight.
    expect(await h.store.leases.tryAcquire(LEASE, 'y', 1000, 5000)).toBe(true);
    resume();
    await s.settle();
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(FencedWriteRefused);
    const [run] = (await h.store.risks.listRuns(TEAM, 'nodes', 10)).items;
    expect(run).toMatchObject({ state: 'running', slot: '2026-03-02T10:05:00.000Z' });
    expect((await h.store.risks.getRun(TEAM, run!.id))!.results).toEqual([]);
    expect((await h.get('nodes')).status?.lastRun).toBeUndefined();
    await s.stop();
  });

  it('slots missed while no server led fold into the latest one', async () => {
    await h.apply('nodes', EVERY_FIVE);
    const s = scheduler();
    await s.start();
    h.clock.set(at('2026-03-02T10:31:10Z'));
    await s.tick();
    await s.settle();
    expect(await slots('nodes')).toEqual(['2026-03-02T10:30:00.000Z']);
    expect(iso(s.dueTimes().get(`${TEAM}/nodes`))).toBe('2026-03-02T10:35:00.000Z');
    // Again from a slot worked out ahead at the last tick (10:40 after 10:35): still the latest one.
    h.clock.set(at('2026-03-02T10:52:00Z'));
    await s.tick();
    await s.settle();
    expect(await slots('nodes')).toEqual(['2026-03-02T10:30:00.000Z', '2026-03-02T10:50:00.000Z']);
    expect(iso(s.dueTimes().get(`${TEAM}/nodes`))).toBe('2026-03-02T10:55:00.000Z');
    expect((await h.get('nodes')).status).toMatchObject({
      lastScheduleTime: '2026-03-02T10:50:00.000Z',
      nextRunTime: '2026-03-02T10:55:00.000Z',
    });
    await s.stop();
  });

  it('follows the cron in its time zone, and a suspended inspection has no due time', async () => {
    await h.apply('morning', { ...EVERY_FIVE, schedule: { cron: '0 9 * * *', timeZone: 'Europe/Berlin' } });
    await h.apply('paused', { ...EVERY_FIVE, suspend: true });
    const s = scheduler();
    await s.start();
    expect(iso(s.dueTimes().get(`${TEAM}/morning`))).toBe('2026-03-03T08:00:00.000Z');
    expect(s.dueTimes().get(`${TEAM}/paused`)).toBeUndefined();
    await s.stop();
  });

  it('skips a slot while the previous run of the inspection still goes', async () => {
    await h.apply('slow', EVERY_FIVE);
    let release: () => void = () => undefined;
    const requests: RunRequest[] = [];
    const slow: Pick<InspectionRunner, 'run'> = {
      run: (_inspection, request) => {
        requests.push(request);
        return new Promise((resolve) => {
          release = () => resolve(undefined);
        });
      },
    };
    const s = scheduler(slow);
    await s.start();
    h.clock.set(at('2026-03-02T10:05:00Z'));
    await s.tick();
    h.clock.set(at('2026-03-02T10:10:00Z'));
    expect(await s.tick()).toEqual([
      {
        inspection: 'ops/slow',
        slot: '2026-03-02T10:10:00.000Z',
        action: 'Skipped',
        why: 'PreviousRunGoing',
      },
    ]);
    release();
    await s.settle();
    expect(requests.map((r) => iso(r.slot))).toEqual(['2026-03-02T10:05:00.000Z']);
    await s.stop();
  });

  it('a scheduled run left running by a dead server ends as failed when a scheduler starts', async () => {
    await h.store.risks.startRun({
      team: TEAM,
      inspection: 'nodes',
      trigger: 'schedule',
      slot: '2026-03-02T09:00:00.000Z',
      createdBy: 'controller',
      startedAt: '2026-03-02T09:00:00.000Z',
    });
    const s = scheduler();
    await s.start();
    expect((await h.store.risks.listRuns(TEAM, 'nodes', 10)).items[0]).toMatchObject({ state: 'failed' });
    await s.stop();
  });

  it('schedules only on the server holding the health-inspections lease', async () => {
    await h.apply('nodes', EVERY_FIVE);
    const modules = ['server-a', 'server-b'].map((holder) =>
      createInspectionsModule(
        {
          resources: h.resources,
          repository: h.store.resources,
          inventory: h.store.inventory,
          risks: h.store.risks,
          secrets: { reveal: () => Promise.resolve({}) },
          leases: h.store.leases,
          clock: h.clock,
          recorder: h.recorder,
          engine: h.engine,
          logger: pino({ level: 'silent' }),
          subscribe: () => () => undefined,
        },
        { holder, leaseDurationMs: 15_000 },
      ),
    );
    for (const module of modules) await module.start();
    await vi.waitFor(() => expect(modules.map((module) => module.scheduler.dueTimes().size)).toEqual([1, 0]));
    for (const module of modules) await module.stop();
  });
});

describe('InspectionScheduler and the change feed', () => {
  it('reads the Inspections again on a new generation, not on a status write', async () => {
    const created = await h.apply('nodes', EVERY_FIVE);
    const s = scheduler();
    await s.start();
    const timers = () => h.clock.nextTimer();
    const before = timers();
    s.changed({ type: 'MODIFIED', team: TEAM, name: 'nodes', object: created });
    expect(timers()).toBe(before); // same generation: nothing to do
    s.changed({ type: 'MODIFIED', team: TEAM, name: 'nodes', object: { metadata: { generation: 2 } } });
    expect(timers()).toBe(h.clock.now()); // read again at once
    await s.stop();
  });
});

describe('InspectionScheduler clean-up', () => {
  it('closes the open risks of an Inspection that was deleted', async () => {
    h.data.items.nodes = [
      { key: 'c1/n1', label: 'node n1', entities: [], binding: { name: 'n1', ready: false } },
    ];
    const kept = await h.apply('kept', EVERY_FIVE);
    const doomed = await h.apply('doomed', EVERY_FIVE);
    for (const inspection of [kept, doomed])
      await h.runner.run(inspection, { trigger: 'manual', createdBy: 'a' });
    await h.resources.delete(SYSTEM, 'Inspection', TEAM, 'doomed');
    const s = scheduler();
    await s.start();
    const risks = (await h.store.risks.list({ team: TEAM, limit: 10 })).items;
    expect(risks.map((r) => [r.source.name, r.state]).sort()).toEqual([
      ['doomed', 'gone'],
      ['kept', 'open'],
    ]);
    await s.stop();
  });
});

describe('InspectionScheduler under a burst (ADR 0024)', () => {
  it('starts every run due in a tick on its slot, shares the team snapshot, and bounds the checks', async () => {
    h.data.items.nodes = [
      { key: 'c1/n1', label: 'node n1', entities: [], binding: { name: 'n1', ready: false } },
      { key: 'c1/n2', label: 'node n2', entities: [], binding: { name: 'n2', ready: true } },
    ];
    // The store's read of the team's nodes is held until the test lets it go.
    let letRead!: () => void;
    const gate = new Promise<void>((resolve) => (letRead = resolve));
    const read = h.data.subjects.bind(h.data);
    let reading = 0;
    h.data.subjects = async (over) => {
      reading += 1;
      await gate;
      return read(over);
    };
    for (const name of ['a', 'b', 'c']) await h.apply(name, EVERY_FIVE);
    const drift: number[] = [];
    const s = new InspectionScheduler(
      {
        resources: h.store.resources,
        runs: h.store.risks,
        sink: new StoreRiskSink(h.store.risks),
        runner: h.runner,
        data: h.data,
        clock: h.clock,
        onDrift: (ms) => drift.push(ms),
      },
      { resyncMs: 600_000, concurrency: 1, interruptedAfterMs: 15 * 60_000 },
    );
    await s.start();
    h.clock.set(at('2026-03-02T10:05:00Z'));
    expect((await s.tick()).map((o) => `${o.inspection} ${o.action}`)).toEqual([
      'ops/a Started',
      'ops/b Started',
      'ops/c Started',
    ]);
    // Later ticks come while the runs wait: the clock moves on, their start stays their slot.
    h.clock.set(at('2026-03-02T10:05:07Z'));
    await vi.waitFor(async () => {
      const runs = await Promise.all(['a', 'b', 'c'].map((n) => h.store.risks.listRuns(TEAM, n, 10)));
      expect(runs.map((r) => r.items.map((run) => [run.state, run.startedAt, run.slot]))).toEqual(
        ['a', 'b', 'c'].map(() => [['running', '2026-03-02T10:05:00.000Z', '2026-03-02T10:05:00.000Z']]),
      );
    });
    expect(drift).toEqual([0, 0, 0]);
    // One work slot: one run reads, the others wait for their turn.
    expect(reading).toBe(1);
    letRead();
    await s.settle();
    // One read of the team's nodes for the three runs of the tick, each run kept with its results.
    expect(reading).toBe(1);
    for (const name of ['a', 'b', 'c']) {
      const [run] = (await h.store.risks.listRuns(TEAM, name, 10)).items;
      expect(run).toMatchObject({ state: 'succeeded', counts: { checks: 1, risks: 1, findings: 1 } });
      expect((await h.store.risks.getRun(TEAM, run!.id))!.results[0]).toMatchObject({
        check: 'down',
        outcome: 'risks',
      });
    }
    // The next tick's runs read the team's objects again.
    h.clock.set(at('2026-03-02T10:10:00Z'));
    await s.tick();
    await s.settle();
    expect(reading).toBe(2);
    await s.stop();
  });
});
