import { readApiError, type ApiError } from './api-error.ts';
import type { HttpResponse, HttpTransport } from './transport.ts';
import { watchEvents, type WatchEvent } from './watch.ts';

export type QueryValue = string | number | boolean | undefined | null;
export type Query = Readonly<Record<string, QueryValue>>;

/** Who the request is, for hooks: the method and the path without the query. */
export interface RequestInfo {
  readonly method: string;
  readonly path: string;
}

export interface HttpClientOptions {
  /** Where the API is (`https://gantry.example.com`); empty for the page's own origin (the console). */
  baseUrl?: string;
  fetch?: HttpTransport;
  /**
   * Headers added to every request, asked each time: a bearer token (`bearerHeaders`), a CSRF header.
   * Authentication is the caller's choice; the client hard-wires none.
   */
  headers?: () => Readonly<Record<string, string>>;
  /** fetch's credentials mode: `same-origin` or `include` sends a session cookie. Default: fetch's. */
  credentials?: RequestInit['credentials'];
  /** Default timeout of a request (not of a watch); absent: none. */
  timeoutMs?: number;
  /** Told each `Warning` header of an answer (what a conversion dropped), with the request it answered. */
  onWarning?: (message: string, request: RequestInfo) => void;
  /** Told every error answer before it is thrown (the console ends its session on a 401). */
  onError?: (error: ApiError, request: RequestInfo) => void;
}

export interface RequestOptions {
  method?: string;
  /** Empty values (`undefined`, `null`, `''`) are left out, so optional filters can be passed as they are. */
  query?: Query;
  /** JSON-encoded unless it is a string already (a YAML document). */
  body?: unknown;
  /** Default `application/json` when there is a body. */
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** This request only: another transport. */
  fetch?: HttpTransport;
}

/** `{ authorization: 'Bearer <token>' }`, or no header without a token. */
export function bearerHeaders(token: string | null | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** `path?query` (or `path?its&query`), leaving out empty values. */
export function pathWithQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}${path.includes('?') ? '&' : '?'}${search}` : path;
}

/**
 * The one HTTP client of the Gantry API, for the CLI (Node) and the console (browser): JSON in and out,
 * error answers as `ApiError`, `Warning` headers, watches as events. Runs on fetch, or on any transport
 * that answers an `HttpResponse`.
 */
export class HttpClient {
  readonly baseUrl: string;
  readonly #options: HttpClientOptions;

  constructor(options: HttpClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.#options = options;
  }

  /** Sends a request and returns the answer as it is, whatever its status. */
  send(path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      accept: options.accept ?? 'application/json',
      ...this.#options.headers?.(),
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const signals = [options.signal, timeout].filter((signal) => signal !== undefined);
    const transport: HttpTransport = options.fetch ?? this.#options.fetch ?? globalThis.fetch;
    return transport(this.baseUrl + pathWithQuery(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(this.#options.credentials ? { credentials: this.#options.credentials } : {}),
      ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
    });
  }

  /** The parsed JSON answer (`undefined` for an empty one); an error answer throws its `ApiError`. */
  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const info = { method: options.method ?? 'GET', path };
    const response = await this.send(path, options);
    await this.#ensureOk(response, info);
    for (const message of parseWarnings(response.headers.get('warning')))
      this.#options.onWarning?.(message, info);
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /**
   * The events of a watch (the query has `watch=true`) until the server closes the stream or `signal`
   * aborts; an error answer throws its `ApiError`.
   */
  async *watch(
    path: string,
    options: { query?: Query; signal?: AbortSignal; onOpen?: () => void } = {},
  ): AsyncGenerator<WatchEvent> {
    const response = await this.send(path, {
      ...(options.query ? { query: options.query } : {}),
      accept: 'text/event-stream',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await this.#ensureOk(response, { method: 'GET', path });
    options.onOpen?.();
    yield* watchEvents(response);
  }

  async #ensureOk(response: HttpResponse, info: RequestInfo): Promise<void> {
    if (response.ok) return;
    const error = await readApiError(response);
    this.#options.onError?.(error, info);
    throw error;
  }
}

/**
 * The texts of `Warning: 299 - "<text>"` headers (fetch joins several with ", "); quotes and backslashes
 * inside come escaped with a backslash.
 */
export function parseWarnings(header: string | null): string[] {
  if (header === null) return [];
  return [...header.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((match) =>
    match[1]!.replace(/\\(.)/g, '$1'),
  );
}
