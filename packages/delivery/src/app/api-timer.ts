import type { KubeClient } from '@gantry/fleet';

/**
 * Wall time during which at least one API-server request was in flight, so that a reconcile's own time
 * (rendering, hashing, database, bookkeeping) can be told apart from waiting for clusters. Overlapping
 * requests count once.
 */
export class ApiTimer {
  #inflight = 0;
  #since = 0;
  #busyMs = 0;

  get busyMs(): number {
    return this.#busyMs + (this.#inflight > 0 ? performance.now() - this.#since : 0);
  }

  async track<T>(work: Promise<T>): Promise<T> {
    if (this.#inflight++ === 0) this.#since = performance.now();
    try {
      return await work;
    } finally {
      if (--this.#inflight === 0) this.#busyMs += performance.now() - this.#since;
    }
  }

  /** The client with every request timed (watches are not: they are not part of a reconcile). */
  wrap(client: KubeClient): KubeClient {
    return {
      server: client.server,
      request: (method, path, body, options) => this.track(client.request(method, path, body, options)),
      watch: (path, params, onEvent, signal) => client.watch(path, params, onEvent, signal),
      close: () => client.close(),
    };
  }
}
