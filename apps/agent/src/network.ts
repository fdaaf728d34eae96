import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';

/** The proxy for `target` from HTTPS_PROXY / HTTP_PROXY (either case), unless NO_PROXY exempts it. */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const raw =
    target.protocol === 'https:' || target.protocol === 'wss:'
      ? (env.HTTPS_PROXY ?? env.https_proxy)
      : (env.HTTP_PROXY ?? env.http_proxy);
  if (!raw) return undefined;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  for (const entry of noProxy) {
    if (entry === '*') return undefined;
    const [name, port] = entry.replace(/^\*?\./, '.').split(':');
    if (
      port !== undefined &&
      port !==
        (target.port || (target.protocol.startsWith('https') || target.protocol === 'wss:' ? '443' : '80'))
    )
      continue;
    if (name === host || (name!.startsWith('.') && host.endsWith(name!)) || host.endsWith(`.${name}`))
      return undefined;
  }
  return new URL(raw.includes('://') ? raw : `http://${raw}`);
}

type Callback = (error: Error | null, socket?: Duplex) => void;

/**
 * An agent that reaches every origin through an HTTP proxy's CONNECT tunnel (TLS to the origin inside it
 * when the origin is https), so the agent works behind the proxies that NAT'd networks have.
 */
function tunnelAgent(proxy: URL, secure: boolean, ca: string | undefined): http.Agent {
  const agent = secure
    ? new https.Agent({ keepAlive: false, ...(ca ? { ca } : {}) })
    : new http.Agent({ keepAlive: false });
  const createConnection = (
    options: tls.ConnectionOptions & { host?: string; port?: number | string },
    callback: Callback,
  ) => {
    const target = `${options.host}:${options.port}`;
    const auth = proxy.username
      ? {
          'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`,
        }
      : {};
    const request = http.request({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: target,
      headers: { host: target, ...auth },
    });
    request.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        callback(new Error(`proxy ${proxy.host} refused CONNECT ${target}: ${response.statusCode}`));
        return;
      }
      if (!secure) {
        callback(null, socket);
        return;
      }
      const secured = tls.connect({ ...options, socket, servername: options.servername ?? options.host });
      callback(null, secured);
    });
    request.once('error', (error) => callback(error));
    request.end();
    return undefined;
  };
  (agent as unknown as { createConnection: typeof createConnection }).createConnection = createConnection;
  return agent;
}

/** The http(s) agent for `server`: through the configured proxy, verifying TLS against `ca` when given. */
export function agentFor(
  server: URL,
  ca: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): http.Agent {
  const secure = server.protocol === 'https:' || server.protocol === 'wss:';
  const proxy = proxyFor(server, env);
  if (proxy) return tunnelAgent(proxy, secure, ca);
  return secure
    ? new https.Agent({ keepAlive: false, ...(ca ? { ca } : {}) })
    : new http.Agent({ keepAlive: false });
}

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** POSTs JSON and answers the parsed JSON; an error status throws HttpStatusError with the Gantry code. */
export function postJson<T>(
  url: URL,
  body: unknown,
  options: { agent: http.Agent; ca?: string; headers?: Record<string, string>; timeoutMs?: number },
): Promise<T> {
  const payload = JSON.stringify(body ?? {});
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: 'POST',
        agent: options.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...options.headers,
        },
        timeout: options.timeoutMs ?? 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(parsed as T);
          else {
            const error = (parsed ?? {}) as { code?: string; message?: string };
            reject(new HttpStatusError(status, error.code, error.message ?? `HTTP ${status}`));
          }
        });
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url.host} in time`)));
    request.on('error', reject);
    request.end(payload);
  });
}
