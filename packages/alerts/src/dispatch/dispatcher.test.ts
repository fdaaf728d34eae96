import { describe, expect, it } from 'vitest';
import type { AlertRoutingSpec } from '@gantry/model';
import { alert, labelsFingerprint, START } from './acceptance.ts';
import { AlertDispatcher } from './dispatcher.ts';
import { ManualClock } from './fake-clock.ts';
import { MemoryNotificationLog } from './notification-log.ts';
import type { DispatchAlert, DispatchSilence, GroupNotification } from './types.ts';

const routing: AlertRoutingSpec = {
  receivers: ['default', 'audit'],
  groupBy: ['alertname'],
  groupWait: '1s',
  groupInterval: '5s',
  repeatInterval: '1m',
};

function setup(options: { log?: MemoryNotificationLog; at?: number; failFirst?: number } = {}) {
  const clock = new ManualClock(START + (options.at ?? 0) * 1000);
  const sent: GroupNotification[] = [];
  let failures = options.failFirst ?? 0;
  const log = options.log ?? new MemoryNotificationLog();
  const dispatcher = new AlertDispatcher({
    clock,
    log,
    sink: {
      notify: (notification) => {
        if (failures > 0) {
          failures--;
          return Promise.reject(new Error('outbox unavailable'));
        }
        sent.push(notification);
        return Promise.resolve();
      },
    },
  });
  dispatcher.setTeamConfig('ops', {
    routings: [{ name: 'main', spec: routing }],
    inhibitRules: [],
    timeIntervals: [],
  });
  const advanceTo = (seconds: number) => clock.advanceTo(START + seconds * 1000, () => dispatcher.idle());
  return { clock, dispatcher, sent, log, advanceTo };
}

const down = alert({ alertname: 'Down', instance: 'a', job: 'api' }).annotate({ summary: 'api is down' });
const at = (seconds: number, value: DispatchAlert): DispatchAlert => ({
  ...value,
  updatedAt: START + seconds * 1000,
});
const silenceAll: DispatchSilence = {
  id: 's',
  matchers: [{ name: 'alertname', value: 'Down', isRegex: false, isEqual: true }],
  startsAt: START,
  endsAt: START + 3_600_000,
};

