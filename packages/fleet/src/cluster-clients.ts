import { createHash } from 'node:crypto';
import type { SecretService } from '@gantry/identity';
import {
  ErrorCodes,
  GantryError,
  isGantryError,
  type ClusterSpec,
  type ErrorDetail,
  type Resource,
} from '@gantry/model';
import type { ResourceRepository } from '@gantry/store';
import { kubeClientFromKubeconfig, type KubeClient } from './kube/kube-client.ts';

/** Builds a client from a kubeconfig; injectable so that tests need no API server. */
export type KubeClientFactory = (kubeconfig: string, context?: string) => Promise<KubeClient>;

export interface ClusterClientsDeps {
  repository: Pick<ResourceRepository, 'get'>;
  secrets: Pick<SecretService, 'reveal'>;
  clientFactory?: KubeClientFactory;
}

/** Why no client could be built; the names match the Cluster's `Connected` condition reasons. */
export type ClusterClientFailure = 'ClusterNotFound' | 'SecretMissing' | 'KubeconfigInvalid';

/**
 * A cluster Gantry cannot talk to because of how it is registered (not because the API server failed:
 * that is a `KubeApiError`). `detail` is the cause alone, for a status condition on the cluster itself;
 * `message` also names the cluster, for everyone else.
 */
export class ClusterClientError extends GantryError {
  constructor(
    /** `team/name` of the Cluster. */
    readonly cluster: string,
    readonly reason: ClusterClientFailure,
    readonly detail: string,
    details: readonly ErrorDetail[] = [],
  ) {
    const invalid = reason === 'KubeconfigInvalid';
    super(
      invalid ? 400 : 404,
      invalid ? ErrorCodes.invalid : ErrorCodes.notFound,
      `cluster ${cluster}: ${detail}`,
      details,
    );
  }
}

/** A client with the fingerprint of the kubeconfig and context it was built from. */
export interface FingerprintedClient {
  client: KubeClient;
  /** sha256 of kubeconfig and context: equal fingerprints, same connection settings. */
  fingerprint: string;
}

type ClusterObject = Resource<ClusterSpec>;

export function kubeconfigFingerprint(kubeconfig: string, context: string | undefined): string {
  return createHash('sha256')
    .update(kubeconfig)
    .update('\u0000')
    .update(context ?? '')
    .digest('hex');
}

/**
 * One Kubernetes client per registered Cluster, built from the kubeconfig in the cluster's secret and
 * kept while that kubeconfig (and context) stays the same, so that callers reuse kept-alive connections
 * instead of paying a TLS handshake per request. The secret is read on every `get` so that a rotated
 * kubeconfig is picked up at once; the replaced client is closed (requests still running on it fail
 * with a network error and are retried by their callers).
 */
export class ClusterClients {
  /** By `team/name`; the promise is cached so that concurrent callers share one client. */
  readonly #clients = new Map<string, { fingerprint: string; client: Promise<KubeClient> }>();
  readonly #deps: Required<ClusterClientsDeps>;

  constructor(deps: ClusterClientsDeps) {
    this.#deps = { ...deps, clientFactory: deps.clientFactory ?? kubeClientFromKubeconfig };
  }

  /** The client of Cluster `team/cluster`. */
  async get(team: string, cluster: string): Promise<KubeClient> {
    const object = (await this.#deps.repository.get({ kind: 'Cluster', team, name: cluster })) as
      ClusterObject | undefined;
    if (!object)
      throw new ClusterClientError(`${team}/${cluster}`, 'ClusterNotFound', 'no such cluster is registered');
    return (await this.forCluster(object)).client;
  }

  /** The client of a Cluster already read, with its fingerprint (for callers that track connections). */
  async forCluster(cluster: ClusterObject): Promise<FingerprintedClient> {
    const { team = '', name } = cluster.metadata;
    const id = `${team}/${name}`;
    const ref = cluster.spec.kubeconfigSecret;
    let secret: Record<string, string>;
    try {
      secret = await this.#deps.secrets.reveal(team, ref.name);
    } catch (error) {
      if (isGantryError(error) && error.status === 404) {
        throw new ClusterClientError(id, 'SecretMissing', error.message, [
          { path: '/spec/kubeconfigSecret/name', message: 'no such secret' },
        ]);
      }
      throw error;
    }
    const kubeconfig = secret[ref.key];
    if (kubeconfig === undefined) {
      throw new ClusterClientError(id, 'SecretMissing', `secret ${ref.name} has no key ${ref.key}`, [
        { path: '/spec/kubeconfigSecret/key', message: 'missing in the secret' },
      ]);
    }
    const fingerprint = kubeconfigFingerprint(kubeconfig, cluster.spec.context);
    const cached = this.#clients.get(id);
    if (cached?.fingerprint === fingerprint) return { client: await cached.client, fingerprint };
    if (cached) this.#close(id);
    const client = this.#deps.clientFactory(kubeconfig, cluster.spec.context);
    this.#clients.set(id, { fingerprint, client });
    try {
      return { client: await client, fingerprint };
    } catch (error) {
      // Only drop the entry if it is still ours: a newer kubeconfig may have replaced it meanwhile.
      if (this.#clients.get(id)?.client === client) this.#clients.delete(id);
      const details = isGantryError(error) ? error.details : [];
      throw new ClusterClientError(id, 'KubeconfigInvalid', (error as Error).message, details);
    }
  }

  /** Closes and drops the client of one cluster (deleted, paused, or no longer served here). */
  forget(team: string, cluster: string): void {
    this.#close(`${team}/${cluster}`);
  }

  closeAll(): void {
    for (const id of [...this.#clients.keys()]) this.#close(id);
  }

  #close(id: string): void {
    const entry = this.#clients.get(id);
    this.#clients.delete(id);
    // A client that failed to build has nothing to close.
    entry?.client.then(
      (client) => client.close(),
      () => undefined,
    );
  }
}
