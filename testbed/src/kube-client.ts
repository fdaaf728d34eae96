import { request } from 'node:https';
import type { KeyPair } from './pki.ts';
import { readFileSync } from 'node:fs';

export interface KubeResponse<T> {
  readonly status: number;
  readonly body: T;
}

/**
 * Just enough of a Kubernetes client for the test bed to start clusters and for tests to poke them:
 * JSON over HTTPS with the cluster's CA and a client certificate. Real inventory code uses
 * `@kubernetes/client-node`; this keeps the test bed free of dependencies.
 */
export class KubeClient {
  private readonly ca: string;
  private readonly cert: string;
  private readonly key: string;

  constructor(
    readonly server: string,
    caCert: string,
    client: KeyPair,
  ) {
    this.ca = readFileSync(caCert, 'utf8');
    this.cert = readFileSync(client.cert, 'utf8');
    this.key = readFileSync(client.key, 'utf8');
  }

  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<KubeResponse<T>> {
    const url = new URL(path, this.server);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.ca,
          cert: this.cert,
          key: this.key,
          timeout: 10_000,
          headers: {
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': contentType }),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // Plain-text answers (/readyz) stay text.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** GET that throws on anything but 200: for reads the caller expects to succeed. */
  async get<T = unknown>(path: string): Promise<T> {
    const res = await this.request<T>('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** POST that accepts 201 Created and, when `allowExisting`, 409 AlreadyExists. */
  async create<T = unknown>(path: string, object: unknown, allowExisting = false): Promise<T> {
    const res = await this.request<T>('POST', path, object);
    if (res.status === 201 || res.status === 200 || (allowExisting && res.status === 409)) return res.body;
    throw new Error(`POST ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }

  /** A JSON merge patch. */
  async patch<T = unknown>(path: string, patch: unknown): Promise<T> {
    const res = await this.request<T>('PATCH', path, patch, 'application/merge-patch+json');
    if (res.status !== 200) throw new Error(`PATCH ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}
