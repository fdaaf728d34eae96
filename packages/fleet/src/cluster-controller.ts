import type {
  Controller,
  EventRecorder,
  GantryEvent,
  ObjectKey,
  ReconcileContext,
  ReconcileResult,
  TermScope,
} from '@gantry/controllers';
import { setCondition, type ConditionUpdate } from '@gantry/controllers';
import { SYSTEM_PRINCIPAL, type SecretService } from '@gantry/identity';
import {
  isGantryError,
  type ClusterSpec,
  type ClusterStatus,
  type Condition,
  type Resource,
} from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { InventoryRepository, ResourceRepository } from '@gantry/store';
import type { ConnectionRegistry } from './connection-registry.ts';
import type { ConnectionState } from './cluster-connection.ts';
import {
  ClusterClientError,
  ClusterClients,
  type FingerprintedClient,
  type KubeClientFactory,
} from './cluster-clients.ts';
import { KubeApiError, type KubeClient } from './kube/kube-client.ts';

export const ClusterCondition = {
  Connected: 'Connected',
  InventorySynced: 'InventorySynced',
  Ready: 'Ready',
} as const;

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
  /** Connection transitions are recorded as events regarding the Cluster. */
  recorder: EventRecorder;
  /** How often a healthy cluster is probed again. */
  probeIntervalMs?: number;
  clientFactory?: KubeClientFactory;
}

const CALLER = { principal: SYSTEM_PRINCIPAL, source: 'controller/cluster' };

/** The reasons of the events this controller records, on transitions only (docs/reference/events.md). */
export const ClusterEventReason = {
  Connected: 'ClusterConnected',
  ConnectionFailed: 'ClusterConnectionFailed',
  Disconnected: 'ClusterDisconnected',
} as const;

/**
 * Stage 5: the event for a change of the Connected condition, if it changed: connected, failed (again
 * only when the cause changes), or disconnected on purpose (paused). A steady cluster records nothing.
 */
export function connectionEvent(
  before: Condition | undefined,
  after: Condition | undefined,
): Pick<GantryEvent, 'type' | 'reason' | 'message'> | undefined {
  if (!after) return undefined;
  const was = before?.status === 'True';
  if (after.status === 'True')
    return was
      ? undefined
      : { type: 'Normal', reason: ClusterEventReason.Connected, message: after.message ?? 'connected' };
  if (after.reason === ClusterReason.Paused)
    return was
      ? { type: 'Normal', reason: ClusterEventReason.Disconnected, message: after.message ?? 'paused' }
      : undefined;
  if (after.status === 'False' && (was || before?.reason !== after.reason))
    return {
      type: 'Warning',
      reason: ClusterEventReason.ConnectionFailed,
      message: `${after.reason}: ${after.message ?? ''}`.trim(),
    };
  return undefined;
}

/** Turns a failed probe into a condition reason that names the cause. */
export function classifyFailure(error: unknown): { reason: string; message: string } {
  if (error instanceof KubeApiError) {
    if (error.status === 401)
      return {
        reason: ClusterReason.Unauthorized,
        message: `the API server refused the credentials: ${error.message}`,
      };
    if (error.status === 403)
      return {
        reason: ClusterReason.Forbidden,
        message: `the credentials may not read /version: ${error.message}`,
      };
    if (error.status >= 500) return { reason: ClusterReason.ServerError, message: error.message };
    if (
      /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|EPROTO|altnames/i.test(`${error.reason} ${error.message}`)
    ) {
      return { reason: ClusterReason.TLSError, message: `TLS failed: ${error.message}` };
    }
    if (error.status === 0)
      return { reason: ClusterReason.Unreachable, message: `cannot reach the API server: ${error.message}` };
    return { reason: ClusterReason.ServerError, message: error.message };
  }
  if (isGantryError(error)) return { reason: ClusterReason.KubeconfigInvalid, message: error.message };
  return { reason: ClusterReason.Unreachable, message: (error as Error).message };
}

