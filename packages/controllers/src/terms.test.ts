import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { FencedWriteRefused, type ListPage } from '@gantry/store';
import { systemClock } from './clock.ts';
import type { Controller, ObjectKey } from './controller.ts';
import { ControllerManager } from './controller-manager.ts';
import { noopControllerMetrics, type ReconcileOutcome } from './controller-metrics.ts';
import { MemoryLeaseStore } from './memory-lease-store.ts';
import { termElector } from './term-elector.ts';
import { TermScope } from './term-scope.ts';

const TTL = 3000;
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('TermScope', () => {
  it('keeps one instance per name for the term, and drops them all when it ends', () => {
    const scope = new TermScope({ fence: { lease: 'controller/x', holder: 'a', transitions: 3 } });
    const first = scope.cache('latest', () => new Map<string, number>());
    first.set('hello', 7);
    expect(scope.cache('latest', () => new Map<string, number>())).toBe(first);
    const ended: string[] = [];
    scope.onEnd(() => ended.push('watches'));
    scope.onEnd(() => ended.push('sessions'));
    expect(scope.signal.aborted).toBe(false);
    scope.end();
    expect(scope.signal.aborted).toBe(true);
    expect(ended).toEqual(['sessions', 'watches']);
    // Late work of an ended term gets a fresh instance nobody else reads.
    const late = scope.cache('latest', () => new Map<string, number>());
    expect(late).not.toBe(first);
    expect(late.size).toBe(0);
    expect(scope.cache('latest', () => new Map<string, number>())).not.toBe(late);
    let ranLate = false;
    scope.onEnd(() => (ranLate = true));
    expect(ranLate).toBe(true);
  });

  it('runs every cleanup even when one throws, and reports it', () => {
    const errors: unknown[] = [];
    const scope = new TermScope({ onCleanupError: (error) => errors.push(error) });
    let second = false;
    scope.onEnd(() => (second = true));
    scope.onEnd(() => {
      throw new Error('boom');
    });
    scope.end();
    expect(second).toBe(true);
    expect(errors).toHaveLength(1);
  });
});

/** A controller whose reconciles remember which term they ran in; `refuse` makes them throw as a fenced store would. */
function termController() {
  const seen: { key: string; term: TermScope }[] = [];
  let refuse = false;
  const controller: Controller = {
    name: 'widget',
    kind: 'Widget',
    reconcile: (ctx, key: ObjectKey) => {
      seen.push({ key: key.name, term: ctx.term });
      ctx.term.cache('visits', () => [] as string[]).push(key.name);
      if (refuse && ctx.term.fence)
        return Promise.reject(new FencedWriteRefused(ctx.term.fence, { holder: 'b', transitions: 9 }));
      return Promise.resolve({});
    },
  };
  return {
    controller,
    seen,
    refuseWrites: (value: boolean) => (refuse = value),
  };
}

function setup(controller: Controller, leases: MemoryLeaseStore) {
  const lines: { msg: string; controller?: string }[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) },
  );
  const outcomes: ReconcileOutcome[] = [];
  let fenced = 0;
  const objects = {
    list: (): Promise<ListPage> =>
      Promise.resolve({
        items: ['one', 'two'].map((name) => ({ team: 't', name, json: '{}' })),
        resourceVersion: 1,
      }),
  };
  const manager = new ControllerManager(
    { changes: { subscribe: () => () => undefined }, objects, leases },
    {
      holder: 'a',
      leaseDurationMs: TTL,
      clock: systemClock(),
      logger,
      metrics: {
        ...noopControllerMetrics,
        reconciles: { inc: ({ result }) => void outcomes.push(result) },
        fencedWrites: { inc: () => void (fenced += 1) },
      },
    },
  ).register(controller);
  return { manager, lines, outcomes, fenced: () => fenced };
}

