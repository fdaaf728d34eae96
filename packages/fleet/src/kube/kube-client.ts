import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { InputError } from '@gantry/model';

/** An error answer from a Kubernetes API server, or a failure to reach it. */
export class KubeApiError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The Status object's reason (Forbidden, NotFound, Expired, ...) or the network error code. */
    readonly reason: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface KubeList {
  metadata: { resourceVersion: string; continue?: string };
  items: KubeObject[];
}

/** The few calls Gantry makes to an API server: JSON requests and line-delimited watches. */
export interface KubeClient {
  readonly server: string;
  request<T>(
    method: string,
    path: string,
    body?: unknown,
    options?: { contentType?: string; timeoutMs?: number },
  ): Promise<T>;
  /** Streams watch events until the server ends the watch (resolves) or it fails (rejects). */
  watch(
    path: string,
    params: Record<string, string>,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /** A GET whose answer is text, not JSON (a pod's log); optional, for clients that cannot. */
  requestText?(path: string, options?: { timeoutMs?: number }): Promise<string>;
  /** Closes the kept-alive connections. */
  close(): void;
}

interface Transport {
  server: URL;
  options: https.RequestOptions;
}

/**
 * Builds a client from a kubeconfig (YAML or JSON) and an optional context. Authentication (client
 * certificates, bearer tokens, CA) is applied by @kubernetes/client-node, loaded only when the first
 * cluster is connected so that a server without clusters starts faster.
 */
export async function kubeClientFromKubeconfig(kubeconfig: string, context?: string): Promise<KubeClient> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  try {
    config.loadFromString(kubeconfig);
  } catch (error) {
    const problem = parseProblem(error);
    throw new InputError(`the kubeconfig cannot be read: ${problem}`, [
      { path: '/kubeconfig', message: problem },
    ]);
  }
  if (context) {
    if (!config.getContextObject(context)) {
      const known = config.getContexts().map((c) => c.name);
      throw new InputError(
        `the kubeconfig has no context ${JSON.stringify(context)} (it has ${known.join(', ') || 'none'})`,
        [{ path: '/context', message: 'no such context' }],
      );
    }
    config.setCurrentContext(context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster)
    throw new InputError('the kubeconfig names no current cluster', [
      { path: '/kubeconfig', message: 'no current cluster' },
    ]);
  const options: https.RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  return new HttpKubeClient({ server: new URL(cluster.server), options });
}

/**
 * What is wrong with a kubeconfig that does not parse, by place only: the parser's own message quotes the
 * text around the error, and a kubeconfig holds tokens and keys that must not reach a status or a log.
 */
function parseProblem(error: unknown): string {
  const { reason, mark } = error as { reason?: unknown; mark?: { line?: unknown; column?: unknown } };
  const where =
    typeof mark?.line === 'number' && typeof mark.column === 'number'
      ? ` at line ${mark.line + 1}, column ${mark.column + 1}`
      : '';
  return typeof reason === 'string' ? `${reason}${where}` : `not valid YAML or JSON${where}`;
}

function statusError(status: number, text: string): KubeApiError {
  let reason = http.STATUS_CODES[status] ?? 'Error';
  let message = text.slice(0, 500);
  try {
    const body = JSON.parse(text) as { reason?: string; message?: string };
    reason = body.reason ?? reason;
    message = body.message ?? message;
  } catch {
    // not a Status object
  }
  return new KubeApiError(`${status} ${reason}: ${message}`, status, reason);
}

function networkError(error: NodeJS.ErrnoException): KubeApiError {
  return new KubeApiError(error.message, 0, error.code ?? 'NetworkError');
}

class HttpKubeClient implements KubeClient {
  readonly server: string;
  readonly #transport: Transport;
  readonly #agent: http.Agent;

  constructor(transport: Transport) {
    this.#transport = transport;
    this.server = transport.server.toString().replace(/\/$/, '');
    const secure = transport.server.protocol === 'https:';
    this.#agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: 32 })
      : new http.Agent({ keepAlive: true, maxSockets: 32 });
  }

  close(): void {
    this.#agent.destroy();
  }

  #open(
    method: string,
    path: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
    timeoutMs?: number,
  ): http.ClientRequest {
    const url = new URL(path, this.#transport.server);
    const base = this.#transport.options;
    const options: https.RequestOptions = {
      ...base,
      agent: this.#agent,
      method,
      headers: {
        ...(base.headers as Record<string, string> | undefined),
        accept: 'application/json',
        ...headers,
      },
      ...(signal ? { signal } : {}),
      ...(timeoutMs ? { timeout: timeoutMs } : {}),
    };
    return url.protocol === 'https:' ? https.request(url, options) : http.request(url, options);
  }

  request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { contentType?: string; timeoutMs?: number } = {},
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = payload
        ? {
            'content-type': options.contentType ?? 'application/json',
            'content-length': String(Buffer.byteLength(payload)),
          }
        : {};
      const request = this.#open(method, path, headers, undefined, options.timeoutMs ?? 15_000);
      request.on('timeout', () =>
        request.destroy(
          Object.assign(new Error(`no answer from ${this.server} within ${options.timeoutMs ?? 15_000} ms`), {
            code: 'ETIMEDOUT',
          }),
        ),
      );
      request.on('error', (error) => reject(networkError(error)));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(networkError(error)));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(statusError(status, text));
          try {
            resolve((text === '' ? undefined : JSON.parse(text)) as T);
          } catch (error) {
            reject(
              new KubeApiError(
                `unreadable answer from ${this.server}: ${(error as Error).message}`,
                status,
                'BadResponse',
              ),
            );
          }
        });
      });
      if (payload) request.write(payload);
      request.end();
    });
  }

  requestText(path: string, options: { timeoutMs?: number } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 15_000;
      const request = this.#open('GET', path, { accept: 'text/plain, */*' }, undefined, timeoutMs);
      request.on('timeout', () =>
        request.destroy(
          Object.assign(new Error(`no answer from ${this.server} within ${timeoutMs} ms`), {
            code: 'ETIMEDOUT',
          }),
        ),
      );
      request.on('error', (error) => reject(networkError(error)));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(networkError(error)));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) reject(statusError(status, text));
          else resolve(text);
        });
      });
      request.end();
    });
  }

  watch(
    path: string,
    params: Record<string, string>,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const query = new URLSearchParams({ ...params, watch: 'true' });
      const request = this.#open('GET', `${path}?${query}`, {}, signal);
      request.on('error', (error: NodeJS.ErrnoException) =>
        signal.aborted ? resolve() : reject(networkError(error)),
      );
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const fail = (error: NodeJS.ErrnoException) =>
          signal.aborted ? resolve() : reject(networkError(error));
        response.on('error', fail);
        if (status !== 200) {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => reject(statusError(status, Buffer.concat(chunks).toString('utf8'))));
          return;
        }
        const lines = createInterface({ input: response });
        // readline re-emits its input's errors (a reset connection): they end the watch, not the process.
        lines.on('error', fail);
        lines.on('line', (line) => {
          if (line.trim() === '') return;
          try {
            onEvent(JSON.parse(line) as WatchEvent);
          } catch (error) {
            request.destroy(error as Error);
          }
        });
        response.on('end', () => resolve());
        response.on('aborted', () =>
          signal.aborted ? resolve() : reject(new KubeApiError('the watch was cut off', 0, 'ECONNRESET')),
        );
      });
      request.end();
    });
  }
}
