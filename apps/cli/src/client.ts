import {
  ApiError,
  bearerHeaders,
  HttpClient,
  KINDS_TAG_HEADER,
  type DrainReport,
  type EventList,
  type EventRecord,
  type HttpTransport,
  type InventoryItem,
  type InventoryPage,
  type KindList,
  type LoginResult,
  type Me,
  type Resource,
  type ResourceList,
  type ServerVersion,
  type WatchEvent,
} from '@gantry/client';
export { parseWarnings } from '@gantry/client';
import type {
  DrainRequest,
  EventFilter,
  InventoryQuery,
  InventoryView,
  NodeOperation,
  NodeSchedulability,
} from './fleet-types.ts';
import { parseKinds, type KindInfo } from './kinds.ts';
import { nodeTransport } from './node-transport.ts';
import { isRecord } from './objects.ts';

/** The server could not be reached at all (refused, unknown host, timed out). */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';

  constructor(
    readonly server: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach server ${server}${reason === '' ? '' : ` (${reason})`}`, options);
  }
}

export interface ClientOptions {
  server: string;
  token?: string;
  /** How requests are sent; default Node's http and https modules (`nodeTransport`). */
  fetch?: HttpTransport;
  /** Per request, except watches. */
  timeoutMs?: number;
  /** Told each `Warning` header of an answer (what a conversion dropped), with the request it answered. */
  onWarning?: (message: string, request: { method: string; path: string }) => void;
  /** Told the KINDS_TAG_HEADER of every answer that has one (the discovery cache's check, ADR 0035). */
  onKindsTag?: (tag: string) => void;
}

export interface ListOptions {
  /** Absent: across every team the caller can see (only meaningful for team-scoped kinds). */
  team?: string;
  labelSelector?: string;
}

export interface WatchOptions extends ListOptions {
  resourceVersion?: string;
  signal?: AbortSignal;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** Override an admission check that allows it (a definition update that affects applications). */
  force?: boolean;
}

type Query = Record<string, string | undefined>;

const PAGE_SIZE = 500;

/** `/apis/{group}/{version}[/teams/{team}]/{plural}[/{name}]`, following docs/reference/api.md. */
export function resourcePath(kind: KindInfo, scope: { team?: string; name?: string } = {}): string {
  let path = `/apis/${kind.group}/${kind.version}`;
  if (kind.scope === 'Team' && scope.team !== undefined) path += `/teams/${encodeURIComponent(scope.team)}`;
  path += `/${kind.plural}`;
  if (scope.name !== undefined) path += `/${encodeURIComponent(scope.name)}`;
  return path;
}

/** Typed access to the Gantry HTTP API (docs/reference/api.md). Throws ApiError and ConnectionError. */
export class GantryClient {
  readonly server: string;
  readonly #http: HttpClient;

  constructor(options: ClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    const headers = bearerHeaders(options.token);
    this.#http = new HttpClient({
      baseUrl: this.server,
      fetch: this.#reporting(options.fetch ?? nodeTransport, options.onKindsTag),
      headers: () => headers,
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
  }

  /** A transport whose failures to reach the server are ConnectionErrors; a cancel by the caller stays as it is. */
  #reporting(transport: HttpTransport, onKindsTag?: (tag: string) => void): HttpTransport {
    return async (url, init) => {
      try {
        const response = await transport(url, init);
        const tag = response.headers.get(KINDS_TAG_HEADER);
        if (tag !== null) onKindsTag?.(tag);
        return response;
      } catch (error) {
        const signal = init.signal;
        const abortReason: unknown = signal?.aborted === true ? signal.reason : undefined;
        if (
          abortReason !== undefined &&
          !(abortReason instanceof Error && abortReason.name === 'TimeoutError')
        ) {
          throw error; // the caller cancelled: not a connection problem
        }
        throw new ConnectionError(this.server, connectionReason(error), { cause: error });
      }
    };
  }

  login(username: string, password: string): Promise<LoginResult> {
    return this.request('POST', '/api/auth/login', { body: { username, password } });
  }

  me(): Promise<Me> {
    return this.request('GET', '/api/me');
  }

  version(): Promise<ServerVersion> {
    return this.request('GET', '/api/version');
  }

  async kinds(): Promise<KindInfo[]> {
    // Names, scopes and columns are all a command needs; the schemas are most of the body.
    return parseKinds(await this.request<KindList>('GET', '/api/kinds?schemas=false'));
  }

  /** Lists every page (following `metadata.continue`) into one list. */
  async list(kind: KindInfo, options: ListOptions = {}): Promise<ResourceList> {
    const path = resourcePath(kind, { team: options.team });
    const items: Resource[] = [];
    let page: ResourceList;
    let token: string | undefined;
    do {
      page = await this.request<ResourceList>('GET', path, {
        query: { labelSelector: options.labelSelector, limit: String(PAGE_SIZE), continue: token },
      });
      items.push(...page.items);
      token = page.metadata?.continue;
    } while (token !== undefined && token !== '');
    const metadata: ResourceList['metadata'] = {};
    if (page.metadata?.resourceVersion !== undefined)
      metadata.resourceVersion = page.metadata.resourceVersion;
    return { apiVersion: page.apiVersion, kind: page.kind, metadata, items };
  }

  get(kind: KindInfo, name: string, team?: string): Promise<Resource> {
    return this.request('GET', resourcePath(kind, { team, name }));
  }

  /** Like get, but a missing object is `undefined` rather than an error. */
  async find(kind: KindInfo, name: string, team?: string): Promise<Resource | undefined> {
    try {
      return await this.get(kind, name, team);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  create(kind: KindInfo, body: Resource, team?: string, options: WriteOptions = {}): Promise<Resource> {
    return this.request('POST', resourcePath(kind, { team }), { body, query: dryRunQuery(options) });
  }

  replace(kind: KindInfo, body: Resource, team?: string, options: WriteOptions = {}): Promise<Resource> {
    return this.request('PUT', resourcePath(kind, { team, name: body.metadata.name }), {
      body,
      query: dryRunQuery(options),
    });
  }

  delete(
    kind: KindInfo,
    name: string,
    team?: string,
    options: WriteOptions & { cascade?: boolean } = {},
  ): Promise<unknown> {
    return this.request('DELETE', resourcePath(kind, { team, name }), {
      query: { ...dryRunQuery(options), ...(options.cascade === true ? { cascade: 'true' } : {}) },
    });
  }

  /** `GET /api/inventory/{view}`, every page (following `continue`). */
  async inventory<T extends InventoryItem = InventoryItem>(
    view: InventoryView,
    query: InventoryQuery = {},
  ): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    do {
      const page = await this.request<InventoryPage<T>>('GET', `/api/inventory/${view}`, {
        query: { ...query, limit: String(PAGE_SIZE), continue: token },
      });
      items.push(...page.items);
      token = page.continue;
    } while (token !== undefined && token !== '');
    return items;
  }

  /** `GET /api/events`, newest first: every page, or the newest `max` records. */
  async events(query: EventFilter = {}, max?: number): Promise<EventRecord[]> {
    const items: EventRecord[] = [];
    let token: string | undefined;
    do {
      const wanted = max === undefined ? PAGE_SIZE : Math.min(PAGE_SIZE, max - items.length);
      const page = await this.request<EventList>('GET', '/api/events', {
        query: { ...query, limit: String(wanted), continue: token },
      });
      items.push(...page.items);
      token = page.continue;
    } while (token !== undefined && token !== '' && (max === undefined || items.length < max));
    return max === undefined ? items : items.slice(0, max);
  }

  /** Cordon, uncordon or drain a node; a drain waits on the server for up to its own timeout. */
  nodeOperation(
    scope: { team: string; cluster: string; node: string },
    operation: 'cordon' | 'uncordon',
    body?: { overrideReason?: string },
  ): Promise<NodeSchedulability>;
  nodeOperation(
    scope: { team: string; cluster: string; node: string },
    operation: 'drain',
    body: DrainRequest,
    timeoutMs: number,
  ): Promise<DrainReport>;
  nodeOperation(
    scope: { team: string; cluster: string; node: string },
    operation: NodeOperation,
    body?: DrainRequest | { overrideReason?: string },
    timeoutMs?: number,
  ): Promise<NodeSchedulability | DrainReport> {
    const path = `/api/teams/${encodeURIComponent(scope.team)}/clusters/${encodeURIComponent(scope.cluster)}/nodes/${encodeURIComponent(scope.node)}/${operation}`;
    return this.request('POST', path, { body, timeoutMs });
  }

  /** Creates or replaces a secret of a team (`PUT /api/teams/{team}/secrets/{name}`). */
  putSecret(team: string, name: string, data: Record<string, string>): Promise<unknown> {
    return this.request('PUT', secretPath(team, name), { body: { data } });
  }

  deleteSecret(team: string, name: string): Promise<unknown> {
    return this.request('DELETE', secretPath(team, name));
  }

  /** Watch events as they arrive; ends when the server closes the stream or `signal` aborts. */
  watch(kind: KindInfo, options: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    return this.#http.watch(resourcePath(kind, { team: options.team }), {
      query: {
        watch: 'true',
        labelSelector: options.labelSelector,
        resourceVersion: options.resourceVersion,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; timeoutMs?: number } = {},
  ): Promise<T> {
    return this.#http.request<T>(path, {
      method,
      ...(options.query ? { query: options.query } : {}),
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }
}

function secretPath(team: string, name: string): string {
  return `/api/teams/${encodeURIComponent(team)}/secrets/${encodeURIComponent(name)}`;
}

function dryRunQuery(options: WriteOptions): Query {
  return {
    ...(options.dryRun === true ? { dryRun: 'All' } : {}),
    ...(options.force === true ? { force: 'true' } : {}),
  };
}

/** fetch hides the socket error a level or two down (`cause`, or an AggregateError of attempts). */
function connectionReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined; depth++) {
    if (isRecord(current) || current instanceof Error) {
      const record = current as unknown as Record<string, unknown>;
      if (typeof record['code'] === 'string') return record['code'];
      if (Array.isArray(record['errors']) && record['errors'].length > 0) {
        current = record['errors'][0];
        continue;
      }
      current = record['cause'];
    } else {
      break;
    }
  }
  return error instanceof Error ? error.message : '';
}
