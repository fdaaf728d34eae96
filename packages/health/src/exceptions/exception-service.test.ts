import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryEventRecorder } from '@gantry/controllers';
import { ErrorCodes, GantryError } from '@gantry/model';
import { FencedWriteRefused, Store } from '@gantry/store';
import { ExceptionService } from './exception-service.ts';
import { ExceptionActors, ExceptionEventReasons } from './reasons.ts';
import { ManualClock, MemoryPolicySource, alert, callerWith, group } from './testing.ts';

const MIN = 60_000;
const operator = callerWith('olga', { ops: 'operator' });
const viewer = callerWith('vic', { ops: 'viewer' });

let store: Store;
let clock: ManualClock;
let recorder: MemoryEventRecorder;
let policies: MemoryPolicySource;
let service: ExceptionService;
let ids = 0;

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

async function expectState(promise: Promise<unknown>, code: string = ErrorCodes.exceptionState) {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(GantryError);
  expect((error as GantryError).code).toBe(code);
  return error as GantryError;
}

describe('the lifecycle by hand', () => {
  it('goes open → acknowledged → mitigated → resolved, each on the timeline with actor and reason', async () => {
    const created = await service.create(operator, 'ops', {
      title: 'checkout slow',
      severity: 'major',
      entities: [{ kind: 'Application', name: 'checkout' }],
    });
    expect(created).toMatchObject({ id: 'ex-1', state: 'open', origin: 'manual', createdBy: 'olga' });
    clock.advance(MIN);
    const acked = await service.acknowledge(operator, 'ops', 'ex-1', 'looking');
    expect(acked.acknowledgedAt).toBe(new Date(clock.now()).toISOString());
    clock.advance(MIN);
    await service.assign(operator, 'ops', 'ex-1', 'bob');
    await service.comment(operator, 'ops', 'ex-1', 'rolled back revision 7');
    await service.mitigate(operator, 'ops', 'ex-1', 'rolled back');
    clock.advance(MIN);
    const done = await service.resolve(operator, 'ops', 'ex-1', 'fixed');
    expect(done).toMatchObject({ state: 'resolved', assignee: 'bob' });
    expect(done.resolvedAt).toBe(new Date(clock.now()).toISOString());

    const timeline = await service.timeline(viewer, 'ops', 'ex-1');
    expect(timeline.entries.map((e) => [e.type, e.actor, e.fromState, e.toState, e.reason])).toEqual([
      ['opened', 'olga', undefined, 'open', undefined],
      ['state-changed', 'olga', 'open', 'acknowledged', 'looking'],
      ['assigned', 'olga', undefined, undefined, undefined],
      ['comment', 'olga', undefined, undefined, undefined],
      ['state-changed', 'olga', 'acknowledged', 'mitigated', 'rolled back'],
      ['state-changed', 'olga', 'mitigated', 'resolved', 'fixed'],
    ]);
    expect(recorder.reasons()).toEqual([
      ExceptionEventReasons.opened,
      ExceptionEventReasons.acknowledged,
      ExceptionEventReasons.assigned,
      ExceptionEventReasons.mitigated,
      ExceptionEventReasons.resolved,
    ]);
    expect(recorder.events[0]!.regarding).toEqual({ kind: 'Exception', name: 'ex-1', team: 'ops' });
    const audit = await store.audit.query({ kind: 'Exception', name: 'ex-1', limit: 20 });
    expect(audit.entries.map((e) => [e.action, e.actor]).reverse()).toEqual([
      ['create', 'olga'],
      ['acknowledge', 'olga'],
      ['assign', 'olga'],
      ['comment', 'olga'],
      ['mitigate', 'olga'],
      ['resolve', 'olga'],
    ]);
    expect(audit.entries[0]).toMatchObject({ before: { state: 'mitigated' }, after: { state: 'resolved' } });
    const episodes = await store.exceptions.episodes('ex-1');
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ acknowledgedAt: acked.acknowledgedAt, resolvedAt: done.resolvedAt });
  });

  it('refuses illegal transitions with GANTRY_E_EXCEPTION_STATE and changes nothing', async () => {
    await service.create(operator, 'ops', { title: 't', severity: 'minor', entities: [] });
    await expectState(service.reopen(operator, 'ops', 'ex-1'));
    await service.resolve(operator, 'ops', 'ex-1');
    const error = await expectState(service.acknowledge(operator, 'ops', 'ex-1'));
    expect(error.status).toBe(409);
    await expectState(service.resolve(operator, 'ops', 'ex-1'));
    await expectState(service.mitigate(operator, 'ops', 'ex-1'));
    const timeline = await service.timeline(viewer, 'ops', 'ex-1');
    expect(timeline.entries.map((e) => e.toState)).toEqual(['open', 'resolved']);
  });

  it('lets viewers read but not act, and hides other teams', async () => {
    await service.create(operator, 'ops', { title: 't', severity: 'minor', entities: [] });
    await expectState(service.acknowledge(viewer, 'ops', 'ex-1'), ErrorCodes.forbidden);
    await expectState(
      service.show(callerWith('eve', { other: 'team-admin' }), 'ops', 'ex-1'),
      ErrorCodes.forbidden,
    );
    await expectState(service.show(viewer, 'ops', 'nope'), ErrorCodes.notFound);
    expect((await service.list(viewer, 'ops', {})).items).toHaveLength(1);
  });

  it('keeps the failure review: impact, root cause and follow-ups, null clears', async () => {
    await service.create(operator, 'ops', { title: 't', severity: 'critical', entities: [] });
    await service.review(operator, 'ops', 'ex-1', {
      impact: '20% of checkouts failed',
      rootCause: 'a bad config',
      followUps: [{ title: 'add a canary', owner: 'bob', done: false }],
    });
    const cleared = await service.review(operator, 'ops', 'ex-1', { rootCause: null });
    expect(cleared).toMatchObject({
      impact: '20% of checkouts failed',
      followUps: [{ title: 'add a canary' }],
    });
    expect(cleared.rootCause).toBeUndefined();
  });
});

