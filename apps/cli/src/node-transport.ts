import http, { type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { HttpRequestInit, HttpResponse, HttpTransport } from '@gantry/client';

/**
 * The CLI's transport: Node's own http and https modules rather than fetch. A CLI call lives for a few
 * requests, and loading fetch's implementation (undici and the web streams under it) cost more than the
 * rest of `gantry get` together (ADR 0011). It also has no limit on how long an answer may take to start,
 * where fetch gives up after 300 s (a drain can wait longer); the caller's AbortSignal bounds every wait.
 * Like fetch, an aborted request fails with the signal's reason (a TimeoutError for a timeout).
 */
export const nodeTransport: HttpTransport = async (url, init) => {
  const target = new URL(url);
  // https (and TLS under it) is loaded only for an https server: ~8 ms of a call otherwise.
  const client = target.protocol === 'https:' ? (await import('node:https')).default : http;
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const request = client.request(target, {
      method: init.method,
      headers,
      ...(init.signal ? { signal: init.signal } : {}),
    });
    request.on('error', (error) => reject(abortReason(init) ?? error));
    request.on('response', (message) => resolve(new NodeResponse(message, init)));
    request.end(init.body);
  });
};

/** An answer read only as far as it is asked for: whole (`text`) or as a stream (`body`, for watches). */
class NodeResponse implements HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  readonly #message: IncomingMessage;
  readonly #init: HttpRequestInit;
  #body: ReadableStream<Uint8Array> | null | undefined;

  constructor(message: IncomingMessage, init: HttpRequestInit) {
    this.#message = message;
    this.#init = init;
    this.status = message.statusCode ?? 502;
    this.statusText = message.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = {
      get: (name) => {
        const value = message.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    };
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#body === undefined) {
      this.#body =
        this.status === 204 || this.status === 304
          ? null
          : (Readable.toWeb(this.#message) as ReadableStream<Uint8Array>);
    }
    return this.#body;
  }

  async text(): Promise<string> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of this.#message) chunks.push(chunk as Buffer);
    } catch (error) {
      throw abortReason(this.#init) ?? error;
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

function abortReason(init: HttpRequestInit): unknown {
  return init.signal?.aborted === true ? (init.signal.reason as unknown) : undefined;
}
