import { KubeApiError, type KubeClient, type WatchEvent } from '@gantry/fleet';

/**
 * A scripted API server for unit tests of the kube layer: answers by method and path (the query is
 * recorded, not matched), 404 for anything unscripted, and watches that emit what a test gives them.
 */
export interface FakeCall {
  method: string;
  path: string;
  query: URLSearchParams;
  body?: unknown;
  contentType?: string;
}

type Answer = unknown | ((call: FakeCall) => unknown);
type WatchScript = (
  emit: (event: WatchEvent) => void,
  params: Record<string, string>,
) => void | Promise<void>;

export class FakeKubeClient implements KubeClient {
  readonly server = 'https://fake.test';
  readonly calls: FakeCall[] = [];
  readonly watchCalls: { path: string; params: Record<string, string> }[] = [];
  readonly #routes: { method: string; path: string; answer: Answer }[] = [];
  readonly #watches = new Map<string, WatchScript[]>();

  /** Answers `method path` with a body, a function of the call, or (thrown) a KubeApiError; later routes win. */
  on(method: string, path: string, answer: Answer): this {
    this.#routes.unshift({ method, path, answer });
    return this;
  }

  /** Queues one watch of `path`; a watch with nothing queued waits until it is aborted. */
  onWatch(path: string, script: WatchScript): this {
    this.#watches.set(path, [...(this.#watches.get(path) ?? []), script]);
    return this;
  }

  /** Serves the discovery documents given, by path (`/api/v1`, `/apis/apps/v1`). */
  withDiscovery(documents: Record<string, { name: string; kind: string; namespaced: boolean }[]>): this {
    for (const [path, resources] of Object.entries(documents))
      this.on('GET', path, { kind: 'APIResourceList', resources });
    return this;
  }

  request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { contentType?: string } = {},
  ): Promise<T> {
    const [pathname = '', search = ''] = path.split('?');
    const call: FakeCall = {
      method,
      path: pathname,
      query: new URLSearchParams(search),
      ...(body !== undefined ? { body } : {}),
      ...(options.contentType ? { contentType: options.contentType } : {}),
    };
    this.calls.push(call);
    const route = this.#routes.find((r) => r.method === method && r.path === pathname);
    if (!route)
      return Promise.reject(
        new KubeApiError(`404 NotFound: the server could not find the requested resource`, 404, 'NotFound'),
      );
    try {
      const answer =
        typeof route.answer === 'function'
          ? (route.answer as (call: FakeCall) => unknown)(call)
          : route.answer;
      if (answer instanceof Error) return Promise.reject(answer);
      return Promise.resolve(structuredClone(answer) as T);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  async watch(
    path: string,
    params: Record<string, string>,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.watchCalls.push({ path, params });
    const script = this.#watches.get(path)?.shift();
    if (script) return script(onEvent, params);
    await new Promise<void>((resolve) =>
      signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }

  close(): void {}
}

export const CORE_V1 = [
  { name: 'namespaces', kind: 'Namespace', namespaced: false },
  { name: 'namespaces/status', kind: 'Namespace', namespaced: false },
  { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
  { name: 'services', kind: 'Service', namespaced: true },
  { name: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true },
];

export const APPS_V1 = [
  { name: 'deployments', kind: 'Deployment', namespaced: true },
  { name: 'deployments/scale', kind: 'Scale', namespaced: true },
  { name: 'deployments/status', kind: 'Deployment', namespaced: true },
  { name: 'statefulsets', kind: 'StatefulSet', namespaced: true },
  { name: 'daemonsets', kind: 'DaemonSet', namespaced: true },
];

export const BATCH_V1 = [
  { name: 'jobs', kind: 'Job', namespaced: true },
  { name: 'cronjobs', kind: 'CronJob', namespaced: true },
];
