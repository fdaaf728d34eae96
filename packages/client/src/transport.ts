/**
 * What the client reads of an answer. A fetch `Response` is one; so is the CLI's node:http answer, which
 * spares a short-lived process the cost of loading fetch's implementation.
 */
export interface HttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  /** The body as a stream (watches read it as it arrives); `null` for an answer without one. */
  readonly body: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}

/** What the client hands a transport: always a method, a plain header object and a string body. */
export interface HttpRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  credentials?: RequestInit['credentials'];
  signal?: AbortSignal;
}

/** How requests are sent: `globalThis.fetch` unless the app brings its own. */
export type HttpTransport = (url: string, init: HttpRequestInit) => Promise<HttpResponse>;
