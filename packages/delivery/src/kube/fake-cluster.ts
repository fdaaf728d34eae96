import { KubeApiError, type KubeClient, type KubeObject, type WatchEvent } from '@gantry/fleet';
import { APPS_V1, BATCH_V1, CORE_V1 } from './fake-kube-client.ts';

/**
 * An in-memory API server for unit tests of delivery: discovery documents, server-side apply (the
 * body replaces the object; generation moves with its spec), get, delete, and list-then-watch of
 * collections, with watches told of every change at once. Tests play the cluster's controllers with
 * `setStatus`, make it unreachable with `reachable = false`, and refuse objects with `refuse`.
 */
export class FakeCluster implements KubeClient {
  readonly server: string;
  /** Every request, as `METHOD path` (query dropped), in order. */
  readonly calls: string[] = [];
  reachable = true;
  readonly #objects = new Map<string, KubeObject>();
  readonly #watches = new Set<{ collection: string; onEvent: (event: WatchEvent) => void }>();
  readonly #refused = new Map<string, string>();
  readonly #discovery: Map<string, { name: string; kind: string; namespaced: boolean }[]>;
  #version = 1;
  #uid = 0;

  constructor(
    name: string,
    extra: Record<string, { name: string; kind: string; namespaced: boolean }[]> = {},
  ) {
    this.server = `https://${name}.fake`;
    this.#discovery = new Map(
      Object.entries({
        '/api/v1': CORE_V1,
        '/apis/apps/v1': APPS_V1,
        '/apis/batch/v1': BATCH_V1,
        '/apis/policy/v1': [{ name: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true }],
        ...extra,
      }),
    );
  }

  /** Applies of `path` (an object's path) fail with a 422 and this message. */
  refuse(path: string, message: string): void {
    this.#refused.set(path, message);
  }

  /** The stored object at `path`, e.g. `/apis/apps/v1/namespaces/shop/deployments/web`. */
  object(path: string): KubeObject | undefined {
    return this.#objects.get(path);
  }

  paths(): string[] {
    return [...this.#objects.keys()].sort();
  }

  /** Plays the object's controller: sets its status, as a watch then reports. */
  setStatus(path: string, status: Record<string, unknown>): void {
    const object = this.#objects.get(path);
    if (!object) throw new Error(`no object at ${path}`);
    this.#store(path, { ...object, status }, 'MODIFIED');
  }

  /** Calls of `method` since `from` (an index into calls). */
  callsOf(method: string, from = 0): string[] {
    return this.calls.slice(from).filter((call) => call.startsWith(`${method} `));
  }

  async request<T>(method: string, url: string, body?: unknown): Promise<T> {
    const [path = ''] = url.split('?');
    this.calls.push(`${method} ${path}`);
    if (!this.reachable) throw new KubeApiError(`connect ECONNREFUSED ${this.server}`, 0, 'ECONNREFUSED');
    const discovery = this.#discovery.get(path);
    if (method === 'GET' && discovery) return { kind: 'APIResourceList', resources: discovery } as T;
    const parsed = parsePath(path);
    if (!parsed) throw notFound(path);
    if (method === 'GET' && parsed.name === undefined) return this.#list(parsed.collection) as T;
    const existing = this.#objects.get(path);
    if (method === 'GET') {
      if (!existing) throw notFound(path);
      return structuredClone(existing) as T;
    }
    if (method === 'DELETE') {
      if (!existing) throw notFound(path);
      this.#objects.delete(path);
      this.#notify(path, 'DELETED', existing);
      return { kind: 'Status', status: 'Success' } as T;
    }
    if (method === 'PATCH') {
      const refused = this.#refused.get(path);
      if (refused) throw new KubeApiError(`422 Invalid: ${refused}`, 422, 'Invalid');
      return structuredClone(this.#apply(path, body as KubeObject, existing)) as T;
    }
    throw new KubeApiError(`405 MethodNotAllowed: ${method}`, 405, 'MethodNotAllowed');
  }

  async watch(
    path: string,
    _params: Record<string, string>,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    if (!this.reachable) throw new KubeApiError(`connect ECONNREFUSED ${this.server}`, 0, 'ECONNREFUSED');
    const watch = { collection: path, onEvent };
    this.#watches.add(watch);
    await new Promise<void>((resolve) =>
      signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    this.#watches.delete(watch);
  }

  close(): void {}

  #apply(path: string, body: KubeObject, existing: KubeObject | undefined): KubeObject {
    const specChanged = !existing || JSON.stringify(existing.spec) !== JSON.stringify(body.spec);
    const generation =
      ((existing?.metadata as { generation?: number } | undefined)?.generation ?? 0) + (specChanged ? 1 : 0);
    const object: KubeObject = {
      ...body,
      metadata: {
        ...body.metadata,
        uid: existing?.metadata.uid ?? `uid-${++this.#uid}`,
        generation,
      } as KubeObject['metadata'],
      ...(existing?.status ? { status: existing.status } : {}),
    };
    return this.#store(path, object, existing ? 'MODIFIED' : 'ADDED');
  }

  #store(path: string, object: KubeObject, type: 'ADDED' | 'MODIFIED'): KubeObject {
    const stored = {
      ...object,
      metadata: { ...object.metadata, resourceVersion: String(++this.#version) },
    };
    this.#objects.set(path, stored);
    this.#notify(path, type, stored);
    return stored;
  }

  #list(collection: string): unknown {
    const items = [...this.#objects.entries()]
      .filter(([path]) => parsePath(path)?.collection === collection)
      .map(([, object]) => structuredClone(object));
    return { metadata: { resourceVersion: String(this.#version) }, items };
  }

  #notify(path: string, type: WatchEvent['type'], object: KubeObject): void {
    const collection = parsePath(path)?.collection;
    for (const watch of this.#watches)
      if (watch.collection === collection) watch.onEvent({ type, object: structuredClone(object) });
  }
}

/** `/apis/apps/v1/namespaces/shop/deployments/web` → its all-namespaces collection and name. */
function parsePath(path: string): { collection: string; name?: string } | undefined {
  const match = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(
    path,
  );
  if (!match) return undefined;
  const [, base, , resource, name] = match;
  return { collection: `${base}/${resource}`, ...(name !== undefined ? { name } : {}) };
}

function notFound(path: string): KubeApiError {
  return new KubeApiError(`404 NotFound: ${path} not found`, 404, 'NotFound');
}