function syncCondition(state: ConnectionState | undefined, generation: number): ConditionUpdate {
  const base = { type: ClusterCondition.InventorySynced, observedGeneration: generation };
  if (!state)
    return {
      ...base,
      status: 'False',
      reason: ClusterReason.NotConnected,
      message: 'no connection to the cluster',
    };
  const failing = Object.entries(state.kinds).filter(([, kind]) => kind.error !== undefined && !kind.synced);
  if (failing.length > 0) {
    const message = failing.map(([kind, s]) => `${kind}: ${s.error}`).join('; ');
    return { ...base, status: 'False', reason: ClusterReason.WatchFailing, message };
  }
  const waiting = Object.entries(state.kinds)
    .filter(([, kind]) => !kind.synced)
    .map(([kind]) => kind);
  if (waiting.length > 0)
    return {
      ...base,
      status: 'False',
      reason: ClusterReason.Syncing,
      message: `listing ${waiting.join(', ')}`,
    };
  return {
    ...base,
    status: 'True',
    reason: ClusterReason.Synced,
    message: `watching ${Object.keys(state.kinds).length} resource kinds`,
  };
}

/**
 * Keeps each Cluster connected: reads its kubeconfig from its secret, probes the API server, runs the
 * watches that feed the inventory (only on the server holding this controller's lease), and reports
 * what it saw in status conditions: Connected, InventorySynced, Ready.
 */
type ClusterObject = Resource<ClusterSpec, ClusterStatus>;
type Outcome<T> = { ok: true; value: T } | { ok: false; condition: Omit<ConditionUpdate, 'type'> };

/** Stage 1: the kubeconfig from the cluster's secret, as a client (and a fingerprint to notice changes). */
async function loadClient(
  clients: ClusterClients,
  cluster: ClusterObject,
): Promise<Outcome<FingerprintedClient>> {
  try {
    return { ok: true, value: await clients.forCluster(cluster) };
  } catch (error) {
    const reason = error instanceof ClusterClientError ? error.reason : ClusterReason.KubeconfigInvalid;
    const message = error instanceof ClusterClientError ? error.detail : (error as Error).message;
    return { ok: false, condition: { status: 'False', reason, message } };
  }
}

/** Stage 2: ask the API server for its version, timing the round trip. */
async function probe(client: KubeClient): Promise<Outcome<{ version: string; latencyMs: number }>> {
  const started = performance.now();
  try {
    const version = await client.request<{ gitVersion: string }>('GET', '/version', undefined, {
      timeoutMs: 5000,
    });
    return {
      ok: true,
      value: { version: version.gitVersion, latencyMs: Math.max(1, Math.round(performance.now() - started)) },
    };
  } catch (error) {
    return { ok: false, condition: { status: 'False', ...classifyFailure(error) } };
  }
}

/** Latency is noted when it moves by half or more, so that a steady cluster's status stays still. */
function nextLatency(previous: number | undefined, measured: number): number {
  return previous === undefined || Math.abs(measured - previous) > Math.max(5, previous / 2)
    ? measured
    : previous;
}

/** Stage 4: Ready follows Connected and InventorySynced, carrying the first failure's reason. */
function readyCondition(conditions: readonly Condition[], generation: number): ConditionUpdate {
  const failing = conditions.find((c) => c.status !== 'True' && c.type !== ClusterCondition.Ready);
  return failing
    ? {
        type: ClusterCondition.Ready,
        status: 'False',
        reason: failing.reason,
        message: failing.message,
        observedGeneration: generation,
      }
    : {
        type: ClusterCondition.Ready,
        status: 'True',
        reason: ClusterReason.Synced,
        message: 'connected and the inventory is in sync',
        observedGeneration: generation,
      };
}

/**
 * Keeps each Cluster connected: reads its kubeconfig from its secret, probes the API server, runs the
 * watches that feed the inventory (only on the server holding this controller's lease), and reports
 * what it saw in status conditions: Connected, InventorySynced, Ready.
 */