/** What another server's take-over does to the lease row. */
function takeOver(leases: MemoryLeaseStore, holder: string): void {
  const lease = leases.leases.get('controller/widget')!;
  leases.leases.set('controller/widget', {
    ...lease,
    holder,
    transitions: lease.transitions + 1,
    expiresAt: Date.now() + TTL,
    renewedAt: Date.now(),
  });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('controller terms', () => {
  it('gives each term a fresh scope fenced by the lease row, and keeps nothing of an earlier term', async () => {
    const leases = new MemoryLeaseStore();
    const { controller, seen } = termController();
    const { manager } = setup(controller, leases);
    await manager.start();
    await settle();
    const first = seen[0]!.term;
    expect(first.fence).toEqual({ lease: 'controller/widget', holder: 'a', transitions: 0 });
    expect(first.cache('visits', () => [] as string[])).toEqual(['one', 'two']);

    // Another server takes the lease; at its next attempt this one steps down and the term ends.
    takeOver(leases, 'b');
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(manager.leading()).toEqual([]);
    expect(first.ended).toBe(true);

    // ... and takes it back: a new term, a new fence, empty caches.
    takeOver(leases, 'a');
    await vi.advanceTimersByTimeAsync(TTL / 3);
    await settle();
    expect(manager.leading()).toEqual(['widget']);
    const second = seen.at(-1)!.term;
    expect(second).not.toBe(first);
    expect(second.fence).toEqual({ lease: 'controller/widget', holder: 'a', transitions: 2 });
    expect(second.cache('visits', () => [] as string[])).toEqual(['one', 'two']);
    await manager.stop();
    expect(second.ended).toBe(true);
  });

  it('stops the term at a refused write, counts each refusal, logs once per term, and starts no new term while the lease row names the refused term', async () => {
    const leases = new MemoryLeaseStore();
    const { controller, seen, refuseWrites } = termController();
    const { manager, lines, outcomes, fenced } = setup(controller, leases);
    refuseWrites(true);
    await manager.start();
    await settle();
    // Both keys were in flight together (concurrency 2): both refused, one log line.
    expect(outcomes).toEqual(['fenced', 'fenced']);
    expect(fenced()).toBe(2);
    expect(lines.filter((line) => line.msg.startsWith('a write was refused'))).toHaveLength(1);
    const term = seen[0]!.term;
    expect(term.ended).toBe(true);

    // The lease row still names the refused term (the refusal was the test's doing): no term restarts in a loop.
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toHaveLength(2);

    // Another server takes the lease: this one steps down at its next attempt, and nothing more runs.
    takeOver(leases, 'b');
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(manager.leading()).toEqual([]);
    expect(seen).toHaveLength(2);

    // The other server goes quiet: its lease expires and this one takes it over, in a new term. It works
    // again, and a refusal there is logged again, once.
    await vi.advanceTimersByTimeAsync(TTL);
    await settle();
    expect(seen).toHaveLength(4);
    expect(seen[2]!.term.fence?.transitions).toBe(2);
    expect(fenced()).toBe(4);
    expect(lines.filter((line) => line.msg.startsWith('a write was refused'))).toHaveLength(2);
    refuseWrites(false);
    await manager.stop();
  });
  it('ends the term when a refusal comes from outside a reconcile (a watch, a later event write): counted, logged once', async () => {
    const leases = new MemoryLeaseStore();
    const { controller, seen } = termController();
    const { manager, lines, outcomes, fenced } = setup(controller, leases);
    await manager.start();
    await settle();
    expect(outcomes).toEqual(['success', 'success']);
    const term = seen[0]!.term;
    const refusal = new FencedWriteRefused(term.fence!, { holder: 'b', transitions: 9 });
    term.refused(refusal);
    term.refused(refusal);
    await settle();
    expect(term.ended).toBe(true);
    expect(fenced()).toBe(2);
    expect(lines.filter((line) => line.msg.startsWith('a write was refused'))).toHaveLength(1);
    // The lease row still names the refused term: no new term starts.
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toHaveLength(2);
    await manager.stop();
  });
});

describe('termElector', () => {
  it('gives each term of a lease of its own a scope with the fence, ended before onStoppedLeading', async () => {
    const leases = new MemoryLeaseStore();
    const scopes: TermScope[] = [];
    const stopped: boolean[] = [];
    const elector = termElector(leases, {
      leaseName: 'controller/widget',
      holder: 'a',
      leaseDurationMs: TTL,
      clock: systemClock(),
      logger: pino({ level: 'silent' }),
      onStartedLeading: (scope) => void scopes.push(scope),
      onStoppedLeading: () => void stopped.push(scopes.at(-1)!.ended),
    });
    await elector.start();
    await settle();
    expect(scopes).toHaveLength(1);
    expect(scopes[0]!.fence).toEqual({ lease: 'controller/widget', holder: 'a', transitions: 0 });
    await expect(scopes[0]!.confirm()).resolves.toBeUndefined();
    takeOver(leases, 'b');
    await expect(scopes[0]!.confirm()).rejects.toBeInstanceOf(FencedWriteRefused);
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(stopped).toEqual([true]);
    // b goes quiet; a takes the lease over in a new term.
    await vi.advanceTimersByTimeAsync(TTL);
    await settle();
    expect(scopes).toHaveLength(2);
    expect(scopes[1]!.fence?.transitions).toBe(2);
    await elector.stop();
    expect(scopes[1]!.ended).toBe(true);
  });

  it('ends a term whose write was refused at once: counted, logged once, stopped, and restarted only in a newer term', async () => {
    const leases = new MemoryLeaseStore();
    const scopes: TermScope[] = [];
    const stops: string[] = [];
    const counted: string[] = [];
    const lines: { msg: string }[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) },
    );
    const elector = termElector(leases, {
      leaseName: 'controller/widget',
      holder: 'a',
      leaseDurationMs: TTL,
      clock: systemClock(),
      logger,
      metrics: { fencedWrites: { inc: ({ controller }) => void counted.push(controller) } },
      onStartedLeading: (scope) => void scopes.push(scope),
      onStoppedLeading: (reason) => void stops.push(reason),
    });
    await elector.start();
    await settle();
    const first = scopes[0]!;
    // Another server took the lease; two writes of the term in flight are refused before a renewal notices.
    takeOver(leases, 'b');
    for (let i = 0; i < 2; i++) first.refused(new FencedWriteRefused(first.fence!, undefined));
    await settle();
    expect(first.ended).toBe(true);
    expect(stops).toEqual(['fenced']);
    expect(counted).toEqual(['controller/widget', 'controller/widget']);
    expect(lines.filter((line) => line.msg.startsWith('a write was refused'))).toHaveLength(1);
    // The row names b: no new term starts, and the renewal that finds b stops nothing twice.
    expect(scopes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(stops).toEqual(['fenced']);
    // b goes quiet; a takes the lease over: a new term, whose refusal is logged again.
    await vi.advanceTimersByTimeAsync(TTL);
    await settle();
    expect(scopes).toHaveLength(2);
    expect(scopes[1]!.fence?.transitions).toBe(2);
    await elector.stop();
  });
});
