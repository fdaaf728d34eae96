import { createHash } from 'node:crypto';
import { KubeApiError, type KubeClient, type KubeObject } from '@gantry/fleet';
import type { ChangeSpec, ChangeTargets, ChangeWorkloadOperation } from '@gantry/model';
import type { ActuatorOutcome, ApplyRequest, ChangeActuator, TargetResolution } from './actuator.ts';

export const WorkloadActuatorReason = {
  BadEntity: 'BadEntity',
  NoOperation: 'NoOperation',
  NotSupported: 'NotSupported',
  WorkloadNotFound: 'WorkloadNotFound',
  OperationFailed: 'OperationFailed',
  /** The rollout or the scale did not converge yet: the engine asks again. */
  Progressing: 'Progressing',
} as const;

/** The pod template annotation a restart sets: a digest of the step's key, so a repeat patches nothing new. */
export const RESTART_ANNOTATION = 'gantry.dev/restart';

const PLURALS: Record<string, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
};

/** `<cluster>/<namespace>/<Kind>/<name>` read back; undefined when malformed. */
export interface WorkloadEntity {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
}

export function parseWorkloadEntity(entity: string): WorkloadEntity | undefined {
  const parts = entity.split('/');
  if (parts.length !== 4 || parts.some((part) => part === '')) return undefined;
  const [cluster, namespace, kind, name] = parts as [string, string, string, string];
  return { cluster, namespace, kind, name };
}

export interface WorkloadActuatorDeps {
  /** The team's cluster's client (`ClusterClients.get`). */
  clients: { get(team: string, cluster: string): Promise<KubeClient> };
  /** The operation of a change (its `workloadOperation`, once the Change kind carries it). */
  operationOf: (spec: ChangeSpec) => ChangeWorkloadOperation | undefined;
}

interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  desiredNumberScheduled?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
}

type Workload = KubeObject & {
  metadata: KubeObject['metadata'] & { generation?: number };
  spec?: { replicas?: number; template?: { metadata?: { annotations?: Record<string, string> } } };
  status?: WorkloadStatus;
};

/**
 * Restarts a workload's rollout, scales it, or deletes a pod, in the team's clusters through their
 * Kubernetes clients — the healing actions that are not node operations (ADR 0032 next steps, ADR 0037).
 * Each apply is safe to repeat with the same key: a restart sets the pod template annotation
 * `gantry.dev/restart` to a digest of the key (the same key patches the same value: no second rollout), a
 * scale sets the same replicas, and a pod already gone counts as deleted. A restart or a scale answers
 * `Running` until the rollout has converged (`progress`: observed generation, updated and available
 * replicas); a deleted pod is done at once. None has an inverse (a rollback of such a change is refused).
 */
export class WorkloadOperationActuator implements ChangeActuator {
  readonly entityKind = 'Workload';

  constructor(private readonly deps: WorkloadActuatorDeps) {}

  canUndo(): boolean {
    return false;
  }

  /** Workload targets are named (`cluster/namespace/Kind/name`); a selector is refused. */
  resolve(_team: string, _spec: ChangeSpec, targets: ChangeTargets): Promise<TargetResolution> {
    if (!targets.names)
      return Promise.resolve({
        ok: false,
        reason: WorkloadActuatorReason.NotSupported,
        message: 'workload operations take named targets: <cluster>/<namespace>/<Kind>/<name>',
      });
    const bad = targets.names.filter((name) => !parseWorkloadEntity(name));
    if (bad.length > 0)
      return Promise.resolve({
        ok: false,
        reason: WorkloadActuatorReason.BadEntity,
        message: `not <cluster>/<namespace>/<Kind>/<name>: ${bad.slice(0, 5).join(', ')}`,
      });
    return Promise.resolve({ ok: true, entities: [...targets.names].sort() });
  }

  async apply(request: ApplyRequest): Promise<ActuatorOutcome> {
    const checked = this.#check(request);
    if ('status' in checked) return checked;
    const { entity, operation } = checked;
    try {
      const client = await this.deps.clients.get(request.team, entity.cluster);
      if (operation.operation === 'deletePod') return await deletePod(client, entity);
      if (operation.operation === 'scale') return await scale(client, entity, operation.replicas);
      return await restart(client, entity, request.key);
    } catch (error) {
      return failure(error, entity);
    }
  }

  async progress(request: ApplyRequest & { handle: string }): Promise<ActuatorOutcome> {
    const checked = this.#check(request);
    if ('status' in checked) return checked;
    const { entity } = checked;
    try {
      const client = await this.deps.clients.get(request.team, entity.cluster);
      const workload = await client.request<Workload>('GET', workloadPath(entity));
      return rolloutState(workload, Number(request.handle));
    } catch (error) {
      return failure(error, entity);
    }
  }

  subject(team: string, entity: string) {
    const parsed = parseWorkloadEntity(entity);
    return parsed
      ? { kind: parsed.kind === 'Pod' ? 'Pod' : 'Workload', team, cluster: parsed.cluster, name: parsed.name }
      : { kind: 'Workload', team, name: entity };
  }

