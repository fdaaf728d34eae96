import { abortableSleep, KubeApiError, Reflector, type KubeClient, type KubeObject } from '@gantry/fleet';
import { deliveryLabels, WORKLOAD_KINDS } from '@gantry/model';
import { objectRef, refKey, type ObjectRef } from './applier.ts';
import { ResourceDiscovery, resourcePath } from './discovery.ts';

export interface KindRef {
  apiVersion: string;
  kind: string;
}

/** The kinds a component definition names as its workload in the built-in definitions. */
export const DEFAULT_WORKLOAD_KINDS: readonly KindRef[] = WORKLOAD_KINDS.map((kind) => ({
  apiVersion: kind === 'Job' || kind === 'CronJob' ? 'batch/v1' : 'apps/v1',
  kind,
}));

/** The label Gantry stamps on everything it renders (ADR 0007): only those objects are watched. */
export const APPLICATION_LABEL = deliveryLabels.application;

export type WorkloadChange = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WorkloadWatcherOptions {
  kinds?: readonly KindRef[];
  /** A Kubernetes label selector; default: objects that carry the application label. */
  labelSelector?: string;
  /**
   * Told of every change to the cache, after it is made. It runs inside the watch: keep it short (queue
   * work, don't do it) and don't throw; a throw is recorded as the kind's error.
   */
  onChange?: (object: KubeObject, type: WorkloadChange, raw: KubeObject) => void;
  discovery?: ResourceDiscovery;
  pageSize?: number;
  watchTimeoutSeconds?: number;
  /** Retry delays for a failing list, watch or discovery. */
  backoff?: { baseMs: number; maxMs: number };
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The last failure of one kind: discovery (the cluster lacks it), listing or watching (RBAC, network). */
export interface KindError extends KindRef {
  message: string;
  /** HTTP status; 0 when unreachable; undefined for failures that are not the API server's. */
  status?: number;
  reason?: string;
}

interface KindState {
  ref: KindRef;
  listed: boolean;
  error?: KindError;
  /** Keys of the cached objects of this kind, to find what a relist no longer names. */
  keys: Set<string>;
  /** Keys named so far by a relist in progress. */
  relisting?: Set<string>;
}

/**
 * The live workloads Gantry delivered to one cluster, for health checks: a list-then-watch per workload
 * kind (and per kind added with `watch`) filtered by the application label, keeping whole objects in memory (health policies read any
 * field). Each kind runs on its own, so a kind the cluster lacks or RBAC forbids is retried and
 * reported by `errors()` without holding back the others.
 */
export class WorkloadWatcher {
  readonly #kinds: KindState[];
  readonly #objects = new Map<string, KubeObject>();
  readonly #options: Required<Omit<WorkloadWatcherOptions, 'onChange' | 'discovery' | 'kinds'>> &
    Pick<WorkloadWatcherOptions, 'onChange'>;
  readonly #discovery: ResourceDiscovery;
  #abort: AbortController | undefined;
  #running: Promise<unknown>[] = [];

  constructor(
    private readonly client: KubeClient,
    options: WorkloadWatcherOptions = {},
  ) {
    this.#kinds = (options.kinds ?? DEFAULT_WORKLOAD_KINDS).map((ref) => ({
      ref: { apiVersion: ref.apiVersion, kind: ref.kind },
      listed: false,
      keys: new Set(),
    }));
    this.#discovery = options.discovery ?? new ResourceDiscovery(client);
    this.#options = {
      labelSelector: options.labelSelector ?? APPLICATION_LABEL,
      pageSize: options.pageSize ?? 500,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
      backoff: options.backoff ?? { baseMs: 500, maxMs: 30_000 },
      sleep: options.sleep ?? abortableSleep,
      ...(options.onChange ? { onChange: options.onChange } : {}),
    };
  }

  start(): void {
    if (this.#abort) return;
    // A restarted watcher lists again before it counts as synced; the cache is kept and diffed meanwhile.
    for (const state of this.#kinds) state.listed = false;
    const abort = new AbortController();
    this.#abort = abort;
    this.#running = this.#kinds.map((state) => this.#run(state, abort.signal));
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    await Promise.all(this.#running);
    this.#abort = undefined;
    this.#running = [];
  }

  /**
   * Watches one more kind from now on (at once if running, else from `start`): objects other than
   * workloads whose health a policy reads, such as a trait's PodDisruptionBudget. Known kinds are ignored.
   */
  watch(kind: KindRef): void {
    if (this.#kinds.some((s) => s.ref.apiVersion === kind.apiVersion && s.ref.kind === kind.kind)) return;
    const state: KindState = {
      ref: { apiVersion: kind.apiVersion, kind: kind.kind },
      listed: false,
      keys: new Set(),
    };
    this.#kinds.push(state);
    if (this.#abort) this.#running.push(this.#run(state, this.#abort.signal));
  }

  /** Whether objects of this kind are watched (the workload kinds, and those added with `watch`). */
  watches(kind: KindRef): boolean {
    return this.#kinds.some((s) => s.ref.apiVersion === kind.apiVersion && s.ref.kind === kind.kind);
  }

  /** The live object, as last seen; undefined when absent or not (yet) listed — see `synced`. */
  get(ref: ObjectRef): KubeObject | undefined {
    return this.#objects.get(refKey(ref));
  }

  /**
   * Whether every kind (or the one given) has been listed at least once, so that an object missing from
   * the cache is missing from the cluster. Like client-go's HasSynced it stays true while a broken watch
   * is retried; `errors()` says when that is happening.
   */
  synced(kind?: KindRef): boolean {
    const states = kind
      ? this.#kinds.filter((s) => s.ref.apiVersion === kind.apiVersion && s.ref.kind === kind.kind)
      : this.#kinds;
    return states.length > 0 && states.every((s) => s.listed);
  }

  /** The kinds failing now, each with its last error; a kind's error clears when it lists or watches again. */
  errors(): KindError[] {
    return this.#kinds.flatMap((s) => (s.error ? [{ ...s.error }] : []));
  }

  async #run(state: KindState, signal: AbortSignal): Promise<void> {
    const path = await this.#path(state, signal);
    if (path === undefined) return;
    const reflector = new Reflector(this.client, this.#handlers(state), {
      path,
      params: { labelSelector: this.#options.labelSelector },
      pageSize: this.#options.pageSize,
      watchTimeoutSeconds: this.#options.watchTimeoutSeconds,
      backoff: this.#options.backoff,
      sleep: this.#options.sleep,
    });
    try {
      await reflector.run(signal);
    } catch (error) {
      this.#fail(state, error);
    }
  }

  /** The all-namespaces path of the kind, asking discovery until the cluster serves it (or we stop). */
  async #path(state: KindState, signal: AbortSignal): Promise<string | undefined> {
    const { baseMs, maxMs } = this.#options.backoff;
    for (let failures = 0; !signal.aborted; failures++) {
      try {
        return resourcePath(await this.#discovery.resolve(state.ref.apiVersion, state.ref.kind), undefined);
      } catch (error) {
        if (signal.aborted) break;
        this.#fail(state, error);
        await this.#options.sleep(Math.min(maxMs, baseMs * 2 ** failures), signal);
      }
    }
    return undefined;
  }

  #fail(state: KindState, error: unknown): void {
    const api = error instanceof KubeApiError ? { status: error.status, reason: error.reason } : {};
    state.error = { ...state.ref, message: (error as Error).message, ...api };
  }

  #handlers(state: KindState) {
    return {
      page: (items: KubeObject[], first: boolean) => {
        if (first) state.relisting = new Set();
        for (const item of items) state.relisting?.add(this.#upsert(state, item));
      },
      replaced: () => {
        const named = state.relisting ?? new Set<string>();
        for (const key of [...state.keys]) {
          const gone = this.#objects.get(key);
          if (!named.has(key) && gone) this.#remove(state, gone);
        }
        state.relisting = undefined;
        state.listed = true;
      },
      upsert: (object: KubeObject) => void this.#upsert(state, object),
      remove: (object: KubeObject) => this.#remove(state, this.#normalize(state, object)),
      failed: (error: unknown) => this.#fail(state, error),
      synced: () => {
        state.error = undefined;
      },
    };
  }

  /**
   * Items of a list carry no apiVersion and kind (only watch events do): the kind being watched fills
   * them in, so that cached objects are whole. managedFields and pod templates are dropped: health
   * policies read replicas, generations and status, and those two are most of an object's size (the
   * cache holds every workload of every application on the cluster).
   */
  #normalize(state: KindState, object: KubeObject): KubeObject {
    const { managedFields: _managedFields, annotations: _annotations, ...metadata } = object.metadata;
    const spec = object.spec as Record<string, unknown> | undefined;
    const { template: _template, jobTemplate: _jobTemplate, ...rest } = spec ?? {};
    return {
      ...object,
      apiVersion: state.ref.apiVersion,
      kind: state.ref.kind,
      metadata: metadata as KubeObject['metadata'],
      ...(spec ? { spec: rest } : {}),
    };
  }

  #upsert(state: KindState, raw: KubeObject): string {
    const object = this.#normalize(state, raw);
    const key = refKey(objectRef(object));
    const previous = this.#objects.get(key);
    if (previous && previous.metadata.resourceVersion === object.metadata.resourceVersion) return key;
    this.#objects.set(key, object);
    state.keys.add(key);
    this.#notify(state, object, previous ? 'MODIFIED' : 'ADDED', {
      ...raw,
      apiVersion: state.ref.apiVersion,
      kind: state.ref.kind,
    });
    return key;
  }

  #remove(state: KindState, object: KubeObject): void {
    const key = refKey(objectRef(object));
    if (!this.#objects.delete(key)) return;
    state.keys.delete(key);
    this.#notify(state, object, 'DELETED', object);
  }

  /** `raw` is the object as the API server sent it (managedFields and templates too), for change detection. */
  #notify(state: KindState, object: KubeObject, type: WorkloadChange, raw: KubeObject): void {
    try {
      this.#options.onChange?.(object, type, raw);
    } catch (error) {
      this.#fail(state, error);
    }
  }
}
