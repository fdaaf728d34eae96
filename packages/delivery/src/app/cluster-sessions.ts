import type { ObjectKey } from '@gantry/controllers';
import type { ClusterClients, KubeClient, KubeObject } from '@gantry/fleet';
import { ResourceDiscovery } from '../kube/discovery.ts';
import { WorkloadWatcher } from '../kube/workload-watcher.ts';
import { APP_LABEL, TEAM_LABEL } from './revisions.ts';

/** What this server keeps per cluster while it leads: one client, its discovery cache and workload watch. */
export interface ClusterSession {
  client: KubeClient;
  discovery: ResourceDiscovery;
  watcher: WorkloadWatcher;
  /** Namespaces known to exist (see DeployDeps.namespaces). */
  namespaces: Set<string>;
}

/**
 * One session per cluster, made when first needed and made again when fleet's client changes (a new
 * kubeconfig). A watched change to an object labelled with an application is reported to `onChange`.
 */
export class ClusterSessions {
  readonly #sessions = new Map<string, ClusterSession>();

  constructor(
    private readonly clients: Pick<ClusterClients, 'get'>,
    private readonly onChange: (key: ObjectKey) => void,
    /** Told of every watched version of an object as the API server sent it (change detection). */
    private readonly onObserved?: (team: string, cluster: string, raw: KubeObject, deleted: boolean) => void,
  ) {}

  /** Throws what fleet's ClusterClients throws when the cluster or its kubeconfig cannot be had. */
  async get(team: string, cluster: string): Promise<ClusterSession> {
    const id = `${team}/${cluster}`;
    const client = await this.clients.get(team, cluster);
    const existing = this.#sessions.get(id);
    if (existing?.client === client) return existing;
    if (existing) void existing.watcher.stop();
    const watcher = new WorkloadWatcher(client, {
      labelSelector: APP_LABEL,
      onChange: (object: KubeObject, type, raw) => {
        this.onObserved?.(team, cluster, raw, type === 'DELETED');
        const labels = object.metadata.labels ?? {};
        const app = labels[APP_LABEL];
        if (app && labels[TEAM_LABEL] === team) this.onChange({ team, name: app });
      },
    });
    watcher.start();
    const created: ClusterSession = {
      client,
      discovery: new ResourceDiscovery(client),
      watcher,
      namespaces: new Set(),
    };
    this.#sessions.set(id, created);
    return created;
  }

  stopAll(): void {
    for (const session of this.#sessions.values()) void session.watcher.stop();
    this.#sessions.clear();
  }
}
