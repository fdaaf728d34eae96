import { describe, expect, it } from 'vitest';
import { KubeApiError, type KubeClient, type KubeObject, type WatchEvent } from './kube-client.ts';
import { Reflector } from './reflector.ts';

const node = (name: string, resourceVersion: string): KubeObject => ({
  metadata: { name, uid: name, resourceVersion },
});

/** A scripted API server: each list and watch call takes the next step of its script. */
function fakeClient(script: {
  lists: (() => { items: KubeObject[]; rv: string })[];
  watches: ((params: Record<string, string>, emit: (e: WatchEvent) => void) => void)[];
}) {
  const calls: string[] = [];
  const client: KubeClient = {
    server: 'https://fake',
    close: () => undefined,
    request: <T>() => {
      const next = script.lists.shift();
      calls.push('list');
      if (!next) return Promise.reject(new Error('no more lists'));
      const { items, rv } = next();
      return Promise.resolve({ metadata: { resourceVersion: rv }, items } as T);
    },
    watch: (_path, params, onEvent) => {
      calls.push(`watch@${params.resourceVersion}`);
      const next = script.watches.shift();
      if (!next) return new Promise(() => undefined);
      try {
        next(params, onEvent);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
  };
  return { client, calls };
}

describe('reflector', () => {
  it('lists, watches from the list version, resumes after a closed watch, and relists only on 410', async () => {
    const state = new Map<string, string>();
    const errors: unknown[] = [];
    const controller = new AbortController();
    const { client, calls } = fakeClient({
      lists: [
        () => ({ items: [node('a', '5'), node('b', '6')], rv: '10' }),
        () => ({ items: [node('c', '40')], rv: '40' }),
      ],
      watches: [
        (_p, emit) => {
          emit({ type: 'MODIFIED', object: node('a', '11') });
          emit({ type: 'BOOKMARK', object: node('', '15') });
        },
        (_p, emit) => {
          emit({ type: 'DELETED', object: node('b', '16') });
          throw new KubeApiError('connection reset', 0, 'ECONNRESET');
        },
        () => {
          throw new KubeApiError('too old resource version', 410, 'Expired');
        },
        () => controller.abort(),
      ],
    });
    const reflector = new Reflector(
      client,
      {
        page: (items, first) => {
          if (first) state.clear();
          for (const item of items) state.set(item.metadata.name, item.metadata.resourceVersion!);
        },
        replaced: () => undefined,
        upsert: (object) => state.set(object.metadata.name, object.metadata.resourceVersion!),
        remove: (object) => state.delete(object.metadata.name),
        failed: (error) => errors.push(error),
        synced: () => undefined,
      },
      {
        path: '/api/v1/nodes',
        pageSize: 500,
        watchTimeoutSeconds: 300,
        backoff: { baseMs: 1, maxMs: 1 },
        sleep: () => Promise.resolve(),
      },
    );
    await reflector.run(controller.signal);
    expect(calls).toEqual(['list', 'watch@10', 'watch@15', 'watch@16', 'list', 'watch@40']);
    expect([...state]).toEqual([['c', '40']]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as KubeApiError).reason).toBe('ECONNRESET');
  });
});
