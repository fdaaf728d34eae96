import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { systemClock } from './clock.ts';
import { LeaderElector, leaseTimings } from './leader-election.ts';
import { MemoryLeaseStore } from './memory-lease-store.ts';

const TTL = 3000;
const { takeoverMarginMs } = leaseTimings(TTL);
const logger = pino({ level: 'silent' });
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function elector(store: MemoryLeaseStore, holder: string, events: string[] = []) {
  return new LeaderElector(store, {
    leaseName: 'controller/test',
    holder,
    leaseDurationMs: TTL,
    clock: systemClock(),
    logger,
    onStartedLeading: () => {
      events.push(`${holder} started`);
    },
    onStoppedLeading: (reason) => {
      events.push(`${holder} stopped: ${reason}`);
    },
  });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LeaderElector', () => {
  it('lets exactly one of two candidates lead, renewing every quarter of the lease', async () => {
    const store = new MemoryLeaseStore();
    const events: string[] = [];
    const a = elector(store, 'a', events);
    const b = elector(store, 'b', events);
    await a.start();
    await b.start();
    await settle();
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(events).toEqual(['a started']);

    store.calls = 0;
    await vi.advanceTimersByTimeAsync(10 * TTL);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(store.calls).toBe(2 * 40); // both try every TTL/4 (the lease b reads never expires sooner)
    expect(store.holder('controller/test')).toBe('a');
    await a.stop();
    await b.stop();
  });

  it('hands the lease over within a quarter of the lease when the holder stops', async () => {
    const store = new MemoryLeaseStore();
    const events: string[] = [];
    const a = elector(store, 'a', events);
    const b = elector(store, 'b', events);
    await a.start();
    await b.start();
    await a.stop();
    expect(events).toEqual(['a started', 'a stopped: shutting down']);
    const stoppedAt = Date.now();
    while (!b.isLeader()) await vi.advanceTimersByTimeAsync(10);
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(TTL / 4);
    expect(store.holder('controller/test')).toBe('b');
    expect(store.leases.get('controller/test')?.transitions).toBe(1);
    await b.stop();
  });

  it('a dead holder (no release) is replaced as soon as its lease expires, plus the margin', async () => {
    const store = new MemoryLeaseStore();
    const a = elector(store, 'a');
    await a.start();
    // "a" dies: simulate by taking its lease renewals away from the store only for it.
    const tryAcquire = store.tryAcquire.bind(store);
    store.tryAcquire = (name, holder, ttl, now) =>
      holder === 'a' ? new Promise(() => undefined) : tryAcquire(name, holder, ttl, now);
    await vi.advanceTimersByTimeAsync(TTL / 4); // its renewal hangs from here
    const diedAt = Date.now() - TTL / 4;
    const b = elector(store, 'b');
    await b.start();
    while (!b.isLeader()) await vi.advanceTimersByTimeAsync(1);
    const failover = Date.now() - diedAt;
    expect(failover).toBeGreaterThan(TTL);
    // Polling every TTL/4 would have found it up to TTL/4 late; b woke up when the lease expired.
    expect(failover).toBeLessThanOrEqual(TTL + takeoverMarginMs + 1);
    expect(a.isLeader()).toBe(false);
    await b.stop();
  });

  it('steps down on its own when renewals hang, before anyone else may take the lease', async () => {
    const store = new MemoryLeaseStore();
    const events: string[] = [];
    const a = elector(store, 'a', events);
    await a.start();
    const renewedAt = store.leases.get('controller/test')!.renewedAt;
    const expiresAt = store.leases.get('controller/test')!.expiresAt;
    store.mode = 'hang';
    while (a.isLeader()) await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(Date.now() - renewedAt).toBe((3 * TTL) / 4);
    expect(Date.now()).toBeLessThanOrEqual(expiresAt - TTL / 4);
    expect(events).toEqual(['a started', 'a stopped: the lease could not be renewed in time']);
  });

  it('keeps leading through one failed renewal, and steps down when renewals keep failing', async () => {
    const store = new MemoryLeaseStore();
    const events: string[] = [];
    const a = elector(store, 'a', events);
    await a.start();
    store.mode = 'fail';
    await vi.advanceTimersByTimeAsync(TTL / 4 + 1); // one failed renewal
    expect(a.isLeader()).toBe(true);
    store.mode = 'ok';
    await vi.advanceTimersByTimeAsync(TTL / 8); // the quick retry succeeds
    expect(a.isLeader()).toBe(true);
    store.mode = 'fail';
    await vi.advanceTimersByTimeAsync(TTL);
    expect(a.isLeader()).toBe(false);
    expect(events.at(-1)).toBe('a stopped: the lease could not be renewed in time');
    store.mode = 'ok';
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(a.isLeader()).toBe(true);
    expect(events.at(-1)).toBe('a started');
    await a.stop();
  });

  it('steps down at once when another holder has the lease', async () => {
    const store = new MemoryLeaseStore();
    const events: string[] = [];
    const a = elector(store, 'a', events);
    await a.start();
    store.leases.set('controller/test', {
      name: 'controller/test',
      holder: 'x',
      expiresAt: Date.now() + 60_000,
      renewedAt: Date.now(),
      transitions: 1,
    });
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(a.isLeader()).toBe(false);
    expect(events.at(-1)).toBe('a stopped: another server holds the lease');
    await a.stop();
    expect(store.holder('controller/test')).toBe('x');
  });

  it('waits for the stop callback before releasing, and before starting a new term', async () => {
    const store = new MemoryLeaseStore();
    const order: string[] = [];
    let finishStop!: () => void;
    const a = new LeaderElector(store, {
      leaseName: 'controller/test',
      holder: 'a',
      leaseDurationMs: TTL,
      clock: systemClock(),
      logger,
      onStartedLeading: () => {
        order.push('start');
      },
      onStoppedLeading: () =>
        new Promise<void>((resolve) => {
          order.push('stopping');
          finishStop = () => {
            order.push('stopped');
            resolve();
          };
        }),
    });
    await a.start();
    const stopping = a.stop();
    await settle();
    expect(order).toEqual(['start', 'stopping']);
    expect(store.leases.get('controller/test')!.expiresAt).toBeGreaterThan(0);
    finishStop();
    await stopping;
    expect(store.leases.get('controller/test')!.expiresAt).toBe(0);
  });
});
