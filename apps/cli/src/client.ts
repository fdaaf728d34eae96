import type { KindInfo } from './kinds.ts';
import { parseKinds } from './kinds.ts';
import { isRecord } from './objects.ts';
import { readSse, type SseEvent } from './sse.ts';

export interface ObjectMeta {
  name: string;
  team?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  updatedTimestamp?: string;
  [field: string]: unknown;
}

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

export interface ResourceList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: Resource[];
}

export interface ApiErrorDetail {
  /** A JSON Pointer into the request body, e.g. `/spec/replicas`. */
  path: string;
  message: string;
}

/** An error answer from the server, with its body `{ code, message, details }`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ApiErrorDetail[] = [],
  ) {
    super(message);
  }
}

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

export interface LoginResult {
  token: string;
  expiresAt?: string;
  user?: { username: string; admin?: boolean };
}

export interface Me {
  user: { username: string; admin?: boolean };
  teams?: { team: string; role: string }[];
}

export interface ServerVersion {
  version: string;
  commit?: string;
  database?: string;
}

export interface ClientOptions {
  server: string;
  token?: string;
  fetch?: typeof fetch;
  /** Per request, except watches. */
  timeoutMs?: number;
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
}

type Query = Record<string, string | undefined>;

const PAGE_SIZE = 500;

/** `/apis/{group}/{version}[/teams/{team}]/{plural}[/{name}]`, following docs/reference/api.md. */
export function resourcePath(kind: KindInfo, scope: { team?: string; name?: string } = {}): string {
  let path = `/apis/${kind.group}/${kind.version}`;
  if (kind.teamed && scope.team !== undefined) path += `/teams/${encodeURIComponent(scope.team)}`;
  path += `/${kind.plural}`;
  if (scope.name !== undefined) path += `/${encodeURIComponent(scope.name)}`;
  return path;
}

/** Typed access to the Gantry HTTP API (docs/reference/api.md). Throws ApiError and ConnectionError. */
export class GantryClient {
  readonly server: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: ClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.#token = options.token;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
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
    return parseKinds(await this.request<unknown>('GET', '/api/kinds'));
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

  delete(kind: KindInfo, name: string, team?: string, options: WriteOptions = {}): Promise<unknown> {
    return this.request('DELETE', resourcePath(kind, { team, name }), { query: dryRunQuery(options) });
  }

  /** Watch events as they arrive; ends when the server closes the stream or `signal` aborts. */
  async *watch(kind: KindInfo, options: WatchOptions = {}): AsyncGenerator<SseEvent> {
    const response = await this.#send('GET', resourcePath(kind, { team: options.team }), {
      query: {
        watch: 'true',
        labelSelector: options.labelSelector,
        resourceVersion: options.resourceVersion,
      },
      accept: 'text/event-stream',
      signal: options.signal,
    });
    if (!response.ok) throw await toApiError(response);
    if (response.body === null) return;
    yield* readSse(response.body);
  }

  async request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const response = await this.#send(method, path, {
      ...options,
      accept: 'application/json',
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    if (!response.ok) throw await toApiError(response);
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  async #send(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; accept: string; signal?: AbortSignal | undefined },
  ): Promise<Response> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, value);
    }
    const headers: Record<string, string> = { accept: options.accept };
    if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await this.#fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      const abortReason: unknown = options.signal?.aborted === true ? options.signal.reason : undefined;
      if (
        abortReason !== undefined &&
        !(abortReason instanceof Error && abortReason.name === 'TimeoutError')
      ) {
        throw error; // the caller cancelled: not a connection problem
      }
      throw new ConnectionError(this.server, connectionReason(error), { cause: error });
    }
  }
}

function dryRunQuery(options: WriteOptions): Query {
  return options.dryRun === true ? { dryRun: 'All' } : {};
}

async function toApiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isRecord(body) && typeof body['code'] === 'string') {
    const details = Array.isArray(body['details'])
      ? body['details']
          .filter(isRecord)
          .map((d) => ({ path: String(d['path'] ?? ''), message: String(d['message'] ?? '') }))
      : [];
    const message = typeof body['message'] === 'string' ? body['message'] : response.statusText;
    return new ApiError(response.status, body['code'], message, details);
  }
  return new ApiError(
    response.status,
    `HTTP_${response.status}`,
    text.trim() || response.statusText || 'request failed',
  );
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
