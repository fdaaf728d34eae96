import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertRoutingSpec } from '@gantry/model';
import { TermScope } from '@gantry/controllers';
import { FencedWriteRefused, Store, type AlertWrite } from '@gantry/store';
import { AlertDispatcher } from '../dispatch/dispatcher.ts';
import { ManualClock } from '../dispatch/fake-clock.ts';
import { MemoryNotificationLog } from '../dispatch/notification-log.ts';
import type { AlertChange } from '../ingest/alert-changes.ts';
import type { GroupNotification } from '../dispatch/types.ts';
import { AlertDispatchRunner, termDispatchState, termNotificationSink } from './dispatch-runner.ts';

const T0 = Date.parse('2026-12-03T08:00:00Z');
const routing: AlertRoutingSpec = {
  receivers: ['hook'],
  groupBy: ['alertname'],
  groupWait: '30s',
  groupInterval: '5m',
  repeatInterval: '4h',
};

const write = (name: string, endsAt = T0 + 3_600_000): AlertWrite => ({
  team: 'ops',
  fingerprint: `fp-${name}`,
  labels: { alertname: name, team: 'ops' },
  annotations: { summary: name },
  startsAt: new Date(T0).toISOString(),
  endsAt: new Date(endsAt).toISOString(),
  generatorURL: '',
  source: 'prometheus',
  entities: {},
});