describe('AlertDispatcher', () => {
  it('hands the sink everything a webhook payload needs, once per receiver', async () => {
    const { dispatcher, sent, advanceTo } = setup();
    dispatcher.upsertAlerts('ops', [at(0, down.active(0).toDispatch(START, START))]);
    await advanceTo(1);
    expect(sent.map((n) => n.receiver).sort()).toEqual(['audit', 'default']);
    expect(sent[0]).toMatchObject({
      team: 'ops',
      routing: 'main',
      routeId: 'main',
      groupKey: 'main:{}:{alertname="Down"}',
      status: 'firing',
      groupLabels: { alertname: 'Down' },
      commonLabels: down.labels,
      commonAnnotations: { summary: 'api is down' },
      firing: 1,
      resolved: 0,
      reason: 'new',
      at: START + 1000,
      alerts: [
        {
          status: 'firing',
          fingerprint: labelsFingerprint(down.labels),
          labels: down.labels,
          startsAt: START,
          endsAt: null,
          generatorURL: 'http://prometheus.test/graph?Down',
          flapping: false,
          resolvedWhileMuted: false,
        },
      ],
    });
    expect(sent[0]!.id).toMatch(/^[0-9a-f]{32}$/u);
    expect(sent[0]!.id).not.toBe(sent[1]!.id);
    await dispatcher.stop();
  });

  it('ignores a value older than the one it holds', async () => {
    const { dispatcher, sent, advanceTo } = setup();
    dispatcher.upsertAlerts('ops', [at(2, down.active(0).toDispatch(START, 0))]);
    dispatcher.upsertAlerts('ops', [at(1, down.active(0, 0.5).toDispatch(START, 0))]);
    await advanceTo(1);
    expect(sent.map((n) => n.status)).toEqual(['firing', 'firing']);
    await dispatcher.stop();
  });

  it('a new leader over the same log resumes without sending again, and repeats on time', async () => {
    const log = new MemoryNotificationLog();
    const first = setup({ log });
    first.dispatcher.upsertAlerts('ops', [at(0, down.active(0).toDispatch(START, 0))]);
    await first.advanceTo(1);
    expect(first.sent).toHaveLength(2);
    await first.dispatcher.stop();

    const second = setup({ log, at: 20 });
    second.dispatcher.upsertAlerts('ops', [at(0, down.active(0).toDispatch(START, 0))]);
    // The alert is older than group_wait: the group flushes at once, and the log says it was sent.
    await second.advanceTo(60);
    expect(second.sent).toEqual([]);
    await second.advanceTo(65);
    expect(second.sent.map((n) => n.reason)).toEqual(['repeat', 'repeat']);
    // Sent at 1 s: the repeat is due at 61 s, the group's first tick after that is 65 s (ticks 20, 25, ...).
    expect(second.sent[0]!.at).toBe(START + 65_000);
    await second.dispatcher.stop();
  });

  it('holds a firing alert no route takes, and a routing written later takes it at once', async () => {
    const { dispatcher, sent, advanceTo } = setup();
    dispatcher.setTeamConfig('ops', { routings: [], inhibitRules: [], timeIntervals: [] });
    dispatcher.upsertAlerts('ops', [at(0, down.active(0).toDispatch(START, START))]);
    expect(dispatcher.unrouted('ops').map((held) => held.fingerprint)).toEqual([
      labelsFingerprint(down.labels),
    ]);
    // A resend while no route takes it is held in place, and still taken by the routing written later.
    const resent = down.annotate({ summary: 'api is still down' }).active(0);
    dispatcher.upsertAlerts('ops', [at(1, resent.toDispatch(START, START))]);
    expect(dispatcher.unrouted('ops').map((held) => held.annotations)).toEqual([
      { summary: 'api is still down' },
    ]);
    await advanceTo(2);
    expect(sent).toEqual([]);
    dispatcher.setTeamConfig('ops', {
      routings: [{ name: 'main', spec: routing }],
      inhibitRules: [],
      timeIntervals: [],
    });
    expect(dispatcher.unrouted('ops')).toEqual([]);
    expect(dispatcher.receivers('ops', labelsFingerprint(down.labels))).toEqual(['audit', 'default']);
    await advanceTo(3);
    expect(sent.map((n) => n.receiver).sort()).toEqual(['audit', 'default']);
    expect(sent[0]!.alerts[0]!.annotations).toEqual({ summary: 'api is still down' });
    const page = dispatcher.groupPage('ops', { limit: 10 });
    expect(page.groups.map((g) => [g.groupKey, g.alerts.map((a) => a.fingerprint)])).toEqual([
      ['main:{}:{alertname="Down"}', [labelsFingerprint(down.labels)]],
    ]);
    expect(page.next).toBeUndefined();
    await dispatcher.stop();
  });

  it('a new leader still owes the resolve of an alert notified firing and silenced since', async () => {
    const log = new MemoryNotificationLog();
    const first = setup({ log });
    first.dispatcher.upsertAlerts('ops', [at(0, down.active(0).toDispatch(START, 0))]);
    await first.advanceTo(1);
    first.dispatcher.setSilences('ops', [silenceAll]);
    await first.advanceTo(20);
    expect(first.sent).toHaveLength(2);
    await first.dispatcher.stop();

    const second = setup({ log, at: 30 });
    second.dispatcher.setSilences('ops', [silenceAll]);
    second.dispatcher.upsertAlerts('ops', [at(30, down.active(0, 25).toDispatch(START, 0))]);
    await second.advanceTo(31);
    expect(second.sent.map((n) => [n.receiver, n.status, n.alerts[0]!.resolvedWhileMuted])).toEqual([
      ['default', 'resolved', true],
      ['audit', 'resolved', true],
    ]);
    expect(second.dispatcher.groups('ops')).toEqual([]);
    await second.dispatcher.stop();
  });

  it('tries a refused notification again at the next group interval and keeps resolved alerts until sent', async () => {
    const { dispatcher, sent, advanceTo } = setup({ failFirst: 2 });
    dispatcher.upsertAlerts('ops', [at(0, down.active(0, 0.5).toDispatch(START, 0))]);
    dispatcher.upsertAlerts('ops', [
      at(0, alert({ alertname: 'Down', instance: 'b' }).active(0).toDispatch(START, 0)),
    ]);
    await advanceTo(1);
    expect(sent).toEqual([]);
    await advanceTo(6);
    // The resolved alert stayed in the group, so the retry says the same as the refused notification.
    expect(
      sent.map((n) => [n.receiver, n.at, n.alerts.map((a) => `${a.labels.instance} ${a.status}`)]),
    ).toEqual([
      ['default', START + 6000, ['a resolved', 'b firing']],
      ['audit', START + 6000, ['a resolved', 'b firing']],
    ]);
    await advanceTo(30);
    expect(sent).toHaveLength(2);
    await dispatcher.stop();
  });

  it('a reload rebuilds the groups without sending again', async () => {
    const { dispatcher, sent, advanceTo } = setup();
    dispatcher.upsertAlerts('ops', [at(0, down.active(0).toDispatch(START, 0))]);
    await advanceTo(1);
    expect(sent).toHaveLength(2);
    dispatcher.setTeamConfig('ops', {
      routings: [{ name: 'main', spec: { ...routing, groupInterval: '7s' } }],
      inhibitRules: [],
      timeIntervals: [],
    });
    await advanceTo(30);
    expect(sent).toHaveLength(2);
    expect(dispatcher.groups('ops')).toMatchObject([
      { groupKey: 'main:{}:{alertname="Down"}', receivers: ['default', 'audit'] },
    ]);
    await dispatcher.stop();
  });

  it('leaves out a routing it cannot use and says why', async () => {
    const { dispatcher } = setup();
    const problems = dispatcher.setTeamConfig('ops', {
      routings: [{ name: 'broken', spec: { receivers: ['x'], routes: [{ matchers: ['a=~"("'] }] } }],
      inhibitRules: [
        { name: 'half', spec: { sourceMatchers: ['nope'], targetMatchers: ['a="b"'], equal: [] } },
      ],
      timeIntervals: [],
    });
    expect(problems.map((p) => `${p.kind}/${p.name} ${p.path}`)).toEqual([
      'AlertRouting/broken /routes/0/matchers/0',
      'InhibitRule/half /sourceMatchers/0',
    ]);
    dispatcher.upsertAlerts('ops', [at(0, down.active(0).toDispatch(START, 0))]);
    expect(dispatcher.groups('ops')).toEqual([]);
    await dispatcher.stop();
  });

  it('says which silences and alerts mute an alert', async () => {
    const { dispatcher } = setup();
    dispatcher.setTeamConfig('ops', {
      routings: [{ name: 'main', spec: routing }],
      inhibitRules: [
        {
          name: 'r',
          spec: { sourceMatchers: ['alertname="Root"'], targetMatchers: ['alertname="Down"'], equal: [] },
        },
      ],
      timeIntervals: [],
    });
    const root = alert({ alertname: 'Root' }).active(0).toDispatch(START, START);
    dispatcher.upsertAlerts('ops', [root]);
    dispatcher.setSilences('ops', [silenceAll]);
    expect(dispatcher.muting('ops', down.labels, labelsFingerprint(down.labels))).toEqual({
      silencedBy: ['s'],
      inhibitedBy: [root.fingerprint],
    });
    await dispatcher.stop();
  });

  it('reads the log again when reading it failed, before sending anything', async () => {
    const log = new MemoryNotificationLog();
    await log.record({
      team: 'ops',
      groupKey: 'main:{}:{alertname="Down"}',
      receiver: 'default',
      sequence: 1,
      firing: [labelsFingerprint(down.labels)],
      resolved: [],
      flapping: [],
      owed: [labelsFingerprint(down.labels)],
      sentAt: START,
      expiresAt: START + 3_600_000,
    });
    let failures = 1;
    const flaky = {
      list: (team: string) => (failures-- > 0 ? Promise.reject(new Error('database away')) : log.list(team)),
      record: (entry: Parameters<MemoryNotificationLog['record']>[0]) => log.record(entry),
      purge: (now: number) => log.purge(now),
    };
    const clock = new ManualClock(START + 10_000);
    const sent: GroupNotification[] = [];
    const dispatcher = new AlertDispatcher({
      clock,
      log: flaky,
      sink: { notify: (n) => Promise.resolve(void sent.push(n)) },
    });
    dispatcher.setTeamConfig('ops', {
      routings: [{ name: 'main', spec: { ...routing, receivers: ['default'] } }],
      inhibitRules: [],
      timeIntervals: [],
    });
    dispatcher.upsertAlerts('ops', [at(0, down.active(0).toDispatch(START, 0))]);
    await clock.advanceTo(START + 30_000, () => dispatcher.idle());
    // The failed read held the first flush back; the next read found the entry: nothing is repeated.
    expect(sent).toEqual([]);
    await dispatcher.stop();
  });

  it('takes a resend of a firing alert into the groups that hold it: its latest endsAt counts', async () => {
    const { dispatcher, sent, advanceTo } = setup();
    const group = () => dispatcher.groupPage('ops', { limit: 10 }).groups[0]!;
    dispatcher.upsertAlerts('ops', [at(0, down.active(0, 100).toDispatch(START, 0))]);
    await advanceTo(1);
    expect(sent.map((n) => `${n.status} ${(n.at - START) / 1000}`)).toEqual(['firing 1', 'firing 1']);
    // Resends move endsAt on (ADR 0043: replaced in its group without routing it again).
    for (const second of [50, 90, 150])
      dispatcher.upsertAlerts('ops', [at(second, down.active(0, second + 100).toDispatch(START, 0))]);
    expect(group().alerts.map((held) => held.endsAt)).toEqual([START + 250_000]);
    const resolves = () =>
      sent.filter((n) => n.status === 'resolved').map((n) => `${n.receiver} ${(n.at - START) / 1000}`);
    await advanceTo(246);
    // Without the resends taken, the group would have sent the resolve at 101 s.
    expect(resolves()).toEqual([]);
    await advanceTo(251);
    expect(resolves().sort()).toEqual(['audit 251', 'default 251']);
    // Firing again after the resolve is routed as a new alert: a new notification after group_wait.
    await advanceTo(260);
    const before = sent.length;
    dispatcher.upsertAlerts('ops', [at(260, down.active(260).toDispatch(START, 0))]);
    await advanceTo(262);
    expect(sent.slice(before).map((n) => `${n.status} ${(n.at - START) / 1000}`)).toEqual([
      'firing 261',
      'firing 261',
    ]);
    await dispatcher.stop();
  });

  it('tells every receiver of a flush the alert as it was when the flush began, though a resend comes while it sends', async () => {
    // The first notification waits until released: a resend arrives meanwhile.
    const clock = new ManualClock(START);
    const sent: GroupNotification[] = [];
    let release: (() => void) | undefined;
    const dispatcher = new AlertDispatcher({
      clock,
      log: new MemoryNotificationLog(),
      sink: {
        notify: (notification) => {
          sent.push(notification);
          if (sent.length > 1) return Promise.resolve();
          return new Promise<void>((resolve) => (release = resolve));
        },
      },
    });
    dispatcher.setTeamConfig('ops', {
      routings: [{ name: 'main', spec: routing }],
      inhibitRules: [],
      timeIntervals: [],
    });
    dispatcher.upsertAlerts('ops', [at(0, down.active(0, 100).toDispatch(START, 0))]);
    await clock.advanceTo(START + 1000);
    while (!release) await new Promise((resolve) => setImmediate(resolve));
    // Held in place (ADR 0048): the flush under way must not see it.
    const resent = down.annotate({ summary: 'api is still down' }).active(0, 200);
    dispatcher.upsertAlerts('ops', [at(1, resent.toDispatch(START, 0))]);
    release();
    await dispatcher.idle();
    expect(sent.map((n) => [n.receiver, n.alerts[0]!.endsAt, n.alerts[0]!.annotations.summary])).toEqual([
      ['default', START + 100_000, 'api is down'],
      ['audit', START + 100_000, 'api is down'],
    ]);
    expect(dispatcher.groupPage('ops', { limit: 10 }).groups[0]!.alerts[0]).toMatchObject({
      endsAt: START + 200_000,
      annotations: { summary: 'api is still down' },
    });
    await dispatcher.stop();
  });

  it("stops inhibiting when the source's endsAt passes, without a new value", async () => {
    const { dispatcher, sent, advanceTo } = setup();
    dispatcher.setTeamConfig('ops', {
      routings: [{ name: 'main', spec: { ...routing, receivers: ['default'] } }],
      inhibitRules: [
        {
          name: 'r',
          spec: {
            sourceMatchers: ['alertname="Root"'],
            targetMatchers: ['alertname="Down"'],
            equal: ['job'],
          },
        },
      ],
      timeIntervals: [],
    });
    const root = alert({ alertname: 'Root', job: 'api' }).active(0, 8).toDispatch(START, START);
    dispatcher.upsertAlerts('ops', [root, at(0, down.active(0).toDispatch(START, 0))]);
    await advanceTo(1);
    expect(sent.map((n) => n.groupLabels.alertname)).toEqual(['Root']);
    await advanceTo(11);
    // Both groups tick at 11 s: the Root group's resolve, and Down, no longer inhibited.
    expect(sent.map((n) => `${n.groupLabels.alertname} ${n.status} ${(n.at - START) / 1000}`).sort()).toEqual(
      ['Down firing 11', 'Root firing 1', 'Root resolved 11'],
    );
    await dispatcher.stop();
  });

  it('leaves resolves out for a receiver without them, and still forgets the resolved alerts', async () => {
    const log = new MemoryNotificationLog();
    const clock = new ManualClock(START);
    const sent: GroupNotification[] = [];
    const dispatcher = new AlertDispatcher({
      clock,
      log,
      sink: { notify: (n) => Promise.resolve(void sent.push(n)) },
      receiverSettings: (_team, receiver) => (receiver === 'audit' ? { sendResolved: false } : undefined),
    });
    dispatcher.setTeamConfig('ops', {
      routings: [{ name: 'main', spec: routing }],
      inhibitRules: [],
      timeIntervals: [],
    });
    const other = alert({ alertname: 'Down', instance: 'b' });
    dispatcher.upsertAlerts('ops', [at(0, down.active(0).toDispatch(START, 0))]);
    await clock.advanceTo(START + 1000, () => dispatcher.idle());
    dispatcher.upsertAlerts('ops', [
      at(2, down.active(0, 2).toDispatch(START, 0)),
      at(2, other.active(2).toDispatch(START, 0)),
    ]);
    await clock.advanceTo(START + 6000, () => dispatcher.idle());
    dispatcher.upsertAlerts('ops', [at(7, other.active(2, 7).toDispatch(START, 0))]);
    await clock.advanceTo(START + 30_000, () => dispatcher.idle());
    const told = (receiver: string) =>
      sent
        .filter((n) => n.receiver === receiver)
        .map((n) => n.alerts.map((a) => `${a.labels.instance} ${a.status}`));
    expect(told('default')).toEqual([['a firing'], ['a resolved', 'b firing'], ['b resolved']]);
    expect(told('audit')).toEqual([['a firing'], ['b firing']]);
    expect(dispatcher.groups('ops')).toEqual([]);
    expect((await log.list('ops')).find((e) => e.receiver === 'audit')).toMatchObject({
      firing: [],
      owed: [],
    });
    await dispatcher.stop();
  });
});