  #check(
    request: ApplyRequest,
  ): ActuatorOutcome | { entity: WorkloadEntity; operation: ChangeWorkloadOperation } {
    const operation = this.deps.operationOf(request.spec);
    if (!operation)
      return {
        status: 'Failed',
        reason: WorkloadActuatorReason.NoOperation,
        message: 'no workloadOperation',
      };
    const entity = parseWorkloadEntity(request.entity);
    if (!entity)
      return {
        status: 'Failed',
        reason: WorkloadActuatorReason.BadEntity,
        message: `${request.entity} is not <cluster>/<namespace>/<Kind>/<name>`,
      };
    const kinds =
      operation.operation === 'deletePod'
        ? ['Pod']
        : operation.operation === 'scale'
          ? ['Deployment', 'StatefulSet']
          : ['Deployment', 'StatefulSet', 'DaemonSet'];
    if (!kinds.includes(entity.kind))
      return {
        status: 'Failed',
        reason: WorkloadActuatorReason.NotSupported,
        message: `${operation.operation} applies to ${kinds.join(', ')}, not ${entity.kind}`,
      };
    if (operation.operation === 'scale' && operation.replicas === undefined)
      return {
        status: 'Failed',
        reason: WorkloadActuatorReason.NoOperation,
        message: 'scale needs replicas',
      };
    return { entity, operation };
  }
}

function workloadPath(entity: WorkloadEntity): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(entity.namespace)}/${PLURALS[entity.kind]}/${encodeURIComponent(entity.name)}`;
}

/** A digest of the step's key: the annotation's value, the same for a repeat of the same step. */
export function restartStamp(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

async function restart(client: KubeClient, entity: WorkloadEntity, key: string): Promise<ActuatorOutcome> {
  const stamp = restartStamp(key);
  const current = await client.request<Workload>('GET', workloadPath(entity));
  let workload = current;
  if (current.spec?.template?.metadata?.annotations?.[RESTART_ANNOTATION] !== stamp)
    workload = await client.request<Workload>(
      'PATCH',
      workloadPath(entity),
      { spec: { template: { metadata: { annotations: { [RESTART_ANNOTATION]: stamp } } } } },
      { contentType: 'application/merge-patch+json' },
    );
  const generation = workload.metadata.generation ?? 0;
  const state = rolloutState(workload, generation);
  return state.status === 'Succeeded'
    ? state
    : { status: 'Running', handle: String(generation), message: 'rolling out' };
}

async function scale(
  client: KubeClient,
  entity: WorkloadEntity,
  replicas: number | undefined,
): Promise<ActuatorOutcome> {
  const workload = await client.request<Workload>(
    'PATCH',
    workloadPath(entity),
    { spec: { replicas } },
    { contentType: 'application/merge-patch+json' },
  );
  const generation = workload.metadata.generation ?? 0;
  const state = rolloutState(workload, generation);
  return state.status === 'Succeeded'
    ? state
    : { status: 'Running', handle: String(generation), message: `scaling to ${replicas}` };
}

async function deletePod(client: KubeClient, entity: WorkloadEntity): Promise<ActuatorOutcome> {
  try {
    await client.request(
      'DELETE',
      `/api/v1/namespaces/${encodeURIComponent(entity.namespace)}/pods/${encodeURIComponent(entity.name)}`,
    );
    return { status: 'Succeeded', message: `pod ${entity.namespace}/${entity.name} deleted` };
  } catch (error) {
    // Gone already: a repeat of the step, or the pod went by itself; either way it is deleted.
    if (error instanceof KubeApiError && error.status === 404)
      return { status: 'Succeeded', message: `pod ${entity.namespace}/${entity.name} was gone` };
    throw error;
  }
}

/** Whether a workload's rollout of `generation` has converged: every replica updated and available. */
export function rolloutState(workload: Workload, generation: number): ActuatorOutcome {
  const status = workload.status ?? {};
  const observed = status.observedGeneration ?? 0;
  if (observed < generation)
    return { status: 'Running', handle: String(generation), message: 'the controller has not seen it yet' };
  if (workload.kind === 'DaemonSet' || status.desiredNumberScheduled !== undefined) {
    const desired = status.desiredNumberScheduled ?? 0;
    if ((status.updatedNumberScheduled ?? 0) >= desired && (status.numberAvailable ?? 0) >= desired)
      return { status: 'Succeeded', message: `${desired} pod(s) updated and available` };
    return {
      status: 'Running',
      handle: String(generation),
      message: `${status.updatedNumberScheduled ?? 0}/${desired} updated, ${status.numberAvailable ?? 0} available`,
    };
  }
  const wanted = workload.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const ready = status.availableReplicas ?? status.readyReplicas ?? 0;
  const total = status.replicas ?? 0;
  if (updated >= wanted && ready >= wanted && total <= wanted)
    return { status: 'Succeeded', message: `${wanted} replica(s) updated and available` };
  return {
    status: 'Running',
    handle: String(generation),
    message: `${updated}/${wanted} updated, ${ready} available, ${total} in all`,
  };
}

function failure(error: unknown, entity: WorkloadEntity): ActuatorOutcome {
  if (error instanceof KubeApiError && error.status === 404)
    return {
      status: 'Failed',
      reason: WorkloadActuatorReason.WorkloadNotFound,
      message: `${entity.kind} ${entity.namespace}/${entity.name} not found in cluster ${entity.cluster}`,
    };
  return {
    status: 'Failed',
    reason: WorkloadActuatorReason.OperationFailed,
    message: error instanceof Error ? error.message : String(error),
  };
}