describe('correlation through the ExceptionPort', () => {
  it('opens once, joins, and the same call twice changes nothing', async () => {
    const first = await service.correlate(
      group([alert('a', 'firing'), alert('b', 'firing')]),
      new Date(clock.now()),
    );
    expect(first).toEqual({ exceptionId: 'ex-1', outcome: 'opened' });
    const again = await service.correlate(
      group([alert('a', 'firing'), alert('b', 'firing')]),
      new Date(clock.now()),
    );
    expect(again).toEqual({ exceptionId: 'ex-1', outcome: 'unchanged' });
    clock.advance(MIN);
    const joined = await service.correlate(
      group([alert('c', 'firing')], { severity: 'critical' }),
      new Date(clock.now()),
    );
    expect(joined).toEqual({ exceptionId: 'ex-1', outcome: 'joined' });
    const record = await service.show(viewer, 'ops', 'ex-1');
    expect(record).toMatchObject({
      origin: 'correlation',
      correlationKey: 'topology/rack=r1',
      correlationReason: { rule: 'topology', ruleKind: 'Topology', shared: { rack: 'r1' } },
      severity: 'critical',
      alertCount: 3,
      firingAlertCount: 3,
      createdBy: ExceptionActors.correlation,
    });
    const resolvedOne = await service.correlate(group([alert('a', 'resolved')]), new Date(clock.now()));
    expect(resolvedOne.outcome).toBe('joined');
    expect((await service.show(viewer, 'ops', 'ex-1')).firingAlertCount).toBe(2);
    const types = (await service.timeline(viewer, 'ops', 'ex-1')).entries.map((e) => e.type);
    expect(types).toEqual([
      'opened',
      'alert-joined',
      'alert-joined',
      'alert-joined',
      'severity-changed',
      'alert-resolved',
    ]);
  });

  it('never opens an exception for resolved alerts', async () => {
    const outcome = await service.correlate(group([alert('a', 'resolved')]), new Date(clock.now()));
    expect(outcome).toEqual({ exceptionId: '', outcome: 'unchanged' });
    expect((await service.list(viewer, 'ops', {})).items).toHaveLength(0);
  });

  it('reopens within the reopen window (a second episode), opens anew after it, never absorbs into resolved', async () => {
    await service.correlate(group([alert('a', 'firing')]), new Date(clock.now()));
    clock.advance(5 * MIN);
    await service.groupResolved('ops', 'topology/rack=r1', new Date(clock.now()));
    expect((await service.show(viewer, 'ops', 'ex-1')).state).toBe('resolved');
    // A resolve arriving late joins nothing and opens nothing.
    expect(await service.correlate(group([alert('z', 'resolved')]), new Date(clock.now()))).toEqual({
      exceptionId: 'ex-1',
      outcome: 'unchanged',
    });
    clock.advance(30 * MIN); // exactly the default window: still the same thing returning
    const back = await service.correlate(group([alert('a', 'firing')]), new Date(clock.now()));
    expect(back).toEqual({ exceptionId: 'ex-1', outcome: 'reopened' });
    const reopened = await service.show(viewer, 'ops', 'ex-1');
    expect(reopened).toMatchObject({ state: 'open', reopenCount: 1, firingAlertCount: 1 });
    expect(reopened.episodeOpenedAt).toBe(new Date(clock.now()).toISOString());
    expect(reopened.resolvedAt).toBeUndefined();
    const episodes = await store.exceptions.episodes('ex-1');
    expect(episodes.map((e) => [e.ordinal, e.resolvedAt !== undefined])).toEqual([
      [1, true],
      [2, false],
    ]);

    await service.groupResolved('ops', 'topology/rack=r1', new Date(clock.now()));
    clock.advance(30 * MIN + 1); // just past the window: a new exception
    const fresh = await service.correlate(group([alert('a', 'firing')]), new Date(clock.now()));
    expect(fresh).toEqual({ exceptionId: 'ex-2', outcome: 'opened' });
    expect((await service.show(viewer, 'ops', 'ex-1')).state).toBe('resolved');
  });

  it('takes the reopen window from the HealthPolicy of the application, then the team', async () => {
    policies.byTeam.set('ops', [
      {
        name: 'team',
        spec: {
          selector: {},
          failureThresholds: { P4: '10m', P3: '30m', P2: '60m', P1: '150m', P0: '360m' },
          reopenWindow: '5m',
        },
      },
      {
        name: 'checkout',
        spec: {
          selector: { application: 'checkout' },
          failureThresholds: { P4: '10m', P3: '30m', P2: '60m', P1: '150m', P0: '360m' },
          reopenWindow: '2h',
        },
      },
    ]);
    const app = { entities: [{ kind: 'Application' as const, name: 'checkout' }], key: 'app/checkout' };
    await service.correlate(group([alert('a', 'firing')], app), new Date(clock.now()));
    await service.correlate(group([alert('b', 'firing')]), new Date(clock.now()));
    await service.groupResolved('ops', 'app/checkout', new Date(clock.now()));
    await service.groupResolved('ops', 'topology/rack=r1', new Date(clock.now()));
    clock.advance(60 * MIN);
    expect((await service.correlate(group([alert('a', 'firing')], app), new Date(clock.now()))).outcome).toBe(
      'reopened',
    );
    expect((await service.correlate(group([alert('b', 'firing')]), new Date(clock.now()))).outcome).toBe(
      'opened',
    );
  });

  it('records notifications and escalation steps on the timeline', async () => {
    await service.correlate(group([alert('a', 'firing')]), new Date(clock.now()));
    await service.recordActivity('ops', 'ex-1', {
      type: 'escalation',
      at: new Date(clock.now() + MIN),
      message: 'step 2: paged the SRE lead',
      details: { step: 2 },
    });
    const last = (await service.timeline(viewer, 'ops', 'ex-1')).entries.at(-1)!;
    expect(last).toMatchObject({
      type: 'escalation',
      actor: ExceptionActors.escalation,
      details: { step: 2 },
    });
  });

  it('serves escalation: views with changedAt, oldest change first, the current episode as openedAt', async () => {
    await service.correlate(group([alert('a', 'firing')]), new Date(clock.now()));
    const since = new Date(clock.now());
    clock.advance(MIN);
    await service.acknowledge(operator, 'ops', 'ex-1');
    const changed = await service.changedSince(since, 10);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({
      id: 'ex-1',
      state: 'acknowledged',
      changedAt: new Date(clock.now()).toISOString(),
    });
    expect(await service.changedSince(new Date(clock.now()), 10)).toEqual([]);
    expect(await service.get('ops', 'ex-1')).toMatchObject({ correlationKey: 'topology/rack=r1' });
    expect(await service.get('ops', 'nope')).toBeUndefined();
  });
});