export function createClusterController(deps: ClusterControllerDeps): Controller {
  const probeIntervalMs = deps.probeIntervalMs ?? 15_000;
  /** Clients built from kubeconfigs, and the watches, live as long as the term (ADR 0028). */
  const clientsOf = (term: TermScope) =>
    term.cache('clients', () => {
      const clients = new ClusterClients(deps);
      term.onEnd(() => {
        clients.closeAll();
        void deps.connections.stopAll();
      });
      return clients;
    });

  return {
    name: 'cluster',
    kind: 'Cluster',
    concurrency: 4,
    async reconcile(ctx: ReconcileContext, key: ObjectKey): Promise<ReconcileResult> {
      // Watches run only while this server leads: the term's end stops them all.
      const clients = clientsOf(ctx.term);
      const clusterId = `${key.team}/${key.name}`;
      const cluster = (await deps.repository.get({ kind: 'Cluster', team: key.team, name: key.name })) as
        ClusterObject | undefined;
      const regarding = { kind: 'Cluster', name: key.name, team: key.team, cluster: key.name };
      if (!cluster) {
        clients.forget(key.team, key.name);
        if (deps.connections.get(clusterId))
          deps.recorder.record(
            {
              type: 'Normal',
              reason: ClusterEventReason.Disconnected,
              message: 'the Cluster was deleted: stopped watching it',
              regarding,
              actor: CALLER.source,
            },
            ctx.term,
          );
        await deps.connections.stop(clusterId);
        await deps.inventory.deleteCluster(clusterId, ctx.term.fence);
        return {};
      }
      const now = ctx.now();
      const generation = cluster.metadata.generation;
      const status: ClusterStatus = { ...cluster.status, observedGeneration: generation };
      let conditions = cluster.status?.conditions ?? [];
      const connectedBefore = conditions.find((c) => c.type === ClusterCondition.Connected);
      const set = (update: ConditionUpdate) =>
        (conditions = setCondition(conditions, { ...update, observedGeneration: generation }, now));

      // Stages 1-3: connect, probe, keep the watches running.
      if (cluster.spec.paused) {
        clients.forget(key.team, key.name);
        await deps.connections.stop(clusterId);
        set({
          type: ClusterCondition.Connected,
          status: 'Unknown',
          reason: ClusterReason.Paused,
          message: 'spec.paused is true: not watching the cluster',
        });
      } else {
        const loaded = await loadClient(clients, cluster);
        if (!loaded.ok) {
          await deps.connections.stop(clusterId);
          set({ type: ClusterCondition.Connected, ...loaded.condition });
        } else {
          const { client, fingerprint } = loaded.value;
          status.server = client.server;
          const probed = await probe(client);
          if (!probed.ok) {
            set({ type: ClusterCondition.Connected, ...probed.condition });
          } else {
            status.serverVersion = probed.value.version;
            status.latencyMs = nextLatency(status.latencyMs, probed.value.latencyMs);
            set({
              type: ClusterCondition.Connected,
              status: 'True',
              reason: ClusterReason.Connected,
              message: `${client.server} answers, Kubernetes ${probed.value.version}`,
            });
            await deps.connections.ensure(
              clusterId,
              key.team,
              fingerprint,
              () => Promise.resolve(client),
              undefined,
              ctx.term,
            );
          }
        }
      }

      // Stage 4: what the watches report, and Ready.
      const state = deps.connections.get(clusterId)?.state();
      set(syncCondition(state, generation));
      if (state)
        status.inventory = {
          nodes: state.nodes,
          readyNodes: state.readyNodes,
          namespaces: state.namespaces,
          workloads: state.workloads,
          pods: state.pods,
        };
      set(readyCondition(conditions, generation));
      status.conditions = conditions;
      if (!ctx.signal.aborted) {
        await deps.resources.replaceStatus(
          CALLER,
          'Cluster',
          key.team,
          key.name,
          { metadata: { name: key.name }, status },
          ctx.term.fence ? { fence: ctx.term.fence } : {},
        );
        const event = connectionEvent(
          connectedBefore,
          conditions.find((c) => c.type === ClusterCondition.Connected),
        );
        if (event) deps.recorder.record({ ...event, regarding, actor: CALLER.source }, ctx.term);
      }
      // Follow a sync closely; retry a failing cluster every few seconds; probe a healthy one at the interval.
      const connected = conditions.find((c) => c.type === ClusterCondition.Connected)?.status === 'True';
      const ready = conditions.find((c) => c.type === ClusterCondition.Ready)?.status === 'True';
      return { requeueAfterMs: ready ? probeIntervalMs : connected ? 1000 : 5000 };
    },
  };
}
