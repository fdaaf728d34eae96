import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertDispatcher, ManualClock, type DispatchAlert, type GroupNotification } from '@gantry/alerts';
import { Store } from '@gantry/store';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

const START = Date.parse('2026-03-02T10:00:00Z');
const labels = { alertname: 'Flappy' };
/** The alert as a new value at `updated` s, firing from `from` s, resolved at `until` s if given. */
const value = (updated: number, from: number, until?: number): DispatchAlert => ({
  fingerprint: 'f1a9f1a9f1a9f1a9',
  labels,
  annotations: {},
  startsAt: START + from * 1000,
  endsAt: until === undefined ? null : START + until * 1000,
  updatedAt: START + updated * 1000,
  generatorURL: '',
});

/** One term of leadership on one server's store. */
function leader(store: Store, at: number) {
  const clock = new ManualClock(START + at * 1000);
  const sent: GroupNotification[] = [];
  const dispatcher = new AlertDispatcher({
    clock,
    log: store.alertDispatch,
    flapStore: store.alertDispatch,
    flapping: { transitions: 4, windowMs: 60_000, quietMs: 30_000 },
    sink: {
      notify: (notification) => {
        sent.push(notification);
        return Promise.resolve();
      },
    },
  });
  dispatcher.setTeamConfig('ops', {
    routings: [
      {
        name: 'main',
        spec: { receivers: ['pager'], groupBy: ['alertname'], groupWait: '1s', groupInterval: '5s' },
      },
    ],
    inhibitRules: [],
    timeIntervals: [],
  });
  const advanceTo = (seconds: number) => clock.advanceTo(START + seconds * 1000, () => dispatcher.idle());
  return { dispatcher, sent, advanceTo };
}

/**
 * The dispatcher's state on PostgreSQL across a leader change between two servers: flap histories written
 * by the first leader are what the second goes on from; and the outbox's retention.
 */
describe('dispatch state on PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let one: Store;
  let two: Store;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    one = await Store.open({ url: scratch.url });
    two = await Store.open({ url: scratch.url });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await scratch?.drop();
  });

  it('a new leader on another server holds an alert that flapped across the change as flapping', async () => {
    const first = leader(one, 0);
    first.dispatcher.upsertAlerts('ops', [value(0, 0)]);
    await first.advanceTo(2);
    first.dispatcher.upsertAlerts('ops', [value(2, 0, 2)]);
    await first.advanceTo(3);
    first.dispatcher.upsertAlerts('ops', [value(3, 3)]);
    await first.advanceTo(4);
    first.dispatcher.upsertAlerts('ops', [value(4, 3, 4)]);
    await first.advanceTo(4.5);
    await first.dispatcher.stop();
    expect(first.sent.map((n) => [n.status, n.alerts[0]!.flapping])).toEqual([['firing', false]]);

    const second = leader(two, 5);
    second.dispatcher.upsertAlerts('ops', [value(4, 3, 4)]);
    second.dispatcher.upsertAlerts('ops', [value(5, 5)]);
    await second.advanceTo(7);
    second.dispatcher.upsertAlerts('ops', [value(7, 5, 7)]);
    await second.advanceTo(12);
    await second.dispatcher.stop();
    expect(second.sent.map((n) => [n.status, n.alerts[0]!.flapping])).toEqual([['firing', true]]);
    expect(await one.alertDispatch.listFlaps('ops')).toMatchObject([{ flapping: true, status: 'resolved' }]);
  });

  it('deletes finished notifications and their attempts past the retention, never pending ones', async () => {
    const at = START;
    const enqueue = (key: string) =>
      one.notifications.enqueue(
        {
          team: 'ops',
          channel: 'c',
          groupKey: key,
          dedupKey: key,
          status: 'firing',
          alertCount: 1,
          message: '{}',
        },
        at,
      );
    await Promise.all(['a', 'b', 'c'].map(enqueue));
    const claimed = await two.notifications.claim({
      server: 's2',
      now: at,
      leaseMs: 1000,
      limit: 2,
      exclude: [],
    });
    expect(claimed).toHaveLength(2);
    for (const row of claimed)
      await two.notifications.finish(
        row,
        {
          state: 'delivered',
          dueAt: at,
          attempts: [
            {
              attempt: 1,
              at: new Date(at).toISOString(),
              latencyMs: 1,
              outcome: 'delivered',
              statusCode: 200,
              errorClass: null,
              error: null,
              response: null,
              server: 's2',
            },
          ],
          lastError: null,
          deliveredAt: new Date(at).toISOString(),
        },
        at,
      );
    expect(await one.notifications.deleteFinishedBefore(new Date(at + 1).toISOString(), 1)).toBe(1);
    expect(await one.notifications.deleteFinishedBefore(new Date(at + 1).toISOString(), 10)).toBe(1);
    expect(await one.notifications.countActive()).toBe(1);
    const attempts = await one.connection.db
      .selectFrom('notification_attempts')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(attempts.n)).toBe(0);
  });
});
