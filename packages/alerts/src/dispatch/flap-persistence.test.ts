import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertRoutingSpec } from '@gantry/model';
import { Store } from '@gantry/store';
import { alert, START } from './acceptance.ts';
import { AlertDispatcher } from './dispatcher.ts';
import { ManualClock } from './fake-clock.ts';
import { FlapTracker, MemoryFlapStateStore, type FlapStateStore } from './flapping.ts';
import type { NotificationLog } from './notification-log.ts';
import type { DispatchAlert, GroupNotification } from './types.ts';

const routing: AlertRoutingSpec = {
  receivers: ['default'],
  groupBy: ['alertname'],
  groupWait: '1s',
  groupInterval: '5s',
  repeatInterval: '1h',
};
const flapping = { transitions: 4, windowMs: 60_000, quietMs: 30_000 };
const flappy = alert({ alertname: 'Flappy' });
const value = (updatedAt: number, from: number, until?: number): DispatchAlert =>
  flappy.active(from, until).toDispatch(START, START + updatedAt * 1000);

/** One term of leadership: a dispatcher over the shared stores, from `at` seconds. */
function leader(stores: { log: NotificationLog; flaps?: FlapStateStore }, at: number) {
  const clock = new ManualClock(START + at * 1000);
  const sent: GroupNotification[] = [];
  const dispatcher = new AlertDispatcher({
    clock,
    log: stores.log,
    ...(stores.flaps ? { flapStore: stores.flaps } : {}),
    flapping,
    sink: {
      notify: (notification) => {
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
  return { dispatcher, sent, advanceTo };
}

// Flap histories survive a leader change (migration 0018's alert_flap_state): the alert flaps across
// the two terms, and the new leader holds it as flapping instead of counting from zero.
describe('flap state across a leader change', () => {
  let store: Store;
  beforeEach(async () => {
    store = await Store.open({ url: ':memory:' });
  });
  afterEach(async () => {
    await store.close();
  });

  const flapAcrossTerms = async (flaps: FlapStateStore | undefined) => {
    const stores = { log: store.alertDispatch, ...(flaps ? { flaps } : {}) };
    const first = leader(stores, 0);
    first.dispatcher.upsertAlerts('ops', [value(0, 0)]);
    await first.advanceTo(1);
    expect(first.sent.map((n) => [n.status, n.alerts[0]!.flapping])).toEqual([['firing', false]]);
    await first.advanceTo(2);
    first.dispatcher.upsertAlerts('ops', [value(2, 0, 2)]);
    await first.advanceTo(3);
    first.dispatcher.upsertAlerts('ops', [value(3, 3)]);
    await first.advanceTo(4);
    first.dispatcher.upsertAlerts('ops', [value(4, 3, 4)]);
    await first.advanceTo(4.5);
    await first.dispatcher.stop();

    // The new leader reads every alert's latest value (resolved at 4 s), then sees it fire again.
    const second = leader(stores, 5);
    second.dispatcher.upsertAlerts('ops', [value(4, 3, 4)]);
    second.dispatcher.upsertAlerts('ops', [value(5, 5)]);
    await second.advanceTo(7);
    second.dispatcher.upsertAlerts('ops', [value(7, 5, 7)]);
    await second.advanceTo(12);
    await second.dispatcher.stop();
    return second.sent.map((n) => [n.status, n.alerts[0]!.status, n.alerts[0]!.flapping]);
  };

  it('holds the alert as flapping after the change, with the histories in the store', async () => {
    expect(await flapAcrossTerms(store.alertDispatch)).toEqual([['firing', 'firing', true]]);
    const saved = await store.alertDispatch.listFlaps('ops');
    expect(saved).toMatchObject([{ status: 'resolved', flapping: true }]);
    expect(saved[0]!.changes).toHaveLength(5);
  });

  it("does not save over the previous leader's histories before reading them (reads slower than writes)", async () => {
    const slowReads: FlapStateStore = {
      listFlaps: async (team) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return store.alertDispatch.listFlaps(team);
      },
      saveFlap: (record) => store.alertDispatch.saveFlap(record),
      purgeFlaps: (before) => store.alertDispatch.purgeFlaps(before),
    };
    expect(await flapAcrossTerms(slowReads)).toEqual([['firing', 'firing', true]]);
    expect((await store.alertDispatch.listFlaps('ops'))[0]!.changes).toHaveLength(5);
  });

  it('without a flap store the new leader counts from zero and notifies the resolve', async () => {
    expect(await flapAcrossTerms(undefined)).toEqual([['resolved', 'resolved', false]]);
  });

  it('purges histories older than the window and the quiet time', async () => {
    await store.alertDispatch.saveFlap({
      team: 'ops',
      fingerprint: 'aaaaaaaaaaaaaaaa',
      status: 'firing',
      changes: [1000],
      flapping: true,
      updatedAt: 1000,
    });
    await store.alertDispatch.saveFlap({
      team: 'ops',
      fingerprint: 'bbbbbbbbbbbbbbbb',
      status: 'firing',
      changes: [5000],
      flapping: false,
      updatedAt: 5000,
    });
    expect(await store.alertDispatch.purgeFlaps(2000)).toBe(1);
    expect((await store.alertDispatch.listFlaps('ops')).map((r) => r.fingerprint)).toEqual([
      'bbbbbbbbbbbbbbbb',
    ]);
  });
});

describe('FlapTracker.restore', () => {
  it('lays observations made before the saved history was read over it', async () => {
    const saved = new MemoryFlapStateStore();
    const tracker = new FlapTracker(
      flapping,
      (fingerprint, snapshot, at) =>
        void saved.saveFlap({ team: 'ops', fingerprint, ...snapshot, updatedAt: at }),
    );
    tracker.observe('f', 'firing', 10_000);
    tracker.observe('f', 'resolved', 11_000);
    tracker.restore('f', { status: 'resolved', changes: [1_000, 2_000], flapping: false }, 12_000);
    // resolved (saved) → firing at 10 s → resolved at 11 s: four changes, flapping.
    expect(tracker.isFlapping('f', 12_000)).toBe(true);
    expect((await saved.listFlaps('ops')).map((r) => r.changes)).toEqual([[11_000]]);
  });
});
