import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, NotificationService } from '@gantry/alerts';
import { MemoryEventRecorder } from '@gantry/controllers';
import type { EscalationPolicySpec, WebhookMessage } from '@gantry/model';
import { FencedWriteRefused, Store, type StoredNotification } from '@gantry/store';
import { MemoryExceptions } from '../correlation/memory-exceptions.ts';
import type { CorrelationGroup } from '../ports.ts';
import {
  createEscalator,
  type Escalator,
  type EscalatorDeps,
  type NotificationEnqueuer,
} from './escalator.ts';

const T0 = Date.parse('2026-12-03T06:00:00Z');
const MINUTE = 60_000;

const ONCALL: EscalationPolicySpec = {
  steps: [
    { delay: '0s', channels: ['chat'] },
    { delay: '10m', channels: ['pager'] },
    { delay: '20m', channels: ['pager', 'manager'] },
  ],
};

function group(key: string): CorrelationGroup {
  return {
    team: 'ops',
    key,
    reason: { rule: 'topology', ruleKind: 'Topology', shared: { domain: 'rack', rack: 'r1' } },
    title: 'Rack r1: NodeDown on 40 nodes',
    severity: 'critical',
    entities: [
      { kind: 'Cluster', name: 'c1' },
      { kind: 'Node', name: 'n1', cluster: 'c1' },
      { kind: 'Node', name: 'n2', cluster: 'c1' },
    ],
    alerts: [
      { fingerprint: 'a', labels: { alertname: 'NodeDown' }, state: 'firing', startsAt: '', endsAt: '' },
    ],
  };
}

