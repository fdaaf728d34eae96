import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { FencedWriteRefused, Store, type EventRepository, type GantryEventRow } from '@gantry/store';
import { systemClock } from './clock.ts';
import type { GantryEvent } from './event-recorder.ts';
import { StoreEventRecorder } from './store-event-recorder.ts';

const START = Date.parse('2026-12-01T10:00:00.000Z');

/** A store whose writes can be made to fail, keeping what it was given. */
class FakeEvents {
  readonly writes: GantryEventRow[][] = [];
  failing = false;
  fold(events: readonly GantryEventRow[]): Promise<void> {
    if (this.failing) return Promise.reject(new Error('database unavailable'));
    this.writes.push(structuredClone([...events]));
    return Promise.resolve();
  }
}

function event(reason: string, fields: Partial<GantryEvent> = {}): GantryEvent {
  return {
    type: 'Normal',
    reason,
    message: `${reason} happened`,
    regarding: { kind: 'Node', name: 'worker-1', team: 'sre', cluster: 'east' },
    actor: 'alice',
    ...fields,
  };
}

function recorder(events: FakeEvents, options: { maxPending?: number } = {}) {
  const logged: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
  const created = new StoreEventRecorder({
    events,
    clock: systemClock(),
    logger,
    flushIntervalMs: 100,
    retryIntervalMs: 1000,
    ...options,
  });
  return { recorder: created, logged };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(START);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('StoreEventRecorder', () => {
  it('gathers events for the interval and writes them in one batch, with the regarded object', async () => {
    const events = new FakeEvents();
    const { recorder: events$ } = recorder(events);
    events$.record(event('NodeCordoned'));
    await vi.advanceTimersByTimeAsync(50);
    events$.record(
      event('NodeUncordoned', { regarding: { kind: 'ComponentDefinition', name: 'web', team: '' } }),
    );
    expect(events.writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(50);
    expect(events.writes).toHaveLength(1);
    expect(events.writes[0]).toEqual([
      {
        team: 'sre',
        cluster: 'sre/east',
        namespace: '',
        objectKind: 'Node',
        objectName: 'worker-1',
        type: 'Normal',
        reason: 'NodeCordoned',
        message: 'NodeCordoned happened',
        actor: 'alice',
        count: 1,
        firstSeen: '2026-12-01T10:00:00.000Z',
        lastSeen: '2026-12-01T10:00:00.000Z',
      },
      expect.objectContaining({
        team: '',
        cluster: '',
        objectKind: 'ComponentDefinition',
        reason: 'NodeUncordoned',
        firstSeen: '2026-12-01T10:00:00.050Z',
      }),
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(events.writes).toHaveLength(1);
  });

  it('folds repeats within a batch into one record with a count and first/last seen', async () => {
    const events = new FakeEvents();
    const { recorder: events$ } = recorder(events);
    events$.record(event('ClusterConnectionFailed', { type: 'Warning', actor: 'controller/cluster' }));
    await vi.advanceTimersByTimeAsync(30);
    events$.record(event('ClusterConnectionFailed', { type: 'Warning', actor: 'bob' }));
    events$.record(event('ClusterConnectionFailed', { type: 'Warning', message: 'another message' }));
    await vi.advanceTimersByTimeAsync(100);
    expect(
      events.writes[0]?.map((row) => [row.message, row.count, row.firstSeen, row.lastSeen, row.actor]),
    ).toEqual([
      ['ClusterConnectionFailed happened', 2, '2026-12-01T10:00:00.000Z', '2026-12-01T10:00:00.030Z', 'bob'],
      ['another message', 1, '2026-12-01T10:00:00.030Z', '2026-12-01T10:00:00.030Z', 'alice'],
    ]);
  });

  it('never throws to the caller when the database fails: logs, keeps the events and retries', async () => {
    const events = new FakeEvents();
    const { recorder: events$, logged } = recorder(events);
    events.failing = true;
    expect(() => events$.record(event('NodeDrained'))).not.toThrow();
    await vi.advanceTimersByTimeAsync(100);
    expect(logged.join('')).toContain('writing events failed');
    expect(events$.pending).toBe(1);
    events$.record(event('NodeDrained'));
    events.failing = false;
    await vi.advanceTimersByTimeAsync(999);
    expect(events.writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(events.writes).toHaveLength(1);
    expect(events.writes[0]?.map((row) => [row.reason, row.count])).toEqual([['NodeDrained', 2]]);
    expect(events$.pending).toBe(0);
  });

  it('holds at most maxPending distinct events while the database is down, dropping the oldest', async () => {
    const events = new FakeEvents();
    const { recorder: events$, logged } = recorder(events, { maxPending: 3 });
    events.failing = true;
    for (let i = 0; i < 5; i++) events$.record(event('NodeCordoned', { message: `try ${i}` }));
    expect(events$.pending).toBe(3);
    expect(events$.dropped).toBe(2);
    expect(logged.join('')).toContain('dropping the oldest');
    events.failing = false;
    await events$.close();
    expect(events.writes[0]?.map((row) => row.message)).toEqual(['try 2', 'try 3', 'try 4']);
  });

  it('writes what is left on close, without waiting for the interval', async () => {
    const events = new FakeEvents();
    const { recorder: events$ } = recorder(events);
    events$.record(event('ClusterDisconnected'));
    await events$.close();
    expect(events.writes.flat().map((row) => row.reason)).toEqual(['ClusterDisconnected']);
    events$.record(event('NodeCordoned'));
    await events$.flush();
    expect(events.writes.flat().map((row) => row.reason)).toEqual(['ClusterDisconnected', 'NodeCordoned']);
  });

  it("refuses a leader's events held mid-write once the lease moved: nothing written, never retried, the term told (ADR 0028)", async () => {
    vi.useRealTimers();
    const store = await Store.open({ url: ':memory:' });
    try {
      const LEASE = 'controller/cluster';
      expect(await store.leases.tryAcquire(LEASE, 'x', 1000, START)).toBe(true);
      const fence = { lease: LEASE, holder: 'x', transitions: (await store.leases.get(LEASE))!.transitions };
      const refusals: unknown[] = [];
      const term = { fence, refused: (error: FencedWriteRefused) => void refusals.push(error) };
      let hold: Promise<void> | undefined;
      let held = false;
      const events: Pick<EventRepository, 'fold'> = {
        fold: async (rows, writeFence) => {
          if (hold) {
            held = true;
            await hold;
          }
          return store.events.fold(rows, writeFence);
        },
      };
      const { recorder: events$ } = recorder(events as FakeEvents);
      events$.record(event('ClusterConnected'), term);
      await events$.flush();
      let release!: () => void;
      hold = new Promise<void>((resolve) => (release = resolve));
      events$.record(event('ClusterConnected'), term);
      events$.record(event('ClusterDisconnected'), term);
      events$.record(event('UserCreated'));
      const writing = events$.flush();
      for (let i = 0; i < 1000 && !held; i++) await new Promise((resolve) => setTimeout(resolve, 1));
      expect(held).toBe(true);
      // Another server takes the lease while the leader's events are in flight.
      expect(await store.leases.tryAcquire(LEASE, 'y', 1000, START + 2000)).toBe(true);
      release();
      await writing;
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toBeInstanceOf(FencedWriteRefused);
      hold = undefined;
      await events$.flush();
      expect(events$.pending).toBe(0);
      const stored = (await store.events.query({ limit: 10 })).items;
      // The term's first write stands; what it recorded after the lease moved does not; others' events do.
      expect(stored.map((e) => [e.reason, e.count]).sort()).toEqual([
        ['ClusterConnected', 1],
        ['UserCreated', 1],
      ]);
      expect(refusals).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
