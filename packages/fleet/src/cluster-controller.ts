import { createHash } from 'node:crypto';
import type { Controller, ObjectKey, ReconcileContext, ReconcileResult } from '@gantry/controllers';
import { setCondition, type ConditionUpdate } from '@gantry/controllers';
import { SYSTEM_PRINCIPAL, type SecretService } from '@gantry/identity';
import { isGantryError, type ClusterSpec, type ClusterStatus, type Resource } from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { InventoryRepository, ResourceRepository } from '@gantry/store';
import type { ConnectionRegistry } from './connection-registry.ts';
import type { ConnectionState } from './cluster-connection.ts';
import { KubeApiError, kubeClientFromKubeconfig, type KubeClient } from './kube/kube-client.ts';

export const ClusterCondition = { Connected: 'Connected', InventorySynced: 'InventorySynced', Ready: 'Ready' } as const;

export const ClusterReason = {
  Connected: 'Connected',
  Paused: 'Paused',
  SecretMissing: 'SecretMissing',
  KubeconfigInvalid: 'KubeconfigInvalid',
  Unreachable: 'Unreachable',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  TLSError: 'TLSError',
  ServerError: 'ServerError',
  Synced: 'Synced',
  Syncing: 'Syncing',
  WatchFailing: 'WatchFailing',
  NotConnected: 'NotConnected',
} as const;

export interface ClusterControllerDeps {
  resources: ResourceService;
  repository: ResourceRepository;
  secrets: SecretService;
  inventory: InventoryRepository;
  connections: ConnectionRegistry;
  /** How often a healthy cluster is probed again. */
  probeIntervalMs?: number;
  clientFactory?: (kubeconfig: string, context?: string) => Promise<KubeClient>;
}

const CALLER = { principal: SYSTEM_PRINCIPAL, source: 'controller/cluster' };

/** Turns a failed probe into a condition reason that names the cause. */
export function classifyFailure(error: unknown): { reason: string; message: string } {
  if (error instanceof KubeApiError) {
    if (error.status === 401) return { reason: ClusterReason.Unauthorized, message: `the API server refused the credentials: ${error.message}` };
    if (error.status === 403) return { reason: ClusterReason.Forbidden, message: `the credentials may not read /version: ${error.message}` };
    if (error.status >= 500) return { reason: ClusterReason.ServerError, message: error.message };
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|EPROTO|altnames/i.test(`${error.reason} ${error.message}`)) {
      return { reason: ClusterReason.TLSError, message: `TLS failed: ${error.message}` };
    }
    if (error.status === 0) return { reason: ClusterReason.Unreachable, message: `cannot reach the API server: ${error.message}` };
    return { reason: ClusterReason.ServerError, message: error.message };
  }
  if (isGantryError(error)) return { reason: ClusterReason.KubeconfigInvalid, message: error.message };
  return { reason: ClusterReason.Unreachable, message: (error as Error).message };
}

function syncCondition(state: ConnectionState | undefined, generation: number): ConditionUpdate {
  const base = { type: ClusterCondition.InventorySynced, observedGeneration: generation };
  if (!state) return { ...base, status: 'False', reason: ClusterReason.NotConnected, message: 'no connection to the cluster' };
  const failing = Object.entries(state.kinds).filter(([, kind]) => kind.error !== undefined && !kind.synced);
  if (failing.length > 0) {
    const message = failing.map(([kind, s]) => `${kind}: ${s.error}`).join('; ');
    return { ...base, status: 'False', reason: ClusterReason.WatchFailing, message };
  }
  const waiting = Object.entries(state.kinds).filter(([, kind]) => !kind.synced).map(([kind]) => kind);
  if (waiting.length > 0) return { ...base, status: 'False', reason: ClusterReason.Syncing, message: `listing ${waiting.join(', ')}` };
  return { ...base, status: 'True', reason: ClusterReason.Synced, message: `watching ${Object.keys(state.kinds).length} resource kinds` };
}

/**
 * Keeps each Cluster connected: reads its kubeconfig from its secret, probes the API server, runs the
 * watches that feed the inventory (only on the server holding this controller's lease), and reports
 * what it saw in status conditions: Connected, InventorySynced, Ready.
 */
