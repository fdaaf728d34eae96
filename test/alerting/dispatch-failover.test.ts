import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlertDispatcher,
  type DispatchAlert,
  type GroupNotification,
  type NotificationLog,
} from '@gantry/alerts';
import { LeaderElector, systemClock, type LeaseStore } from '@gantry/controllers';
import { Store } from '@gantry/store';
import { labelsFingerprint } from '../../packages/alerts/src/dispatch/acceptance.ts';
import { eventually } from '../support/eventually.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

/**
 * Two servers on one PostgreSQL database: the dispatcher runs on the holder of the `alert-dispatch`
 * lease. The holder dies right after handing a notification to the outbox and before recording it in
 * the notification log. The next leader rebuilds the groups from the alert records, sends nothing the
 * dead one had recorded, and sends the unrecorded notification again under the same id, which the
 * outbox (here a map keyed by id, as its unique key) drops: every notification is delivered once.
 */
const LEASE_MS = 1500;
const routing = {
  receivers: ['pager'],
  groupBy: ['alertname'],
  groupWait: '200ms',
  groupInterval: '500ms',
  repeatInterval: '1h',
};

const alertOf = (alertname: string, endsAt: number | null = null): DispatchAlert => {
  const labels = { alertname, severity: 'page' };
  return {
    fingerprint: labelsFingerprint(labels),
    labels,
    annotations: {},
    startsAt: Date.now(),
    endsAt,
    updatedAt: Date.now(),
    generatorURL: '',
  };
};

describe('dispatch: failover between two servers on PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let storeA: Store;
  let storeB: Store;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    storeA = await Store.open({ url: scratch.url });
    storeB = await Store.open({ url: scratch.url });
  });
  afterAll(async () => {
    await storeA?.connection.close();
    await storeB?.connection.close();
    await scratch?.drop();
  });

  it('the next leader neither repeats nor loses a notification of the one that died', async () => {
    const logger = pino({ level: 'silent' });
    /** The alert records (alerts-ingest's table), as values. */
    const records = new Map<string, DispatchAlert>();
    /** The outbox: one row per notification id. */
    const outbox = new Map<string, GroupNotification>();
    const attempts: { server: string; notification: GroupNotification }[] = [];
    const dispatchers = new Map<string, AlertDispatcher>();
    let dead = false;
    let dieAtNextRecord = false;

    const server = (name: string, store: Store, leases: LeaseStore, log: NotificationLog) =>
      new LeaderElector(leases, {
        leaseName: 'alert-dispatch',
        holder: name,
        leaseDurationMs: LEASE_MS,
        clock: systemClock(),
        logger,
        onStartedLeading: () => {
          const dispatcher = new AlertDispatcher({
            clock: systemClock(),
            log,
            sink: {
              notify: (notification) => {
                attempts.push({ server: name, notification });
                if (!outbox.has(notification.id)) outbox.set(notification.id, notification);
                return Promise.resolve();
              },
            },
          });
          dispatcher.setTeamConfig('ops', {
            routings: [{ name: 'main', spec: routing }],
            inhibitRules: [],
            timeIntervals: [],
          });
          dispatcher.upsertAlerts('ops', [...records.values()]);
          dispatchers.set(name, dispatcher);
        },
        onStoppedLeading: async () => {
          await dispatchers.get(name)?.stop();
          dispatchers.delete(name);
        },
      });
    // Server a dies: its lease calls never complete, and its last log write never lands.
    const leasesA: LeaseStore = {
      tryAcquire: (...args) => (dead ? new Promise(() => undefined) : storeA.leases.tryAcquire(...args)),
      release: (...args) => (dead ? new Promise(() => undefined) : storeA.leases.release(...args)),
    };
    const logA: NotificationLog = {
      list: (team) => storeA.alertDispatch.list(team),
      purge: (now) => storeA.alertDispatch.purge(now),
      record: (entry) => {
        if (dieAtNextRecord) {
          dead = true;
          return Promise.reject(new Error('killed'));
        }
        return storeA.alertDispatch.record(entry);
      },
    };
    const feed = (...alerts: DispatchAlert[]) => {
      for (const alert of alerts) records.set(alert.fingerprint, alert);
      for (const dispatcher of dispatchers.values()) dispatcher.upsertAlerts('ops', alerts);
    };
    const sent = (status: string, alertname: string) =>
      attempts.filter(
        ({ notification }) =>
          notification.status === status && notification.alerts.some((a) => a.labels.alertname === alertname),
      );

    const a = server('a', storeA, leasesA, logA);
    const b = server('b', storeB, storeB.leases, storeB.alertDispatch);
    await a.start();
    await b.start();
    expect([...dispatchers.keys()]).toEqual(['a']);

    feed(alertOf('Disk'));
    await eventually(
      () => Promise.resolve(sent('firing', 'Disk').length),
      (count) => count === 1,
    );
    dieAtNextRecord = true;
    feed(alertOf('Memory'));
    await eventually(
      () => Promise.resolve(dead),
      (isDead) => isDead,
    );
    // A dead process runs nothing more.
    await dispatchers.get('a')?.stop();
    dispatchers.delete('a');

    await eventually(
      () => Promise.resolve(sent('firing', 'Memory').length),
      (count) => count === 2,
      4 * LEASE_MS,
    );
    const [first, again] = sent('firing', 'Memory');
    expect([first!.server, again!.server]).toEqual(['a', 'b']);
    expect(again!.notification.id).toBe(first!.notification.id);

    // b resolves what a notified: the log told it Disk fires at pager.
    feed(alertOf('Disk', Date.now()));
    await eventually(
      () => Promise.resolve(sent('resolved', 'Disk').length),
      (count) => count === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(sent('firing', 'Disk').map(({ server }) => server)).toEqual(['a']);
    expect(sent('resolved', 'Disk').map(({ server }) => server)).toEqual(['b']);
    expect([...outbox.values()].map((n) => `${n.status} ${n.groupLabels.alertname}`).sort()).toEqual([
      'firing Disk',
      'firing Memory',
      'resolved Disk',
    ]);
    await b.stop();
  });
});
