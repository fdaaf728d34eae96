import type { Logger } from 'pino';
import type { EventRepository, InventoryRepository } from '@gantry/store';
import { ClusterConnection, type ConnectionTerm } from './cluster-connection.ts';
import type { KubeClient } from './kube/kube-client.ts';

/** The running connections of this server, one per Cluster, replaced when its kubeconfig changes. */
export class ConnectionRegistry {
  readonly #connections = new Map<
    string,
    { connection: ClusterConnection; fingerprint: string; term: ConnectionTerm | undefined }
  >();

  constructor(
    private readonly deps: {
      inventory: InventoryRepository;
      events: EventRepository;
      logger: Logger;
      now: () => number;
      flushIntervalMs?: number;
      /** `GANTRY_FLEET_TLS_CERTIFICATES`: every connection keeps its TLS Secrets' expiry. */
      tlsCertificates?: boolean;
    },
  ) {}

  get(cluster: string): ClusterConnection | undefined {
    return this.#connections.get(cluster)?.connection;
  }

  /**
   * Starts a connection for `cluster` unless one with the same `fingerprint` (kubeconfig and context) runs
   * in the same `term`; its writes carry the term's fence (ADR 0028).
   */
  async ensure(
    cluster: string,
    team: string,
    fingerprint: string,
    client: () => Promise<KubeClient>,
    onStateChange?: () => void,
    term?: ConnectionTerm,
  ): Promise<ClusterConnection> {
    const running = this.#connections.get(cluster);
    if (running?.fingerprint === fingerprint && running.term === term) return running.connection;
    if (running) await this.stop(cluster);
    const connection = new ClusterConnection({
      cluster,
      team,
      client: await client(),
      inventory: this.deps.inventory,
      events: this.deps.events,
      logger: this.deps.logger.child({ cluster }),
      now: this.deps.now,
      ...(this.deps.flushIntervalMs !== undefined ? { flushIntervalMs: this.deps.flushIntervalMs } : {}),
      ...(onStateChange ? { onStateChange } : {}),
      ...(this.deps.tlsCertificates ? { tlsCertificates: true } : {}),
      ...(term ? { term } : {}),
    });
    this.#connections.set(cluster, { connection, fingerprint, term });
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