export function createClusterController(deps: ClusterControllerDeps): Controller {
  const probeIntervalMs = deps.probeIntervalMs ?? 15_000;
  const makeClient = deps.clientFactory ?? kubeClientFromKubeconfig;
  let leadership: AbortSignal | undefined;

  return {
    name: 'cluster',
    kind: 'Cluster',
    concurrency: 4,
    async reconcile(ctx: ReconcileContext, key: ObjectKey): Promise<ReconcileResult> {
      // Watches run only while this server leads: stop them all when the lease goes.
      if (leadership !== ctx.signal) {
        leadership = ctx.signal;
        ctx.signal.addEventListener('abort', () => void deps.connections.stopAll(), { once: true });
      }
      const clusterId = `${key.team}/${key.name}`;
      const cluster = (await deps.repository.get({ kind: 'Cluster', team: key.team, name: key.name })) as Resource<ClusterSpec, ClusterStatus> | undefined;
      if (!cluster) {
        await deps.connections.stop(clusterId);
        await deps.inventory.deleteCluster(clusterId);
        return {};
      }
      const now = ctx.now();
      const generation = cluster.metadata.generation;
      let conditions = cluster.status?.conditions;
      const status: ClusterStatus = { ...cluster.status, observedGeneration: generation };
      const connected = (value: 'True' | 'False' | 'Unknown', reason: string, message: string) => {
        conditions = setCondition(conditions, { type: ClusterCondition.Connected, status: value, reason, message, observedGeneration: generation }, now);
      };

      let client: KubeClient | undefined;
      let fingerprint = '';
      if (cluster.spec.paused) {
        await deps.connections.stop(clusterId);
        connected('Unknown', ClusterReason.Paused, 'spec.paused is true: not watching the cluster');
      } else {
        try {
          const secret = await deps.secrets.reveal(key.team, cluster.spec.kubeconfigSecret.name);
          const kubeconfig = secret[cluster.spec.kubeconfigSecret.key];
          if (kubeconfig === undefined) throw new Error(`secret ${cluster.spec.kubeconfigSecret.name} has no key ${cluster.spec.kubeconfigSecret.key}`);
          fingerprint = createHash('sha256').update(kubeconfig).update('\u0000').update(cluster.spec.context ?? '').digest('hex');
          client = await makeClient(kubeconfig, cluster.spec.context);
          status.server = client.server;
        } catch (error) {
          const missing = isGantryError(error) && error.status === 404;
          connected('False', missing ? ClusterReason.SecretMissing : ClusterReason.KubeconfigInvalid, (error as Error).message);
          await deps.connections.stop(clusterId);
        }
        if (client) {
          const started = performance.now();
          try {
            const version = await client.request<{ gitVersion: string }>('GET', '/version', undefined, { timeoutMs: 5000 });
            // Latency is noted when it moves by half or more, so that a steady cluster's status stays still.
            const latency = Math.max(1, Math.round(performance.now() - started));
            if (status.latencyMs === undefined || Math.abs(latency - status.latencyMs) > Math.max(5, status.latencyMs / 2)) status.latencyMs = latency;
            status.serverVersion = version.gitVersion;
            connected('True', ClusterReason.Connected, `${client.server} answers, Kubernetes ${version.gitVersion}`);
            const probed = client;
            await deps.connections.ensure(clusterId, key.team, fingerprint, () => Promise.resolve(probed));
          } catch (error) {
            const failure = classifyFailure(error);
            connected('False', failure.reason, failure.message);
          }
        }
      }

      const state = deps.connections.get(clusterId)?.state();
      conditions = setCondition(conditions, syncCondition(state, generation), now);
      if (state) status.inventory = { nodes: state.nodes, readyNodes: state.readyNodes, namespaces: state.namespaces, workloads: state.workloads, pods: state.pods };
      const isConnected = conditions.find((c) => c.type === ClusterCondition.Connected)?.status === 'True';
      const isSynced = conditions.find((c) => c.type === ClusterCondition.InventorySynced)?.status === 'True';
      const notReady = conditions.find((c) => c.status !== 'True' && c.type !== ClusterCondition.Ready);
      conditions = setCondition(
        conditions,
        {
          type: ClusterCondition.Ready,
          status: isConnected && isSynced ? 'True' : 'False',
          reason: isConnected && isSynced ? ClusterReason.Synced : (notReady?.reason ?? ClusterReason.NotConnected),
          message: isConnected && isSynced ? 'connected and the inventory is in sync' : (notReady?.message ?? 'not connected'),
          observedGeneration: generation,
        },
        now,
      );
      status.conditions = conditions;
      if (!ctx.signal.aborted) {
        await deps.resources.replaceStatus(CALLER, 'Cluster', key.team, key.name, { metadata: { name: key.name }, status });
      }
      // Look again soon while syncing or failing, so status follows; then at the probe interval.
      return { requeueAfterMs: isConnected && isSynced ? probeIntervalMs : 1000 };
    },
  };
}