describe('merge', () => {
  it('moves B’s alerts and timeline to A, B becomes merged, later alerts of B’s key join A', async () => {
    await service.correlate(group([alert('a', 'firing')]), new Date(clock.now()));
    await service.correlate(
      group([alert('b', 'firing'), alert('a', 'firing')], {
        key: 'topology/rack=r2',
        entities: [{ kind: 'Cluster', name: 'west' }],
      }),
      new Date(clock.now()),
    );
    clock.advance(MIN);
    const survivor = await service.merge(operator, 'ops', 'ex-1', 'ex-2', 'same switch');
    expect(survivor).toMatchObject({ alertCount: 2, firingAlertCount: 2 });
    expect(survivor.entities.map((e) => e.name)).toEqual(['east', 'west']);
    const merged = await service.show(viewer, 'ops', 'ex-2');
    expect(merged).toMatchObject({ state: 'merged', mergedInto: 'ex-1', alertCount: 0 });
    const timeline = await service.timeline(viewer, 'ops', 'ex-1');
    expect(timeline.entries.filter((e) => e.exception === 'ex-2').map((e) => e.type)).toEqual([
      'opened',
      'alert-joined',
      'alert-joined',
    ]);
    expect((await service.timeline(viewer, 'ops', 'ex-2')).entries.map((e) => e.type)).toEqual(['merged']);
    expect((await store.exceptions.episodes('ex-2'))[0]!.mergedInto).toBe('ex-1');

    const later = await service.correlate(
      group([alert('c', 'firing')], { key: 'topology/rack=r2' }),
      new Date(clock.now()),
    );
    expect(later).toEqual({ exceptionId: 'ex-1', outcome: 'joined' });
    await expectState(service.acknowledge(operator, 'ops', 'ex-2'));
    await expectState(service.merge(operator, 'ops', 'ex-1', 'ex-2'));
    await expectState(service.merge(operator, 'ops', 'ex-1', 'ex-1'));
  });
});

