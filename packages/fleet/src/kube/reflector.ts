import {
  KubeApiError,
  type KubeClient,
  type KubeList,
  type KubeObject,
  type WatchEvent,
} from './kube-client.ts';

export interface ReflectorHandlers {
  /**
   * A full list, page by page: `page` gets each page's objects as it arrives (so a large list is never
   * held whole), `replaced` says the list is complete: whatever no page named is gone.
   */
  page(items: KubeObject[], first: boolean): void;
  replaced(): void;
  upsert(object: KubeObject): void;
  remove(object: KubeObject): void;
  /** Listing or watching failed; the reflector retries with backoff. */
  failed(error: unknown): void;
  /** A list completed and the watch is running: the resource is in sync. */
  synced(): void;
}

export interface ReflectorOptions {
  /** The list path, e.g. `/api/v1/nodes` or `/apis/apps/v1/deployments`. */
  path: string;
  pageSize: number;
  /**
   * Extra query parameters sent with every list and watch, such as `labelSelector` or `fieldSelector`:
   * the server filters, so objects outside the selection never cross the wire.
   */
  params?: Readonly<Record<string, string>>;
  /** Server-side watch timeout; watches are renewed from the last resourceVersion after it. */
  watchTimeoutSeconds: number;
  backoff: { baseMs: number; maxMs: number };
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

function isExpired(error: unknown): boolean {
  return (
    error instanceof KubeApiError &&
    (error.status === 410 || error.reason === 'Expired' || error.reason === 'Gone')
  );
}

/**
 * List-then-watch for one resource, the way client-go's reflector does it: after a list, watch from the
 * list's resourceVersion; when a watch ends, resume from the last version seen (bookmarks keep it fresh);
 * only when the server says that version is too old (410) list again. Failures back off exponentially.
 */
export class Reflector {
  #resourceVersion: string | undefined;
  #failures = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly handlers: ReflectorHandlers,
    private readonly options: ReflectorOptions,
  ) {}

  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        if (this.#resourceVersion === undefined) await this.#list();
        this.handlers.synced();
        await this.#watch(signal);
        this.#failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        if (isExpired(error)) {
          this.#resourceVersion = undefined;
          continue;
        }
        this.#failures++;
        this.handlers.failed(error);
        const delay = Math.min(
          this.options.backoff.maxMs,
          this.options.backoff.baseMs * 2 ** (this.#failures - 1),
        );
        await this.options.sleep(delay, signal);
      }
    }
  }

  async #list(): Promise<void> {
    let token: string | undefined;
    let resourceVersion = '';
    let first = true;
    do {
      const query = new URLSearchParams({
        ...this.options.params,
        limit: String(this.options.pageSize),
        ...(token ? { continue: token } : {}),
      });
      const page = await this.client.request<KubeList>('GET', `${this.options.path}?${query}`, undefined, {
        timeoutMs: 60_000,
      });
      this.handlers.page(page.items, first);
      first = false;
      resourceVersion = page.metadata.resourceVersion;
      token = page.metadata.continue || undefined;
    } while (token);
    this.handlers.replaced();
    this.#resourceVersion = resourceVersion;
  }

  async #watch(signal: AbortSignal): Promise<void> {
    const params = {
      ...this.options.params,
      resourceVersion: this.#resourceVersion ?? '0',
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(this.options.watchTimeoutSeconds),
    };
    let failure: unknown;
    const onEvent = (event: WatchEvent) => {
      if (event.type === 'ERROR') {
        const status = event.object as unknown as { code?: number; reason?: string; message?: string };
        failure = new KubeApiError(
          status.message ?? 'watch error',
          status.code ?? 500,
          status.reason ?? 'Error',
        );
        return;
      }
      const version = event.object.metadata.resourceVersion;
      if (event.type === 'BOOKMARK') {
        if (version) this.#resourceVersion = version;
        return;
      }
      if (event.type === 'DELETED') this.handlers.remove(event.object);
      else this.handlers.upsert(event.object);
      if (version) this.#resourceVersion = version;
    };
    await this.client.watch(this.options.path, params, onEvent, signal);
    if (failure) throw failure;
  }
}

/** A sleep that ends early, without error, when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