describe('AlertDispatchRunner', () => {
  let store: Store;
  let clock: ManualClock;
  let runner: AlertDispatchRunner;
  let reads: number;
  let wake: ((change?: AlertChange) => void) | undefined;
  /** Local hand-overs the watcher drops while positive (as if this server had not written them). */
  let drop: number;
  let errors: unknown[];
  /** Reads wait for it (a read in flight while writes come). */
  let gate: Promise<void>;

  beforeEach(async () => {
    gate = Promise.resolve();
    store = await Store.open({ url: ':memory:' });
    clock = new ManualClock(T0);
    reads = 0;
    drop = 0;
    errors = [];
    runner = new AlertDispatchRunner({
      createDispatcher: () =>
        new AlertDispatcher({ clock, log: new MemoryNotificationLog(), sink: { notify: async () => {} } }),
      alerts: {
        changedSince: async (seq, limit) => {
          reads++;
          await gate;
          return store.alerts.changedSince(seq, limit);
        },
      },
      resources: {
        list: ({ kind }) =>
          Promise.resolve({
            resourceVersion: 1,
            items:
              kind === 'AlertRouting'
                ? [
                    {
                      team: 'ops',
                      name: 'main',
                      json: JSON.stringify({
                        apiVersion: 'gantry.dev/v1alpha1',
                        kind: 'AlertRouting',
                        metadata: { name: 'main', team: 'ops' },
                        spec: routing,
                      }),
                    },
                  ]
                : [],
          }),
      },
      subscribe: () => () => undefined,
      watchAlerts: (onChange) => {
        wake = onChange;
        const stop = store.alerts.onIngested((change, alerts) => {
          if (drop > 0) drop--;
          else onChange({ kind: 'written', change, alerts });
        });
        return Promise.resolve(() => Promise.resolve(stop()));
      },
      clock,
      onError: (error) => errors.push(error),
      safetyPollMs: 3_600_000,
    });
  });
  afterEach(async () => {
    await runner.stop();
    await store.close();
  });

  const post = (alerts: AlertWrite[]) => store.alerts.upsert(alerts, new Date(clock.now()).toISOString());
  const held = () =>
    runner
      .dispatcher!.groups('ops')
      .flatMap((group) => group.fingerprints)
      .sort();
  /** Lets a read started by a wake-up finish. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

  it('takes the rows a local write hands over without reading them back', async () => {
    await post([write('A')]);
    await runner.start();
    expect(reads).toBe(1);
    expect(held()).toEqual(['fp-A']);

    await post([write('B'), write('C')]);
    await post([write('A', T0 + 7_200_000)]);
    await settle();
    expect(held()).toEqual(['fp-A', 'fp-B', 'fp-C']);
    expect(reads).toBe(1);
    expect(errors).toEqual([]);
  });

  it('reads what it did not see when a hand-over does not follow the last change it handled', async () => {
    await runner.start();
    expect(reads).toBe(1);
    drop = 1;
    await post([write('A')]);
    await settle();
    expect(held()).toEqual([]);
    // B's hand-over leaves a gap (A): both are read.
    await post([write('B')]);
    await settle();
    expect(held()).toEqual(['fp-A', 'fp-B']);
    expect(reads).toBe(2);
    expect(errors).toEqual([]);
  });

  it('takes the rows written while a read runs after it, without reading again', async () => {
    await runner.start();
    expect(reads).toBe(1);
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    // A read that waits (the safety poll's, here a commit announced beyond what was handled)...
    drop = 1;
    await post([write('A')]);
    wake!({ kind: 'committed', toSeq: 1 });
    await settle();
    expect(reads).toBe(2);
    // ...while two more writes hand their rows over: taken once the read is done, in order.
    await post([write('B')]);
    await post([write('C'), write('A', T0 + 7_200_000)]);
    open();
    await settle();
    expect(held()).toEqual(['fp-A', 'fp-B', 'fp-C']);
    expect(reads).toBe(2);
    expect(errors).toEqual([]);
  });

  it('reads after a commit announced beyond what it handled, and not for one it handled', async () => {
    await runner.start();
    await post([write('A')]);
    await settle();
    expect(reads).toBe(1);
    wake!({ kind: 'committed', toSeq: 1 });
    await settle();
    expect(reads).toBe(1);
    drop = 1;
    await post([write('B')]);
    wake!({ kind: 'committed', toSeq: 2 });
    await settle();
    expect(reads).toBe(2);
    expect(held()).toEqual(['fp-A', 'fp-B']);
    // A (re)connected listener knows nothing: it reads.
    wake!();
    await settle();
    expect(reads).toBe(3);
  });
});

describe('termNotificationSink', () => {
  it('enqueues with the term’s fence; once another server leads, enqueues nothing and ends the term (ADR 0028)', async () => {
    const store = await Store.open({ url: ':memory:' });
    try {
      const LEASE = 'alert-dispatch';
      expect(await store.leases.tryAcquire(LEASE, 'x', 1000, T0)).toBe(true);
      const fence = { lease: LEASE, holder: 'x', transitions: (await store.leases.get(LEASE))!.transitions };
      const refused: unknown[] = [];
      const term = new TermScope({ fence, onRefused: (error) => void refused.push(error) });
      const sink = termNotificationSink(term, (notification, options) =>
        store.notifications.enqueue(
          {
            team: notification.team,
            channel: notification.receiver,
            groupKey: notification.groupKey,
            dedupKey: notification.id,
            status: notification.status,
            alertCount: notification.alerts.length,
            message: '{}',
          },
          notification.at,
          options.fence,
        ),
      );
      const notification = (id: string): GroupNotification =>
        ({ id, team: 'ops', receiver: 'hook', groupKey: 'g', status: 'firing', alerts: [], at: T0 }) as never;
      await sink.notify(notification('n1'));
      expect(await store.leases.tryAcquire(LEASE, 'y', 1000, T0 + 2000)).toBe(true);
      await expect(sink.notify(notification('n2'))).rejects.toBeInstanceOf(FencedWriteRefused);
      expect(refused).toHaveLength(1);
      const rows = await store.notifications.query({ team: 'ops', limit: 10 });
      expect(rows.items.map((row) => row.dedupKey)).toEqual(['n1']);
    } finally {
      await store.close();
    }
  });
});

describe('termDispatchState', () => {
  it('writes the log and flap histories with the term’s fence; a write held while the lease moved is refused and ends the term (ADR 0028)', async () => {
    const store = await Store.open({ url: ':memory:' });
    try {
      const LEASE = 'alert-dispatch';
      expect(await store.leases.tryAcquire(LEASE, 'x', 1000, T0)).toBe(true);
      const fence = { lease: LEASE, holder: 'x', transitions: (await store.leases.get(LEASE))!.transitions };
      const refused: unknown[] = [];
      const term = new TermScope({ fence, onRefused: (error) => void refused.push(error) });
      // The dispatcher is held just before its write reaches the store.
      let hold: Promise<void> | undefined = undefined;
      let held = 0;
      const repo = store.alertDispatch;
      const state = termDispatchState(term, {
        list: (team) => repo.list(team),
        record: async (entry, f) => {
          if (hold) {
            held += 1;
            await hold;
          }
          return repo.record(entry, f);
        },
        purge: (now) => repo.purge(now),
        listFlaps: (team) => repo.listFlaps(team),
        saveFlap: (record, f) => repo.saveFlap(record, f),
        purgeFlaps: (before) => repo.purgeFlaps(before),
      });
      const entry = (sequence: number) => ({
        team: 'ops',
        groupKey: 'g',
        receiver: 'hook',
        sequence,
        firing: ['f1'],
        resolved: [],
        flapping: [],
        owed: [],
        sentAt: T0,
        expiresAt: T0 + 60_000,
      });
      await state.record(entry(1));
      let resume!: () => void;
      hold = new Promise<void>((resolve) => (resume = resolve));
      const late = state.record(entry(2));
      for (let i = 0; i < 100 && held === 0; i++) await Promise.resolve();
      expect(held).toBe(1);
      expect(await store.leases.tryAcquire(LEASE, 'y', 1000, T0 + 2000)).toBe(true);
      resume();
      await expect(late).rejects.toBeInstanceOf(FencedWriteRefused);
      await expect(
        state.saveFlap({
          team: 'ops',
          fingerprint: 'f1',
          status: 'firing',
          changes: [T0],
          flapping: false,
          updatedAt: T0,
        }),
      ).rejects.toBeInstanceOf(FencedWriteRefused);
      expect(refused).toHaveLength(2);
      expect((await repo.list('ops')).map((row) => row.sequence)).toEqual([1]);
      expect(await repo.listFlaps('ops')).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