describe('the timeline view', () => {
  it('merges the events on the exception’s entities from 30 minutes before opening, and no others', async () => {
    const at = (offsetMin: number) => new Date(clock.now() + offsetMin * MIN).toISOString();
    const base = {
      source: 'gantry' as const,
      team: 'ops',
      cluster: '',
      namespace: '',
      actor: 'olga',
      count: 1,
      type: 'Normal',
    };
    await store.events.upsert([
      {
        ...base,
        externalId: '1',
        objectKind: 'Application',
        objectName: 'checkout',
        reason: 'RevisionCreated',
        message: 'v7',
        firstSeen: at(-10),
        lastSeen: at(-10),
      },
      {
        ...base,
        externalId: '2',
        objectKind: 'Application',
        objectName: 'checkout',
        reason: 'RevisionCreated',
        message: 'v6',
        firstSeen: at(-40),
        lastSeen: at(-40),
      },
      {
        ...base,
        externalId: '3',
        objectKind: 'Application',
        objectName: 'billing',
        reason: 'RevisionCreated',
        message: 'v2',
        firstSeen: at(-5),
        lastSeen: at(-5),
      },
      {
        ...base,
        externalId: '4',
        objectKind: 'Node',
        objectName: 'w-1',
        cluster: 'ops/east',
        reason: 'NodeCordoned',
        message: 'cordoned',
        firstSeen: at(-3),
        lastSeen: at(-3),
      },
    ]);
    await service.create(operator, 'ops', {
      title: 'checkout down',
      severity: 'critical',
      entities: [
        { kind: 'Application', name: 'checkout' },
        { kind: 'Node', name: 'w-1', cluster: 'east' },
      ],
    });
    const timeline = await service.timeline(viewer, 'ops', 'ex-1');
    expect(
      timeline.entries.map((e) => (e.type === 'event' ? e.event!.reason + ':' + e.event!.message : e.type)),
    ).toEqual(['RevisionCreated:v7', 'NodeCordoned:cordoned', 'opened']);
    expect(timeline.from).toBe(at(-30));
  });
});

