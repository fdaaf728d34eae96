import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryEventRecorder } from '@gantry/controllers';
import { JOBS_CHANNEL, type FleetChangeGate, type JobServerMessage } from '@gantry/model';
import { Store } from '@gantry/store';
import type { AgentPort } from '../agent-port.ts';
import type { JobExecution } from '../execution.ts';
import { MemoryAgentPort } from '../memory-agent-port.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { DEFAULT_RUN_CONTROLLER_OPTIONS, JobRunController } from './run-controller.ts';

const TEAM = 'ops';
const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5'];

let store: Store;
let clock: ManualClock;
let port: MemoryAgentPort;
let recorder: MemoryEventRecorder;
/** Every start each host's fake agent received, and the attempts it ran (a repeated start runs nothing). */
let starts: Map<string, JobServerMessage[]>;
let ran: Map<string, number[]>;
const controllers: JobRunController[] = [];

const execution = (overrides: Partial<JobExecution> = {}): JobExecution => ({
  action: 'noop',
  runAs: { user: '', allowRoot: false },
  timeoutSeconds: 60,
  retries: 0,
  maxOutputBytes: 1024,
  secrets: [],
  ...overrides,
});

/** An agent that answers by rule: `exit(attempt)` gives the exit code, `undefined` stays silent. */
function agent(host: string, exit: (attempt: number) => number | undefined = () => 0) {
  const seen = new Set<string>();
  const link = port.connect(TEAM, host, {
    [JOBS_CHANNEL]: (body) => {
      const message = body as JobServerMessage;
      if (message.type !== 'start') return;
      starts.get(host)!.push(message);
      const ids = { runId: message.runId, target: message.target, attempt: message.attempt };
      const key = `${message.runId}/${message.attempt}`;
      const at = new Date(clock.now()).toISOString();
      link.report(JOBS_CHANNEL, { type: 'accepted', ...ids, at, duplicate: seen.has(key) });
      if (seen.has(key)) return;
      seen.add(key);
      ran.get(host)!.push(message.attempt);
      const code = exit(message.attempt);
      if (code === undefined) return;
      link.report(JOBS_CHANNEL, {
        type: 'output',
        ...ids,
        seq: 1,
        stream: 'stdout',
        data: `attempt ${message.attempt}\n`,
      });
      link.report(JOBS_CHANNEL, {
        type: 'finished',
        ...ids,
        reason: 'Exited',
        exitCode: code,
        signal: null,
        message: '',
        outputBytes: 10,
        truncated: false,
        lastSeq: 1,
        at,
      });
    },
  });
  return link;
}

function controller(holder: string, transport: AgentPort = port, gate?: FleetChangeGate) {
  const made = new JobRunController(
    {
      jobs: store.jobs,
      port: transport,
      secrets: { reveal: () => Promise.resolve({ k: 'v' }) },
      recorder,
      leases: store.leases,
      clock,
      ...(gate ? { gate } : {}),
    },
    { ...DEFAULT_RUN_CONTROLLER_OPTIONS, holder, lostAfterMs: 30_000, resultGraceMs: 5_000 },
  );
  controllers.push(made);
  return made;
}

async function createRun(
  id: string,
  options: { execution?: JobExecution; concurrency?: number; batchSize?: number; createdBy?: string } = {},
) {
  await store.jobs.create(
    {
      id,
      team: TEAM,
      template: 't',
      templateVersion: '1',
      scriptSha256: 'x',
      parameters: {},
      targets: { hosts: HOSTS },
      execution: options.execution ?? execution(),
      concurrency: options.concurrency ?? 10,
      batchSize: options.batchSize ?? null,
      stopAfterFailures: null,
      createdBy: options.createdBy ?? 'otto',
      schedule: null,
      rerunOf: null,
      createdAt: new Date(clock.now()).toISOString(),
    },
    HOSTS.map((target) => ({ target, kind: 'host' })),
    { actor: 'otto', source: 'test', action: 'run', kind: 'JobRun', team: TEAM, name: id },
  );
}

async function states(id: string) {
  return (await store.jobs.targets(id)).map((t) => `${t.target}:${t.state}:${t.attempt}`);
}

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
  clock = new ManualClock();
  port = new MemoryAgentPort(() => clock.now());
  recorder = new MemoryEventRecorder();
  starts = new Map(HOSTS.map((host) => [host, []]));
  ran = new Map(HOSTS.map((host) => [host, []]));
});
afterEach(async () => {
  for (const made of controllers.splice(0)) await made.stop();
  await store.close();
});