describe('escalation', () => {
  let store: Store;
  let clock: ManualClock;
  let exceptions: MemoryExceptions;
  let notifications: NotificationService;
  let policies: Map<string, EscalationPolicySpec>;
  let escalator: Escalator;
  /** Enqueues that fail after writing (a server killed between the outbox write and the table's move). */
  let failAfterEnqueue: ((channel: string) => boolean) | undefined;
  let errors: unknown[];
  let events: MemoryEventRecorder;

  const build = (state: EscalatorDeps['state'] = store.correlation) => {
    const enqueuer: NotificationEnqueuer = {
      async enqueue(input, options) {
        const result = await notifications.enqueue(input, options);
        if (failAfterEnqueue?.(input.channel)) throw new Error('killed after the outbox write');
        return result;
      },
    };
    return createEscalator(
      {
        reader: exceptions,
        port: exceptions,
        notifications: enqueuer,
        state,
        policies: { get: (team, name) => Promise.resolve(team === 'ops' ? policies.get(name) : undefined) },
        clock,
        externalUrl: 'http://gantry.test',
        onError: (error) => errors.push(error),
        events,
      },
      { pollMs: 30_000 },
    );
  };
  const settle = () => escalator.idle();
  const outbox = async (): Promise<StoredNotification[]> =>
    (await store.notifications.query({ team: 'ops', limit: 1000 })).items.reverse();
  const sent = async () => (await outbox()).map((n) => `${n.channel}@${(n.dueAt - T0) / MINUTE}m`);

  beforeEach(async () => {
    store = await Store.open({ url: ':memory:' });
    clock = new ManualClock(T0);
    exceptions = new MemoryExceptions({ escalationPolicy: 'oncall' });
    policies = new Map([['oncall', ONCALL]]);
    notifications = new NotificationService({
      repository: store.notifications,
      channels: { get: () => Promise.resolve(undefined) },
      secrets: { resolve: () => Promise.reject(new Error('no secrets here')) },
      clock,
    });
    failAfterEnqueue = undefined;
    errors = [];
    events = new MemoryEventRecorder();
    escalator = build();
    await escalator.start();
  });
  afterEach(async () => {
    await escalator.stop();
    await store.close();
  });

  const open = async (key = 'topology/rack/r1') => {
    const answer = await exceptions.correlate(group(key), new Date(clock.now()));
    escalator.exceptionOpened('ops', answer.exceptionId, 'opened');
    await settle();
    return answer.exceptionId;
  };

  it('notifies step 0 at once, then each step when still unacknowledged after its delay', async () => {
    const id = await open();
    expect(await sent()).toEqual(['chat@0m']);
    const [first] = await outbox();
    const message = JSON.parse(first!.message) as WebhookMessage;
    expect(message).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'chat',
      groupKey: `health/ops/${id}`,
      commonLabels: {
        alertname: 'GantryException',
        exception: id,
        team: 'ops',
        severity: 'critical',
        cluster: 'c1',
      },
      commonAnnotations: { title: 'Rack r1: NodeDown on 40 nodes', escalation: 'step 1' },
    });
    expect(message.alerts[0]!.annotations['entities']).toBe('Cluster c1, Node c1/n1, Node c1/n2');

    await clock.advanceTo(T0 + 10 * MINUTE - 1, settle);
    expect(await sent()).toEqual(['chat@0m']);
    await clock.advanceTo(T0 + 10 * MINUTE, settle);
    expect(await sent()).toEqual(['chat@0m', 'pager@10m']);
    await clock.advanceTo(T0 + 30 * MINUTE, settle);
    expect(await sent()).toEqual(['chat@0m', 'pager@10m', 'pager@30m', 'manager@30m']);
    await clock.advanceTo(T0 + 5 * 60 * MINUTE, settle);
    expect(await outbox()).toHaveLength(4);

    const timeline = exceptions.exceptions[0]!.timeline;
    expect(timeline.map((a) => [a.type, a.message, a.at.getTime() - T0])).toEqual([
      ['notification', 'notified chat', 0],
      ['escalation', 'escalated (step 2) to pager', 10 * MINUTE],
      ['escalation', 'escalated (step 3) to pager, manager', 30 * MINUTE],
    ]);
  });

  it('stops when the exception is acknowledged', async () => {
    const id = await open();
    await clock.advanceTo(T0 + 5 * MINUTE, settle);
    exceptions.acknowledge('ops', id, new Date(clock.now()));
    await clock.advanceTo(T0 + 60 * MINUTE, settle);
    expect(await sent()).toEqual(['chat@0m']);
    expect(exceptions.exceptions[0]!.timeline.at(-1)).toMatchObject({
      type: 'escalation',
      message: 'escalation stopped: acknowledged',
      details: { reason: 'Acknowledged' },
    });
    expect(await store.correlation.getEscalation('ops', id)).toMatchObject({ state: 'stopped', dueAt: null });
  });

  it('a step that comes due after an acknowledgement the follower has not read yet is not taken', async () => {
    const id = await open();
    // Acknowledged a moment before step 2 is due, with no poll in between: the step reads the exception first.
    await clock.advanceTo(T0 + 10 * MINUTE - 1, settle);
    exceptions.acknowledge('ops', id, new Date(clock.now()));
    await clock.advanceTo(T0 + 10 * MINUTE, settle);
    expect(await sent()).toEqual(['chat@0m']);
  });

  it('resumes after a restart mid-delay without sending a step twice', async () => {
    await open();
    await clock.advanceTo(T0 + 4 * MINUTE, settle);
    await escalator.stop();
    // Down past step 2's due time; a new server (a new term on the same database) resumes.
    await clock.advanceTo(T0 + 12 * MINUTE);
    escalator = build();
    await escalator.start();
    await settle();
    expect(await sent()).toEqual(['chat@0m', 'pager@12m']);
    await clock.advanceTo(T0 + 40 * MINUTE, settle);
    expect(await sent()).toEqual(['chat@0m', 'pager@12m', 'pager@30m', 'manager@30m']);
  });

  it('a server killed between the outbox write and the table write repeats nothing', async () => {
    await open();
    failAfterEnqueue = (channel) => channel === 'pager';
    await clock.advanceTo(T0 + 10 * MINUTE, settle);
    expect(errors.length).toBeGreaterThan(0);
    await escalator.stop();
    failAfterEnqueue = undefined;
    escalator = build();
    await escalator.start();
    await settle();
    // The step was enqueued again with the same dedup key: one outbox row, and the table moved on.
    expect(await sent()).toEqual(['chat@0m', 'pager@10m']);
    expect((await outbox()).map((n) => n.dedupKey)).toEqual([
      expect.stringMatching(/\/e1\/r0\/s0\/chat$/),
      expect.stringMatching(/\/e1\/r0\/s1\/pager$/),
    ]);
    expect(await store.correlation.getEscalation('ops', exceptions.exceptions[0]!.id)).toMatchObject({
      step: 2,
      state: 'active',
      dueAt: T0 + 30 * MINUTE,
    });
  });

  it('two escalators on one database take each step once', async () => {
    const other = build();
    await other.start();
    const answer = await exceptions.correlate(group('topology/rack/r2'), new Date(clock.now()));
    escalator.exceptionOpened('ops', answer.exceptionId, 'opened');
    other.exceptionOpened('ops', answer.exceptionId, 'opened');
    await Promise.all([settle(), other.idle()]);
    await clock.advanceTo(T0 + 30 * MINUTE, async () => {
      await Promise.all([settle(), other.idle()]);
    });
    await other.stop();
    expect(await sent()).toEqual(['chat@0m', 'pager@10m', 'pager@30m', 'manager@30m']);
  });

  it('repeats the steps when the policy says so, and a reopened exception escalates anew', async () => {
    policies.set('oncall', {
      steps: [{ delay: '0s', channels: ['chat'] }],
      repeat: { times: 1, after: '15m' },
    });
    const id = await open();
    await clock.advanceTo(T0 + 60 * MINUTE, settle);
    expect(await sent()).toEqual(['chat@0m', 'chat@15m']);
    exceptions.resolve('ops', id, new Date(clock.now()));
    await clock.advanceTo(T0 + 61 * MINUTE, settle);
    const again = await exceptions.correlate(
      { ...group('topology/rack/r1'), alerts: [{ ...group('').alerts[0]!, fingerprint: 'b' }] },
      new Date(clock.now()),
    );
    expect(again).toEqual({ exceptionId: id, outcome: 'reopened' });
    escalator.exceptionOpened('ops', id, 'reopened');
    await settle();
    expect(await sent()).toEqual(['chat@0m', 'chat@15m', 'chat@61m']);
    expect((await outbox()).at(-1)!.dedupKey).toMatch(/\/e2\/r0\/s0\/chat$/);
  });

  it('does nothing for an exception whose team has no such policy', async () => {
    policies.clear();
    await open();
    await clock.advanceTo(T0 + 60 * MINUTE, settle);
    expect(await outbox()).toHaveLength(0);
    expect(events.events[0]).toMatchObject({
      type: 'Warning',
      reason: 'EscalationPolicyNotFound',
      regarding: { kind: 'EscalationPolicy', name: 'oncall', team: 'ops' },
    });
  });

  it('a leader held before moving an escalation on, whose lease moved, leaves the row where it was (ADR 0028)', async () => {
    await escalator.stop();
    const LEASE = 'health-correlation';
    expect(await store.leases.tryAcquire(LEASE, 'x', 1000, T0)).toBe(true);
    const fence = { lease: LEASE, holder: 'x', transitions: (await store.leases.get(LEASE))!.transitions };
    const refusals: unknown[] = [];
    const term = { fence, refused: (error: FencedWriteRefused) => void refusals.push(error) };
    const table = store.correlation;
    let hold: Promise<void> | undefined;
    let held = 0;
    escalator = build({
      getEscalation: (team, id) => table.getEscalation(team, id),
      startEscalation: (row, f) => table.startEscalation(row, f),
      dueEscalations: (now, limit) => table.dueEscalations(now, limit),
      nextEscalationDueAt: () => table.nextEscalationDueAt(),
      stopEscalation: (team, id, episode, now, f) => table.stopEscalation(team, id, episode, now, f),
      moveEscalation: async (...args) => {
        if (hold) {
          held += 1;
          await hold;
        }
        return table.moveEscalation(...args);
      },
    });
    await escalator.start(term);
    const id = await open();
    expect(await sent()).toEqual(['chat@0m']);
    const row = await table.getEscalation('ops', id);
    expect(row).toMatchObject({ step: 1, round: 0, state: 'active' });

    let resume!: () => void;
    hold = new Promise<void>((resolve) => (resume = resolve));
    await clock.advanceTo(T0 + 10 * MINUTE);
    for (let i = 0; i < 1000 && held === 0; i++) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(held).toBe(1);
    expect(await store.leases.tryAcquire(LEASE, 'y', 1000, T0 + 10 * MINUTE)).toBe(true);
    resume();
    await settle();
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toBeInstanceOf(FencedWriteRefused);
    expect(errors).toEqual([]);
    expect(await table.getEscalation('ops', id)).toEqual(row);
    // The term's work is over: nothing more is taken.
    hold = undefined;
    await clock.advanceTo(T0 + 60 * MINUTE, settle);
    expect(held).toBe(1);
    expect(await table.getEscalation('ops', id)).toEqual(row);
  });
});