describe('one exception at a time per correlation key', () => {
  it('refuses to reopen an old one beside the one going on, and correlation finds a reopened old one', async () => {
    await service.correlate(group([alert('a', 'firing')]), new Date(clock.now()));
    await service.groupResolved('ops', 'topology/rack=r1', new Date(clock.now()));
    clock.advance(31 * MIN);
    expect((await service.correlate(group([alert('a', 'firing')]), new Date(clock.now()))).exceptionId).toBe(
      'ex-2',
    );
    const refused = await expectState(service.reopen(operator, 'ops', 'ex-1'));
    expect(refused.message).toContain('ex-2');
    await service.resolve(operator, 'ops', 'ex-2');
    await service.reopen(operator, 'ops', 'ex-1', 'it was the first one all along');
    expect(await service.correlate(group([alert('b', 'firing')]), new Date(clock.now()))).toEqual({
      exceptionId: 'ex-1',
      outcome: 'joined',
    });
    await service.groupResolved('ops', 'topology/rack=r1', new Date(clock.now()));
    expect((await service.show(viewer, 'ops', 'ex-1')).state).toBe('resolved');
    expect((await service.show(viewer, 'ops', 'ex-2')).state).toBe('resolved');
  });
});

describe('list queries', () => {
  it('filters by state, severity, assignee, entity and time, and pages with a continue token', async () => {
    for (const [title, severity] of [
      ['a', 'minor'],
      ['b', 'critical'],
      ['c', 'critical'],
    ] as const) {
      await service.create(operator, 'ops', {
        title,
        severity,
        entities: [{ kind: 'Node', name: `w-${title}`, cluster: 'east' }],
      });
      clock.advance(MIN);
    }
    await service.resolve(operator, 'ops', 'ex-1');
    await service.assign(operator, 'ops', 'ex-3', 'bob');
    const titles = async (query: Parameters<ExceptionService['list']>[2]) =>
      (await service.list(viewer, 'ops', query)).items.map((item) => item.title);
    expect(await titles({ state: 'active' })).toEqual(['c', 'b']);
    expect(await titles({ state: 'resolved,open' })).toEqual(['c', 'b', 'a']);
    expect(await titles({ severity: 'critical', assignee: 'bob' })).toEqual(['c']);
    expect(await titles({ entity: 'Node/w-b', cluster: 'east' })).toEqual(['b']);
    expect(await titles({ entity: 'Node/w-b', cluster: 'west' })).toEqual([]);
    expect(await titles({ until: '2026-06-01T10:00:30Z' })).toEqual(['a']);
    expect(await titles({ since: new Date(clock.now()).toISOString() })).toEqual(['c', 'b', 'a']);
    expect(await titles({ since: new Date(clock.now() + 1).toISOString() })).toEqual(['c', 'b']);
    const first = await service.list(viewer, 'ops', { limit: '2' });
    expect(first.items.map((item) => item.title)).toEqual(['c', 'b']);
    const rest = await service.list(viewer, 'ops', { limit: '2', continue: first.continue! });
    expect(rest.items.map((item) => item.title)).toEqual(['a']);
    expect(rest.continue).toBeUndefined();
    for (const bad of [{ state: 'sleeping' }, { entity: 'Rack/r1' }, { since: 'yesterday' }, { limit: '0' }])
      await expectState(service.list(viewer, 'ops', bad), ErrorCodes.invalid);
    await expectState(service.list(viewer, 'ops', { continue: 'garbage' }), ErrorCodes.badRequest);
  });
});

