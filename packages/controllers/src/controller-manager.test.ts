import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import type { ListPage, ListQuery, StoredChange } from '@gantry/store';
import { systemClock } from './clock.ts';
import type { Controller, ObjectKey, ReconcileResult } from './controller.ts';
import { ControllerManager } from './controller-manager.ts';
import type { ControllerMetrics } from './controller-metrics.ts';
import type { ChangeSource } from './controller-runner.ts';
import { MemoryLeaseStore } from './memory-lease-store.ts';

const TTL = 3000;
const RESYNC = 60_000;
const logger = pino({ level: 'silent' });
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

type Change = Pick<StoredChange, 'kind' | 'team' | 'name'> & Partial<Pick<StoredChange, 'type' | 'object'>>;

class FakeFeed implements ChangeSource {
  readonly listeners = new Set<(change: Change) => void>();
  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(change: Change): void {
    for (const listener of this.listeners) listener(change);
  }
}

/** Objects of several kinds, listed in (team, name) order with `next` paging like ResourceRepository. */
class FakeObjects {
  readonly objects: { kind: string; team: string; name: string }[] = [];
  listCalls = 0;
  failing = false;
  list(query: ListQuery): Promise<ListPage> {
    this.listCalls += 1;
    if (this.failing) return Promise.reject(new Error('database unavailable'));
    const matching = this.objects
      .filter((o) => o.kind === query.kind)
      .sort((x, y) => (x.team === y.team ? x.name.localeCompare(y.name) : x.team.localeCompare(y.team)))
      .filter(
        (o) =>
          !query.after ||
          o.team > query.after.team ||
          (o.team === query.after.team && o.name > query.after.name),
      );
    const page = matching.slice(0, query.limit);
    const last = page.at(-1);
    const items = page.map((o) => ({
      team: o.team,
      name: o.name,
      json: JSON.stringify({
        apiVersion: 'gantry.dev/v1alpha1',
        kind: o.kind,
        metadata: { name: o.name, ...(o.team ? { team: o.team } : {}) },
        spec: {},
      }),
    }));
    return Promise.resolve({
      items,
      resourceVersion: 1,
      ...(matching.length > query.limit && last ? { next: { team: last.team, name: last.name } } : {}),
    });
  }
}

class RecordingMetrics implements ControllerMetrics {
  readonly results: string[] = [];
  readonly leaderValues: number[] = [];
  depth = 0;
  reconciles = {
    inc: (labels: { controller: string; result: string }) => void this.results.push(labels.result),
  };
  reconcileDuration = { observe: () => undefined };
  queueDepth = { set: (_labels: { controller: string }, value: number) => void (this.depth = value) };
  leader = { set: (_labels: { controller: string }, value: number) => void this.leaderValues.push(value) };
  fenced = 0;
  fencedWrites = { inc: () => void (this.fenced += 1) };
}

/** A controller that records what it reconciles; `behaviour` decides each result. */
function recordingController(
  behaviour: (key: ObjectKey, attempt: number) => Promise<ReconcileResult> = () => Promise.resolve({}),
) {
  const seen: string[] = [];
  const attempts = new Map<string, number>();
  const controller: Controller = {
    name: 'widget',
    kind: 'Widget',
    reconcile: (_ctx, key) => {
      const id = key.team ? `${key.team}/${key.name}` : key.name;
      seen.push(id);
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      return behaviour(key, attempt);
    },
  };
  return { controller, seen };
}

