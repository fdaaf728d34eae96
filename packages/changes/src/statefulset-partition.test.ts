import { describe, expect, it } from 'vitest';
import type { KubeClient } from '@gantry/fleet';
import {
  holdPartitions,
  PARTITION_FIELD_MANAGER,
  releasePartitions,
  repairStatefulSets,
  stepPartitions,
} from './statefulset-partition.ts';

interface Sts {
  metadata: { name: string; namespace: string; generation: number; annotations: Record<string, string> };
  spec: { replicas: number; updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } } };
  status: { observedGeneration: number; updatedReplicas: number; readyReplicas: number };
}

/** StatefulSets of one namespace: list by label, merge patches of the update strategy; every PATCH recorded. */
class StatefulSets implements KubeClient {
  readonly server = 'https://sts.test';
  readonly patches: { name: string; partition: number; manager: string | null; contentType?: string }[] = [];
  constructor(readonly items: Sts[]) {}

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { contentType?: string } = {},
  ): Promise<T> {
    const url = new URL(path, this.server);
    if (method === 'GET') {
      expect(url.searchParams.get('labelSelector')).toBe('app.gantry.dev/name=db');
      return { items: structuredClone(this.items) } as T;
    }
    const name = url.pathname.split('/').at(-1)!;
    const sts = this.items.find((item) => item.metadata.name === name)!;
    const partition = (body as { spec: { updateStrategy: { rollingUpdate: { partition: number } } } }).spec
      .updateStrategy.rollingUpdate.partition;
    sts.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition } };
    sts.metadata.generation += 1;
    this.patches.push({
      name,
      partition,
      manager: url.searchParams.get('fieldManager'),
      ...(options.contentType ? { contentType: options.contentType } : {}),
    });
    return structuredClone(sts) as T;
  }

  watch(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}

  /** Plays the StatefulSet controller: pods from the partition up run the template, all ready. */
  settle(): void {
    for (const sts of this.items) {
      const partition = sts.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
      sts.status = {
        observedGeneration: sts.metadata.generation,
        updatedReplicas: sts.spec.replicas - partition,
        readyReplicas: sts.spec.replicas,
      };
    }
  }
}

const sts = (revision: string): Sts => ({
  metadata: {
    name: 'db',
    namespace: 'shop',
    generation: 3,
    annotations: { 'app.gantry.dev/revision': revision },
  },
  spec: { replicas: 3 },
  status: { observedGeneration: 3, updatedReplicas: 3, readyReplicas: 3 },
});

describe('StatefulSet partitions', () => {
  it('holds every pod before the pin, then lowers the partition one observed step at a time', async () => {
    const client = new StatefulSets([sts('1')]);
    expect(await holdPartitions(client, 'shop', 'db', 2)).toBe(1);
    expect(client.patches).toEqual([
      {
        name: 'db',
        partition: 3,
        manager: PARTITION_FIELD_MANAGER,
        contentType: 'application/merge-patch+json',
      },
    ]);
    // Not at revision 2 yet (the controller has not applied it): nothing moves.
    expect((await stepPartitions(client, 'shop', 'db', 2, 1))[0]).toMatchObject({
      done: false,
      partition: 3,
    });
    // The controller applies revision 2: the template changes, no pod does (partition 3).
    client.items[0]!.metadata.annotations['app.gantry.dev/revision'] = '2';
    client.items[0]!.metadata.generation += 1;
    const partitions: number[] = [];
    for (let look = 0; look < 12; look++) {
      const [state] = await stepPartitions(client, 'shop', 'db', 2, 1);
      partitions.push(state!.partition);
      if (state!.done) break;
      // Looking again before the controller catches up moves nothing.
      const [again] = await stepPartitions(client, 'shop', 'db', 2, 1);
      expect(again!.partition).toBe(state!.partition);
      client.settle();
    }
    expect(partitions).toEqual([3, 2, 1, 0, 0]);
    expect(client.patches.map((patch) => patch.partition)).toEqual([3, 2, 1, 0]);
  });

  it('leaves a StatefulSet at the revision where its steps brought it (a repeated apply)', async () => {
    const client = new StatefulSets([sts('2')]);
    client.items[0]!.spec.updateStrategy = { rollingUpdate: { partition: 1 } };
    expect(await holdPartitions(client, 'shop', 'db', 2)).toBe(0);
    expect(client.patches).toEqual([]);
  });

  it('releases the partition at once on an undo, and leaves OnDelete StatefulSets alone', async () => {
    const held = sts('2');
    held.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 2 } };
    const onDelete = { ...sts('1'), metadata: { ...sts('1').metadata, name: 'cache' } };
    onDelete.spec.updateStrategy = { type: 'OnDelete' };
    const client = new StatefulSets([held, onDelete]);
    await releasePartitions(client, 'shop', 'db');
    expect(client.patches.map((patch) => [patch.name, patch.partition])).toEqual([['db', 0]]);
    expect(await holdPartitions(client, 'shop', 'db', 3)).toBe(1);
    expect(client.patches.map((patch) => patch.name)).toEqual(['db', 'db']);
  });

  it('deletes the unready pods of the undone revision once the StatefulSet has seen its reverted template', async () => {
    const calls: string[] = [];
    const set = {
      ...sts('2'),
      status: { observedGeneration: 3, updatedReplicas: 1, readyReplicas: 1, updateRevision: 'db-good' },
    };
    const pod = (name: string, hash: string, ready: boolean) => ({
      metadata: {
        name,
        labels: { 'controller-revision-hash': hash },
        ownerReferences: [{ kind: 'StatefulSet', name: 'db' }],
      },
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    });
    const client: KubeClient = {
      server: 'https://pods.test',
      request: async <T>(method: string, path: string): Promise<T> => {
        calls.push(`${method} ${path.split('?')[0]}`);
        if (path.includes('/statefulsets')) return { items: [set] } as T;
        return {
          items: [pod('db-0', 'db-good', true), pod('db-1', 'db-bad', false), pod('db-2', 'db-good', false)],
        } as T;
      },
      watch: () => Promise.resolve(),
      close: () => undefined,
    };
    expect(await repairStatefulSets(client, 'shop', 'db')).toEqual(['db-1']);
    expect(calls.filter((call) => call.startsWith('DELETE'))).toEqual([
      'DELETE /api/v1/namespaces/shop/pods/db-1',
    ]);
    // Not yet seen by its controller: nothing is deleted (the pod might be of the reverted template).
    set.metadata.generation = 4;
    expect(await repairStatefulSets(client, 'shop', 'db')).toEqual([]);
  });
});