describe("correlation's writes in a term (ADR 0028)", () => {
  it('refuses a correlation held mid-write once another server took the lease: nothing changes', async () => {
    const LEASE = 'health-correlation';
    expect(await store.leases.tryAcquire(LEASE, 'x', 1000, clock.now())).toBe(true);
    const fence = { lease: LEASE, holder: 'x', transitions: (await store.leases.get(LEASE))!.transitions };
    const refusals: unknown[] = [];
    const term = { fence, refused: (error: FencedWriteRefused) => void refusals.push(error) };
    const opened = await service.correlate(group([alert('n1', 'firing')]), new Date(clock.now()), term);
    expect(opened.outcome).toBe('opened');

    // The leader is held reading the team's policies, just before its write transaction.
    let resume!: () => void;
    const held = new Promise<void>((resolve) => (resume = resolve));
    let reading = false;
    const paused = new ExceptionService(
      {
        repository: store.exceptions,
        policies: {
          policies: async (team) => {
            reading = true;
            await held;
            return policies.policies(team);
          },
        },
        recorder,
        clock,
        newId: () => `ex-${++ids}`,
      },
      { policyCacheMs: 0 },
    );
    const late = paused.correlate(
      group([alert('n1', 'firing'), alert('n2', 'firing')], { key: 'topology/rack=r2' }),
      new Date(clock.now()),
      term,
    );
    for (let i = 0; i < 100 && !reading; i++) await Promise.resolve();
    expect(reading).toBe(true);
    expect(await store.leases.tryAcquire(LEASE, 'y', 1000, clock.now() + 2000)).toBe(true);
    const eventsBefore = recorder.events.length;
    resume();
    await expect(late).rejects.toBeInstanceOf(FencedWriteRefused);
    await expect(
      service.groupResolved('ops', 'topology/rack=r1', new Date(clock.now()), term),
    ).rejects.toBeInstanceOf(FencedWriteRefused);
    const timeline = (await store.exceptions.timeline(opened.exceptionId, 100)).entries.length;
    await expect(
      service.recordActivity(
        'ops',
        opened.exceptionId,
        { type: 'escalation', at: new Date(clock.now()), message: 'late' },
        term,
      ),
    ).rejects.toBeInstanceOf(FencedWriteRefused);

    const records = (await store.exceptions.list({ teams: ['ops'], limit: 10 })).items;
    expect(records.map((r) => [r.id, r.state])).toEqual([[opened.exceptionId, 'open']]);
    expect((await store.exceptions.timeline(opened.exceptionId, 100)).entries.length).toBe(timeline);
    expect(recorder.events.length).toBe(eventsBefore);
    // Without a fence (the API, another server's term) the same calls write.
    await service.groupResolved('ops', 'topology/rack=r1', new Date(clock.now()));
    expect((await store.exceptions.get('ops', opened.exceptionId))?.state).toBe('resolved');
  });
});