function setup(
  controller: Controller,
  options: { holder?: string; store?: MemoryLeaseStore; feed?: FakeFeed; objects?: FakeObjects } = {},
) {
  const store = options.store ?? new MemoryLeaseStore();
  const feed = options.feed ?? new FakeFeed();
  const objects = options.objects ?? new FakeObjects();
  const metrics = new RecordingMetrics();
  const manager = new ControllerManager(
    { changes: feed, objects, leases: store },
    {
      holder: options.holder ?? 'a',
      leaseDurationMs: TTL,
      resyncIntervalMs: RESYNC,
      listPageSize: 2,
      clock: systemClock(),
      logger,
      metrics,
    },
  ).register(controller);
  return { manager, store, feed, objects, metrics };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ControllerManager', () => {
  it('on gaining leadership lists every object of its kind, page by page, and reconciles each', async () => {
    const { controller, seen } = recordingController();
    const objects = new FakeObjects();
    objects.objects.push(
      { kind: 'Widget', team: 'b', name: 'x' },
      { kind: 'Widget', team: 'a', name: 'y' },
      { kind: 'Widget', team: 'a', name: 'x' },
      { kind: 'Widget', team: '', name: 'global' },
      { kind: 'Widget', team: 'c', name: 'z' },
      { kind: 'Gadget', team: 'a', name: 'x' },
    );
    const { manager, metrics } = setup(controller, { objects });
    await manager.start();
    await settle();
    expect(seen).toEqual(['global', 'a/x', 'a/y', 'b/x', 'c/z']);
    expect(objects.listCalls).toBe(3); // pages of 2
    expect(manager.leading()).toEqual(['widget']);
    expect(metrics.leaderValues.at(-1)).toBe(1);
    await manager.stop();
    expect(metrics.leaderValues.at(-1)).toBe(0);
  });

  it('reconciles what the feed reports for its kind only', async () => {
    const { controller, seen } = recordingController();
    const { manager, feed } = setup(controller);
    await manager.start();
    await settle();
    feed.emit({ kind: 'Widget', team: 't', name: 'one' });
    feed.emit({ kind: 'Gadget', team: 't', name: 'two' });
    await settle();
    expect(seen).toEqual(['t/one']);
    await manager.stop();
  });

  it("starts the controller's own sources when it leads, and ends them with the lease", async () => {
    const { controller, seen } = recordingController();
    const terms: { enqueue: (key: ObjectKey) => void; signal: AbortSignal }[] = [];
    controller.onLeading = (term) => void terms.push(term);
    const { manager } = setup(controller);
    await manager.start();
    await settle();
    expect(terms).toHaveLength(1);
    terms[0]!.enqueue({ team: 'ext', name: 'from-a-watch' });
    await settle();
    expect(seen).toEqual(['ext/from-a-watch']);
    expect(terms[0]!.signal.aborted).toBe(false);
    await manager.stop();
    expect(terms[0]!.signal.aborted).toBe(true);
  });

  it('skips the changes its controller says need no reconcile', async () => {
    const { controller, seen } = recordingController();
    controller.ignore = ({ object }) => object.metadata.name === 'own-status-write';
    const { manager, feed } = setup(controller);
    await manager.start();
    await settle();
    const object = (name: string) => ({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Widget',
      metadata: {
        name,
        uid: 'u',
        resourceVersion: '1',
        generation: 1,
        creationTimestamp: '',
        updatedTimestamp: '',
      },
      spec: {},
    });
    feed.emit({
      kind: 'Widget',
      team: 't',
      name: 'own-status-write',
      type: 'MODIFIED',
      object: object('own-status-write'),
    });
    feed.emit({
      kind: 'Widget',
      team: 't',
      name: 'spec-change',
      type: 'MODIFIED',
      object: object('spec-change'),
    });
    await settle();
    expect(seen).toEqual(['t/spec-change']);
    await manager.stop();
  });

  it('resyncs: enqueues everything again every resync interval', async () => {
    const { controller, seen } = recordingController();
    const objects = new FakeObjects();
    objects.objects.push({ kind: 'Widget', team: '', name: 'w' });
    const { manager } = setup(controller, { objects });
    await manager.start();
    await settle();
    expect(seen).toEqual(['w']);
    await vi.advanceTimersByTimeAsync(RESYNC - 1);
    expect(seen).toEqual(['w']);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual(['w', 'w']);
    await vi.advanceTimersByTimeAsync(RESYNC);
    expect(seen).toEqual(['w', 'w', 'w']);
    await manager.stop();
  });

  it('retries the first listing sooner when it fails', async () => {
    const { controller, seen } = recordingController();
    const objects = new FakeObjects();
    objects.objects.push({ kind: 'Widget', team: '', name: 'w' });
    objects.failing = true;
    const { manager } = setup(controller, { objects });
    await manager.start();
    await settle();
    objects.failing = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual(['w']);
    await manager.stop();
  });

  it('requeues a failed reconcile with growing backoff and counts errors, then succeeds', async () => {
    const { controller, seen } = recordingController((_key, attempt) =>
      attempt <= 3 ? Promise.reject(new Error('not yet')) : Promise.resolve({}),
    );
    const { manager, feed, metrics } = setup(controller);
    await manager.start();
    await settle();
    feed.emit({ kind: 'Widget', team: '', name: 'w' });
    await settle();
    expect(seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5);
    expect(seen).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(9);
    expect(seen).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(20);
    expect(seen).toHaveLength(4);
    expect(metrics.results).toEqual(['error', 'error', 'error', 'success']);
    await vi.advanceTimersByTimeAsync(RESYNC - 100);
    expect(seen).toHaveLength(4);
    await manager.stop();
  });

  it('looks again after requeueAfterMs when the reconcile asks for it', async () => {
    const { controller, seen } = recordingController((_key, attempt) =>
      Promise.resolve(attempt === 1 ? { requeueAfterMs: 2000 } : {}),
    );
    const { manager, feed, metrics } = setup(controller);
    await manager.start();
    feed.emit({ kind: 'Widget', team: '', name: 'w' });
    await settle();
    await vi.advanceTimersByTimeAsync(1999);
    expect(seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toHaveLength(2);
    expect(metrics.results).toEqual(['requeue', 'success']);
    await manager.stop();
  });

  it('stops reconciling as soon as it loses the lease, and starts over with a full list when it regains it', async () => {
    const { controller, seen } = recordingController();
    const objects = new FakeObjects();
    objects.objects.push({ kind: 'Widget', team: '', name: 'w' });
    const { manager, store, feed, metrics } = setup(controller, { objects });
    await manager.start();
    await settle();
    expect(seen).toEqual(['w']);

    store.mode = 'fail';
    await vi.advanceTimersByTimeAsync((3 * TTL) / 4); // the renew deadline (ADR 0029)
    expect(manager.leading()).toEqual([]);
    expect(metrics.leaderValues.at(-1)).toBe(0);
    feed.emit({ kind: 'Widget', team: '', name: 'w' });
    feed.emit({ kind: 'Widget', team: '', name: 'v' });
    await vi.advanceTimersByTimeAsync(2 * RESYNC);
    expect(seen).toEqual(['w']);

    store.mode = 'ok';
    await vi.advanceTimersByTimeAsync(TTL / 3);
    await settle();
    expect(manager.leading()).toEqual(['widget']);
    expect(seen).toEqual(['w', 'w']);
    await manager.stop();
  });

  it('lets a reconcile in flight finish (told by its signal) before the lease goes to the next holder', async () => {
    let release!: () => void;
    let signal: AbortSignal | undefined;
    const controller: Controller = {
      name: 'widget',
      kind: 'Widget',
      reconcile: (ctx) => {
        signal = ctx.signal;
        return new Promise((resolve) => (release = () => resolve({})));
      },
    };
    const { manager, store, feed } = setup(controller);
    await manager.start();
    feed.emit({ kind: 'Widget', team: '', name: 'w' });
    await settle();
    const stopping = manager.stop();
    await settle();
    expect(signal?.aborted).toBe(true);
    expect(store.leases.get('controller/widget')!.expiresAt).toBeGreaterThan(0);
    release();
    await stopping;
    expect(store.leases.get('controller/widget')!.expiresAt).toBe(0);
  });

  it('runs each controller on one server only: the other takes over when the holder stops', async () => {
    const store = new MemoryLeaseStore();
    const feed = new FakeFeed();
    const objects = new FakeObjects();
    objects.objects.push({ kind: 'Widget', team: '', name: 'w' });
    const a = recordingController();
    const b = recordingController();
    const serverA = setup(a.controller, { holder: 'a', store, feed, objects });
    const serverB = setup(b.controller, { holder: 'b', store, feed, objects });
    await serverA.manager.start();
    await serverB.manager.start();
    await settle();
    feed.emit({ kind: 'Widget', team: '', name: 'x' });
    await vi.advanceTimersByTimeAsync(TTL);
    expect(a.seen).toEqual(['w', 'x']);
    expect(b.seen).toEqual([]);

    await serverA.manager.stop();
    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(serverB.manager.leading()).toEqual(['widget']);
    expect(b.seen).toEqual(['w']);
    await serverB.manager.stop();
  });

  it('refuses two controllers with one name', () => {
    const { controller } = recordingController();
    const { manager } = setup(controller);
    expect(() => manager.register(controller)).toThrow(/already registered/);
  });
});
