import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WatchWorker, type Connection } from '@gantry/fleet';
import type { EventRecord, InventoryChange } from '@gantry/store';
import { startTestbed, type Testbed } from '@gantry/testbed';
import { eventually } from '../support/eventually.ts';

/** The fleet's watches in their worker thread, against a real API server: writes come back, a crash is survived. */
describe('fleet watch worker', () => {
  let bed: Testbed;
  let worker: WatchWorker;
  const replaced = new Map<string, number>();
  const upserts: InventoryChange[] = [];
  const events: EventRecord[] = [];
  let stateChanges = 0;

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 1, nodes: 2, progress: true });
    worker = new WatchWorker({
      inventory: {
        apply: (changes) => {
          upserts.push(...changes);
          return Promise.resolve();
        },
        replaceKind: (_cluster, kind, rows) => {
          replaced.set(kind, rows.length);
          return Promise.resolve();
        },
      },
      events: {
        upsert: (records) => {
          events.push(...records);
          return Promise.resolve();
        },
      },
      logger: pino({ level: 'silent' }),
      restartDelayMs: 200,
    });
  }, 600_000);

  afterAll(async () => {
    await worker?.close();
    await bed?.stop();
  });

  const synced = (connection: Connection) => Object.values(connection.state().kinds).every((kind) => kind.synced);

  it('syncs a cluster in the worker and writes what it found on this thread', async () => {
    const connection = worker.open({ cluster: 'sre/one', team: 'sre', kubeconfig: bed.clusters[0]!.kubeconfig, onStateChange: () => (stateChanges += 1) });
    await eventually(() => Promise.resolve(connection.state()), (state) => Object.values(state.kinds).every((kind) => kind.synced) && state.nodes === 2, 60_000);
    expect(replaced.get('Node')).toBe(2);
    expect(replaced.get('Namespace')).toBeGreaterThanOrEqual(4);
    expect(stateChanges).toBeGreaterThan(0);

    // A namespace created on the cluster arrives as an upsert.
    await bed.clusters[0]!.kubectl(['create', 'namespace', 'worker-watched']);
    await eventually(
      () => Promise.resolve(upserts),
      (changes) => changes.some((change) => change.op === 'upsert' && change.item.kind === 'Namespace' && change.item.name === 'worker-watched'),
      30_000,
    );
  });

  it('survives the worker dying: its clusters read as not synced with the reason, then sync again', async () => {
    const connection = worker.open({ cluster: 'sre/two', team: 'sre', kubeconfig: bed.clusters[0]!.kubeconfig });
    await eventually(() => Promise.resolve(synced(connection)), (ok) => ok, 60_000);
    replaced.clear();
    const reasons: string[] = [];
    const watching = setInterval(() => {
      const error = connection.state().kinds.Node.error;
      if (error) reasons.push(error);
    }, 5);
    await worker.crash();
    await eventually(() => Promise.resolve(reasons), (seen) => seen.length > 0, 10_000);
    expect(reasons[0]).toMatch(/watch worker stopped/);
    await eventually(() => Promise.resolve(synced(connection) && replaced.get('Node') === 2), (ok) => ok, 60_000);
    clearInterval(watching);
    await connection.stop();
  });

  it('reports a kubeconfig the worker cannot use on that cluster alone', async () => {
    const broken = worker.open({ cluster: 'sre/broken', team: 'sre', kubeconfig: 'apiVersion: v1\nkind: Config\n' });
    await eventually(() => Promise.resolve(broken.state().kinds.Pod.error), (error) => error !== undefined, 10_000);
    expect(broken.state().kinds.Pod).toMatchObject({ synced: false });
    await broken.stop();
  });
});
