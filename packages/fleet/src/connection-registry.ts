import type { Logger } from 'pino';
import type { EventRepository, InventoryRepository } from '@gantry/store';
import { ClusterConnection } from './cluster-connection.ts';
import type { KubeClient } from './kube/kube-client.ts';
import type { Connection, WatchWorker } from './watch-worker/watch-worker.ts';

/** Where a connection gets its client: built here, or from the kubeconfig inside the watch worker. */
export interface ConnectionSource {
  client: () => Promise<KubeClient>;
  kubeconfig: string;
  context?: string;
}

/**
 * The running connections of this server, one per Cluster, replaced when its kubeconfig changes. With a
 * `worker`, the watches run in that worker thread; without, on this thread.
 */
export class ConnectionRegistry {
  readonly #connections = new Map<string, { connection: Connection; fingerprint: string }>();

  constructor(
    private readonly deps: { inventory: InventoryRepository; events: EventRepository; logger: Logger; now: () => number; flushIntervalMs?: number; worker?: WatchWorker },
  ) {}

  get(cluster: string): Connection | undefined {
    return this.#connections.get(cluster)?.connection;
  }

  /** Starts a connection for `cluster` unless one with the same `fingerprint` (kubeconfig and context) runs. */
  async ensure(cluster: string, team: string, fingerprint: string, source: ConnectionSource, onStateChange?: () => void): Promise<Connection> {
    const running = this.#connections.get(cluster);
    if (running?.fingerprint === fingerprint) return running.connection;
    if (running) await this.stop(cluster);
    if (this.deps.worker) {
      const connection = this.deps.worker.open({ cluster, team, kubeconfig: source.kubeconfig, ...(source.context !== undefined ? { context: source.context } : {}), ...(onStateChange ? { onStateChange } : {}) });
      this.#connections.set(cluster, { connection, fingerprint });
      return connection;
    }
    const connection = new ClusterConnection({
      cluster,
      team,
      client: await source.client(),
      inventory: this.deps.inventory,
      events: this.deps.events,
      logger: this.deps.logger.child({ cluster }),
      now: this.deps.now,
      ...(this.deps.flushIntervalMs !== undefined ? { flushIntervalMs: this.deps.flushIntervalMs } : {}),
      ...(onStateChange ? { onStateChange } : {}),
    });
    this.#connections.set(cluster, { connection, fingerprint });
    connection.start();
    return connection;
  }

  async stop(cluster: string): Promise<void> {
    const running = this.#connections.get(cluster);
    this.#connections.delete(cluster);
    await running?.connection.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#connections.keys()].map((cluster) => this.stop(cluster)));
  }
}