describe('JobRunController', () => {
  it('dispatches on the lease holder only; the other server applies reports but sends nothing', async () => {
    for (const host of HOSTS) agent(host);
    await createRun('r1');
    const a = controller('server-a');
    const b = controller('server-b');
    expect(await b.tick()).toEqual({ leading: true, runs: [expect.objectContaining({ runId: 'r1' })] });
    expect(await a.tick()).toEqual({ leading: false });
    a.listen(); // A listens for reports (and, not leading, dispatches nothing)
    await port.settled();
    await b.tick();
    expect(await states('r1')).toEqual(HOSTS.map((h) => `${h}:succeeded:1`));
    expect((await store.jobs.get('r1'))!.state).toBe('Succeeded');
    for (const host of HOSTS) expect(starts.get(host)).toHaveLength(1);
    expect(recorder.reasons()).toEqual(['JobRunSucceeded']);
  });

  it('a dispatch recorded but never sent (the server died in between) is sent by the next leader, under the same attempt, once', async () => {
    for (const host of HOSTS) agent(host);
    await createRun('r1');
    // Server A records every dispatch, then dies before its messages leave (they are dropped).
    const dying: AgentPort = {
      ...port,
      connected: (t, h) => port.connected(t, h),
      send: () => Promise.resolve(true),
      sendMany: (_team, messages) => Promise.resolve(messages.map(() => true)),
      onMessage: () => () => undefined,
      onReports: () => () => undefined,
      silentSince: (t, h) => port.silentSince(t, h),
    };
    const a = controller('server-a', dying);
    await a.tick();
    expect(await states('r1')).toEqual(HOSTS.map((h) => `${h}:dispatched:1`));
    // Server B waits for A's lease to expire, then re-sends what A recorded.
    const b = controller('server-b');
    b.listen();
    await b.tick();
    expect(await states('r1')).toEqual(HOSTS.map((h) => `${h}:dispatched:1`));
    clock.advance(DEFAULT_RUN_CONTROLLER_OPTIONS.leaseDurationMs + 1);
    await b.tick();
    await port.settled();
    await b.tick();
    expect(await states('r1')).toEqual(HOSTS.map((h) => `${h}:succeeded:1`));
    for (const host of HOSTS) expect(starts.get(host)!.map((m) => m.attempt)).toEqual([1]);
  });

  it('a leader that lost the lease and took it back between two ticks forgets what it sent in its earlier term (ADR 0028)', async () => {
    for (const host of HOSTS) agent(host);
    await createRun('r1');
    // Messages are lost while `dropping` (a network cut): both servers believe they sent them.
    let dropping = true;
    const lossy: AgentPort = {
      ...port,
      connected: (t, h) => port.connected(t, h),
      send: (...args) => (dropping ? Promise.resolve(true) : port.send(...args)),
      sendMany: (team, messages) =>
        dropping ? Promise.resolve(messages.map(() => true)) : port.sendMany(team, messages),
      onMessage: (...args) => port.onMessage(...args),
      onReports: (...args) => port.onReports(...args),
      silentSince: (t, h) => port.silentSince(t, h),
    };
    const a = controller('server-a', lossy);
    const b = controller('server-b', lossy);
    await a.tick();
    expect(await states('r1')).toEqual(HOSTS.map((h) => `${h}:dispatched:1`));
    // A is paused past its lease; B leads a while (its sends are lost too), then is paused in turn.
    clock.advance(DEFAULT_RUN_CONTROLLER_OPTIONS.leaseDurationMs + 1);
    expect(await b.tick()).toMatchObject({ leading: true });
    clock.advance(DEFAULT_RUN_CONTROLLER_OPTIONS.leaseDurationMs + 1);
    // A resumes and takes the lease back at its very next tick: a new term, though it never saw itself not
    // leading. It sends again what it had sent in its earlier term, and the run completes.
    dropping = false;
    a.listen();
    expect(await a.tick()).toMatchObject({ leading: true });
    await port.settled();
    await a.tick();
    expect(await states('r1')).toEqual(HOSTS.map((h) => `${h}:succeeded:1`));
  });

  it('a leader paused mid-reconcile and resumed after another took the lease writes and sends nothing (ADR 0028)', async () => {
    for (const host of HOSTS) agent(host);
    await createRun('r1', { execution: execution({ secrets: [{ secret: 's', key: 'k', env: 'E' }] }) });
    // A is held inside its reconcile, before it records the dispatches (revealing the run's secret).
    let resume!: () => void;
    const held = new Promise<void>((resolve) => (resume = resolve));
    let revealing!: () => void;
    const revealed = new Promise<void>((resolve) => (revealing = resolve));
    const refused: string[] = [];
    const warnings: string[] = [];
    const a = new JobRunController(
      {
        jobs: store.jobs,
        port,
        secrets: {
          reveal: async () => {
            revealing();
            await held;
            return { k: 'v' };
          },
        },
        recorder,
        leases: store.leases,
        clock,
        metrics: { fencedWrites: { inc: ({ controller }) => refused.push(controller) } },
        logger: { warn: (_object, message) => warnings.push(message) },
      },
      { ...DEFAULT_RUN_CONTROLLER_OPTIONS, holder: 'server-a', lostAfterMs: 30_000, resultGraceMs: 5_000 },
    );
    controllers.push(a);
    const ticking = a.tick();
    await revealed;
    // A's lease runs out while it is paused and B takes it: a new term.
    const before = (await store.leases.get('controller/jobs'))!.transitions;
    clock.advance(DEFAULT_RUN_CONTROLLER_OPTIONS.leaseDurationMs + 1);
    expect(
      await store.leases.tryAcquire(
        'controller/jobs',
        'server-b',
        DEFAULT_RUN_CONTROLLER_OPTIONS.leaseDurationMs,
        clock.now(),
      ),
    ).toBe(true);
    expect((await store.leases.get('controller/jobs'))!.transitions).toBe(before + 1);
    resume();
    // A's dispatch records are refused, so nothing is recorded and nothing reaches an agent.
    expect(await ticking).toEqual({ leading: false });
    await port.settled();
    expect(await states('r1')).toEqual(HOSTS.map((h) => `${h}:queued:0`));
    for (const host of HOSTS) expect(starts.get(host)).toEqual([]);
    expect(refused).toEqual(['jobs']);
    expect(warnings.filter((message) => message.includes('refused'))).toHaveLength(1);
    // B, the holder now, dispatches every target once.
    const b = controller('server-b');
    b.listen();
    await b.tick();
    await port.settled();
    await b.tick();
    expect(await states('r1')).toEqual(HOSTS.map((h) => `${h}:succeeded:1`));
    for (const host of HOSTS) expect(starts.get(host)!.map((m) => m.attempt)).toEqual([1]);
    // A is no longer leading: its next tick does nothing.
    expect(await a.tick()).toEqual({ leading: false });
  });

  it('a start that did reach the agent before the server died is de-duplicated by the agent', async () => {
    for (const host of HOSTS) agent(host, () => undefined); // they run, and have not finished yet
    await createRun('r1');
    const a = controller('server-a');
    await a.tick();
    await port.settled();
    // A died before the agents' acceptances reached it; B takes over and sends the starts again.
    const b = controller('server-b');
    clock.advance(DEFAULT_RUN_CONTROLLER_OPTIONS.leaseDurationMs + 1);
    await b.tick();
    b.listen();
    await port.settled();
    for (const host of HOSTS) {
      expect(starts.get(host)!.map((m) => m.attempt)).toEqual([1, 1]);
      expect(ran.get(host)).toEqual([1]);
    }
    expect(await states('r1')).toEqual(HOSTS.map((h) => `${h}:running:1`));
  });

  it('keeps a run’s targets queued while the fleet gate is closed for jobs, and dispatches them when it opens', async () => {
    for (const host of HOSTS) agent(host);
    const opens = clock.now() + 3_600_000;
    const asked: string[] = [];
    const gate: FleetChangeGate = {
      check: async (team, actuator, at) => {
        asked.push(`${team}/${actuator}`);
        return at < opens
          ? {
              open: false,
              reason: 'WindowClosed',
              message: 'jobs frozen by ChangeWindow holidays',
              until: opens,
            }
          : { open: true };
      },
    };
    await createRun('r1');
    await createRun('r2', { createdBy: 'change/patch#0123456789abcdef' });
    const leader = controller('server-a', port, gate);
    const outcome = await leader.tick();
    expect(outcome).toMatchObject({
      runs: [
        {
          runId: 'r1',
          stages: [{}, {}, { dispatched: 0, held: { reason: 'WindowClosed', until: opens } }, {}],
        },
        // A Change's run is not asked: the change checked its own windows.
        { runId: 'r2', stages: [{}, {}, { dispatched: 5 }, {}] },
      ],
    });
    expect(asked).toEqual(['ops/jobs']);
    const held = await store.jobs.targets('r1');
    expect(held.map((t) => [t.state, t.reason, t.message])).toEqual(
      HOSTS.map(() => [
        'queued',
        'WindowClosed',
        'queued until 2026-01-01T01:00:00.000Z: jobs frozen by ChangeWindow holidays',
      ]),
    );
    expect((await store.jobs.get('r1', { withCounts: false }))?.reason).toBe('WindowClosed');

    clock.advance(3_600_000);
    await leader.tick();
    expect(await states('r1')).toEqual(HOSTS.map((host) => `${host}:dispatched:1`));
    expect((await store.jobs.get('r1', { withCounts: false }))?.reason).toBe('Dispatching');
  });

  it('retries a failed attempt up to the template’s retries', async () => {
    agent('h1', (attempt) => (attempt < 3 ? 1 : 0));
    agent('h2', () => 2);
    for (const host of HOSTS.slice(2)) agent(host);
    await createRun('r1', { execution: execution({ retries: 2 }) });
    const c = controller('server-a');
    c.listen();
    for (let i = 0; i < 6; i++) {
      await port.settled();
      await c.tick();
    }
    const targets = await store.jobs.targets('r1');
    expect(targets.map((t) => `${t.target}:${t.state}:${t.attempt}:${t.exitCode}`)).toEqual([
      'h1:succeeded:3:0',
      'h2:failed:3:2',
      'h3:succeeded:1:0',
      'h4:succeeded:1:0',
      'h5:succeeded:1:0',
    ]);
    const output = await store.jobs.output('r1', { after: 0, target: 'h1', limit: 10 });
    expect(output.map((c) => c.data)).toEqual(['attempt 1\n', 'attempt 2\n', 'attempt 3\n']);
  });

  it('marks a target lost when its agent is gone past the timeout, and timed out when a connected agent stays silent', async () => {
    const gone = agent('h1', () => undefined);
    agent('h2', () => undefined);
    for (const host of HOSTS.slice(2)) agent(host);
    await createRun('r1', { execution: execution({ timeoutSeconds: 40 }) });
    const c = controller('server-a');
    c.listen();
    await c.tick();
    await port.settled();
    gone.disconnect();
    await c.tick();
    clock.advance(29_000);
    await c.tick();
    expect((await store.jobs.target('r1', 'h1'))!.state).toBe('running');
    clock.advance(1_000);
    await c.tick();
    expect(await store.jobs.target('r1', 'h1')).toMatchObject({ state: 'lost', reason: 'AgentGone' });
    expect((await store.jobs.target('r1', 'h2'))!.state).toBe('running');
    // h2's job has a 40 s timeout and 5 s of grace.
    clock.advance(14_000);
    await c.tick();
    expect((await store.jobs.target('r1', 'h2'))!.state).toBe('running');
    clock.advance(1_001);
    await c.tick();
    expect(await store.jobs.target('r1', 'h2')).toMatchObject({ state: 'timed-out', reason: 'NoResult' });
    expect((await store.jobs.get('r1'))!).toMatchObject({ state: 'Failed', reason: 'TargetsFailed' });
    expect(recorder.reasons()).toContain('JobTargetLost');
  });

  it('carries the lost timer over a leader change: a target is lost the timeout after its agent fell silent, not twice that', async () => {
    const gone = agent('h1', () => undefined);
    for (const host of HOSTS.slice(1)) agent(host, () => undefined);
    await createRun('r1');
    const a = controller('server-a');
    a.listen();
    await a.tick();
    await port.settled();
    gone.disconnect(); // at t0; the transport keeps when (the hub: the last stored heartbeat)
    const t0 = clock.now();
    clock.advance(5_000);
    await a.tick(); // A sees h1 gone
    clock.advance(20_000);
    await a.tick();
    expect((await store.jobs.target('r1', 'h1'))!.state).toBe('running');
    // A dies 25 s into the 30 s timer (it ticks no more, its lease is not released); B takes over once
    // the lease has expired.
    const b = controller('server-b');
    b.listen();
    expect(await b.tick()).toEqual({ leading: false });
    clock.advance(DEFAULT_RUN_CONTROLLER_OPTIONS.leaseDurationMs + 1);
    const first = await b.tick();
    expect(first.leading).toBe(true);
    // t0 + 40 s: past the 30 s since h1 fell silent, so B's first tick declares it lost. Starting the timer
    // again at B's first sight of it, as before, would have waited until t0 + 70 s.
    expect(await store.jobs.target('r1', 'h1')).toMatchObject({ state: 'lost', reason: 'AgentGone' });
    expect((await store.jobs.target('r1', 'h1'))!.message).toBe(
      `the agent was away for ${Math.round((clock.now() - t0) / 1000)}s`,
    );
    expect(await store.jobs.target('r1', 'h2')).toMatchObject({ state: 'running' });
  });

  it('does not start the lost timer of a target before it was dispatched, nor before its agent fell silent', async () => {
    const gone = agent('h1', () => undefined);
    for (const host of HOSTS.slice(1)) agent(host, () => undefined);
    gone.disconnect(); // long before the run
    clock.advance(600_000);
    await createRun('r1');
    const c = controller('server-a');
    await c.tick(); // dispatched now; h1's start waits for it
    clock.advance(29_000);
    await c.tick();
    expect((await store.jobs.target('r1', 'h1'))!.state).toBe('dispatched');
    clock.advance(1_000);
    await c.tick();
    expect(await store.jobs.target('r1', 'h1')).toMatchObject({ state: 'lost', reason: 'AgentGone' });
  });

  it("records the server's times, not a host's clock that is off", async () => {
    const link = port.connect(TEAM, 'h1', {
      [JOBS_CHANNEL]: (body) => {
        const message = body as JobServerMessage;
        if (message.type !== 'start') return;
        const ids = { runId: message.runId, target: message.target, attempt: message.attempt };
        const skewed = '1999-01-01T00:00:00.000Z';
        link.report(JOBS_CHANNEL, { type: 'accepted', ...ids, at: skewed, duplicate: false });
        link.report(JOBS_CHANNEL, {
          type: 'finished',
          ...ids,
          reason: 'Exited',
          exitCode: 0,
          signal: null,
          message: '',
          outputBytes: 0,
          truncated: false,
          lastSeq: 0,
          at: skewed,
        });
      },
    });
    for (const host of HOSTS.slice(1)) agent(host);
    await createRun('r1');
    const c = controller('server-a');
    c.listen();
    await c.tick();
    await port.settled();
    const h1 = (await store.jobs.target('r1', 'h1'))!;
    expect(h1).toMatchObject({
      state: 'succeeded',
      startedAt: new Date(clock.now()).toISOString(),
      finishedAt: new Date(clock.now()).toISOString(),
    });
  });

  it('ignores reports from an agent about another host, malformed ones, and duplicates', async () => {
    for (const host of HOSTS) agent(host, () => undefined);
    await createRun('r1');
    const c = controller('server-a');
    await c.tick();
    c.listen();
    await port.settled();
    const finished = {
      type: 'finished',
      runId: 'r1',
      target: 'h1',
      attempt: 1,
      reason: 'Exited',
      exitCode: 0,
      signal: null,
      message: '',
      outputBytes: 0,
      truncated: false,
      lastSeq: 0,
      at: new Date(clock.now()).toISOString(),
    };
    expect(await c.report({ team: TEAM, host: 'h2' }, finished)).toEqual({
      handled: 'ignored',
      why: 'WrongSender',
    });
    expect(await c.report({ team: TEAM, host: 'h1' }, { ...finished, exitCode: 'zero' })).toEqual({
      handled: 'ignored',
      why: 'Malformed',
    });
    expect(await c.report({ team: TEAM, host: 'h1' }, finished)).toMatchObject({ handled: 'finished' });
    expect(await c.report({ team: TEAM, host: 'h1' }, finished)).toEqual({
      handled: 'ignored',
      why: 'Stale',
    });
    expect(await c.report({ team: TEAM, host: 'h1' }, { ...finished, attempt: 2 })).toEqual({
      handled: 'ignored',
      why: 'Stale',
    });
  });
});
