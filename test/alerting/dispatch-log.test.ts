import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertDispatcher, ManualClock, type GroupNotification } from '@gantry/alerts';
import { Store } from '@gantry/store';
import { alert, START } from '../../packages/alerts/src/dispatch/acceptance.ts';
import { createScratchDatabase } from '../support/postgres.ts';

/**
 * The notification log in the database carries a dispatcher's state to the next leader: two stores
 * (two servers) over one database; the second dispatcher neither repeats what the first sent nor
 * forgets the resolve the first owed a receiver for an alert silenced since.
 */
const targets: [string, () => Promise<{ url: string; cleanup: () => Promise<void> }>][] = [
  [
    'SQLite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'gantry-dispatch-log-'));
      return Promise.resolve({
        url: join(dir, 'store.db'),
        cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
      });
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const scratch = await createScratchDatabase();
      return { url: scratch.url, cleanup: scratch.drop };
    },
  ],
];

describe.each(targets)('dispatch: the notification log on %s', (_name, open) => {
  let first: Store;
  let second: Store;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const target = await open();
    cleanup = target.cleanup;
    first = await Store.open({ url: target.url });
    second = await Store.open({ url: target.url });
  });
  afterAll(async () => {
    await first?.connection.close();
    await second?.connection.close();
    await cleanup?.();
  });

  function leader(store: Store, atSeconds: number) {
    const clock = new ManualClock(START + atSeconds * 1000);
    const sent: GroupNotification[] = [];
    const dispatcher = new AlertDispatcher({
      clock,
      log: store.alertDispatch,
      sink: { notify: (notification) => Promise.resolve(void sent.push(notification)) },
    });
    dispatcher.setTeamConfig('ops', {
      routings: [
        {
          name: 'main',
          spec: {
            receivers: ['pager'],
            groupBy: ['alertname'],
            groupWait: '1s',
            groupInterval: '5s',
            repeatInterval: '1h',
          },
        },
      ],
      inhibitRules: [],
      timeIntervals: [],
    });
    const advanceTo = (seconds: number) => clock.advanceTo(START + seconds * 1000, () => dispatcher.idle());
    return { dispatcher, sent, advanceTo };
  }

  it('a new leader resumes from the log: no repeat of what was sent, the owed resolve delivered', async () => {
    const down = alert({ alertname: 'Down', instance: 'a' });
    const slow = alert({ alertname: 'Slow', instance: 'a' });
    const silence = {
      id: 's1',
      matchers: [{ name: 'alertname', value: 'Slow', isRegex: false, isEqual: true }],
      startsAt: START + 2000,
      endsAt: START + 3_600_000,
    };

    const a = leader(first, 0);
    a.dispatcher.upsertAlerts('ops', [
      down.active(0).toDispatch(START, START),
      slow.active(0).toDispatch(START, START),
    ]);
    await a.advanceTo(1);
    expect(a.sent.map((n) => n.groupLabels.alertname).sort()).toEqual(['Down', 'Slow']);
    a.dispatcher.setSilences('ops', [silence]);
    await a.advanceTo(3);
    await a.dispatcher.stop();

    const b = leader(second, 40);
    b.dispatcher.setSilences('ops', [silence]);
    b.dispatcher.upsertAlerts('ops', [
      down.active(0).toDispatch(START, START),
      slow.active(0, 30).toDispatch(START, START + 30_000),
    ]);
    await b.advanceTo(120);
    expect(b.sent.map((n) => [n.groupLabels.alertname, n.status, n.alerts[0]!.resolvedWhileMuted])).toEqual([
      ['Slow', 'resolved', true],
    ]);
    await b.dispatcher.stop();
    const log = await second.alertDispatch.list('ops');
    expect(log.find((entry) => entry.groupKey.includes('Slow'))).toMatchObject({ sequence: 2, owed: [] });
  });
});
