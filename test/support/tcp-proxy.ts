import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 between a server and PostgreSQL, for database faults (ADR 0029):
 * `freeze()` stops forwarding in both directions (what arrives is held, connections stay open), as a
 * database that hangs would look from the server; `thaw()` delivers what was held and forwards again.
 * `stop()` drops every connection and stops listening (connections are refused), as a stopped database
 * would; `start()` listens again on the same port.
 */
export class TcpProxy {
  readonly #pairs = new Set<{ client: Socket; upstream: Socket; held: (() => void)[] }>();
  #server: Server | undefined;
  #frozen = false;
  #port = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free port of 127.0.0.1 and forwards to `target` (a `postgres://` URL). */
  static async open(target: string): Promise<TcpProxy> {
    const url = new URL(target);
    const proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
    await proxy.start();
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  /** `target` with its host and port replaced by the proxy's. */
  url(target: string): string {
    const url = new URL(target);
    url.hostname = '127.0.0.1';
    url.port = String(this.#port);
    return url.toString();
  }

  freeze(): void {
    this.#frozen = true;
  }

  thaw(): void {
    this.#frozen = false;
    for (const pair of this.#pairs) for (const deliver of pair.held.splice(0)) deliver();
  }

  async start(): Promise<void> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Drops every connection and refuses new ones until `start()`. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const pair of this.#pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.#pairs.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    const pair = { client, upstream, held: [] as (() => void)[] };
    this.#pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (this.#frozen) pair.held.push(() => to.write(chunk));
        else to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  }
}
