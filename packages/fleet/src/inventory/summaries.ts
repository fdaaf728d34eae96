import type { NamespaceSummary, NodeSummary, WorkloadKind, WorkloadSummary } from '@gantry/model';
import type { ObservedEvent } from '@gantry/store';
import type { KubeObject } from '../kube/kube-client.ts';

/** The resources Gantry watches in each cluster, with their list paths. */
export const WATCHED = {
  Node: '/api/v1/nodes',
  Namespace: '/api/v1/namespaces',
  Deployment: '/apis/apps/v1/deployments',
  StatefulSet: '/apis/apps/v1/statefulsets',
  DaemonSet: '/apis/apps/v1/daemonsets',
  Job: '/apis/batch/v1/jobs',
  CronJob: '/apis/batch/v1/cronjobs',
  PodDisruptionBudget: '/apis/policy/v1/poddisruptionbudgets',
  Pod: '/api/v1/pods',
  Event: '/api/v1/events',
} as const;
/** The kinds a connection may watch: WATCHED, and `TLSCertificate` when the operator opts in. */
export type WatchedKind = keyof typeof WATCHED | 'TLSCertificate';

// The summaries are the fleet API's wire shapes (packages/model/src/api/inventory.ts) less the item fields.

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const strings = (value: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(value)).filter(([, v]) => typeof v === 'string')) as Record<
    string,
    string
  >;

export function summarizeNode(node: KubeObject): NodeSummary {
  const spec = obj(node.spec);
  const status = obj(node.status);
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []).map((raw) => {
    const c = obj(raw);
    return {
      type: String(c.type),
      status: String(c.status),
      ...(str(c.reason) ? { reason: str(c.reason) } : {}),
      ...(str(c.message) ? { message: str(c.message) } : {}),
      ...(str(c.lastTransitionTime) ? { lastTransitionTime: str(c.lastTransitionTime) } : {}),
    };
  });
  const taints = (Array.isArray(spec.taints) ? spec.taints : []).map((raw) => {
    const t = obj(raw);
    return { key: String(t.key), ...(str(t.value) ? { value: str(t.value) } : {}), effect: String(t.effect) };
  });
  const kubeletVersion = str(obj(status.nodeInfo).kubeletVersion);
  return {
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    unschedulable: spec.unschedulable === true,
    conditions,
    labels: node.metadata.labels ?? {},
    taints,
    capacity: strings(status.capacity),
    allocatable: strings(status.allocatable),
    ...(kubeletVersion ? { kubeletVersion } : {}),
    ...(node.metadata.creationTimestamp ? { createdAt: node.metadata.creationTimestamp } : {}),
  };
}

function images(template: unknown): string[] {
  const containers = obj(obj(obj(template).spec)).containers;
  return (Array.isArray(containers) ? containers : []).map((c) => String(obj(c).image));
}

export function summarizeWorkload(kind: WorkloadKind, object: KubeObject): WorkloadSummary {
  const spec = obj(object.spec);
  const status = obj(object.status);
  const base = {
    labels: object.metadata.labels ?? {},
    ...(object.metadata.creationTimestamp ? { createdAt: object.metadata.creationTimestamp } : {}),
  };
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet': {
      const desired = spec.replicas === undefined ? 1 : num(spec.replicas);
      const ready = num(status.readyReplicas);
      const available = kind === 'Deployment' ? num(status.availableReplicas) : ready;
      return {
        ...base,
        desired,
        ready,
        available,
        updated: num(status.updatedReplicas),
        healthy: ready >= desired && available >= desired,
        images: images(spec.template),
      };
    }
    case 'DaemonSet': {
      const desired = num(status.desiredNumberScheduled);
      const ready = num(status.numberReady);
      return {
        ...base,
        desired,
        ready,
        available: num(status.numberAvailable),
        updated: num(status.updatedNumberScheduled),
        healthy: ready >= desired,
        images: images(spec.template),
      };
    }
    case 'Job': {
      const desired = spec.completions === undefined ? 1 : num(spec.completions);
      const succeeded = num(status.succeeded);
      const failed = num(status.failed);
      const jobConditions = Array.isArray(status.conditions) ? status.conditions.map(obj) : [];
      const hasFailed = jobConditions.some((c) => c.type === 'Failed' && c.status === 'True');
      return {
        ...base,
        desired,
        ready: num(status.ready),
        available: succeeded,
        updated: 0,
        succeeded,
        failed,
        active: num(status.active),
        healthy: !hasFailed,
        images: images(obj(spec.template)),
      };
    }
    case 'CronJob': {
      const jobTemplate = obj(obj(spec.jobTemplate).spec);
      const lastScheduleTime = str(status.lastScheduleTime);
      return {
        ...base,
        desired: 0,
        ready: 0,
        available: 0,
        updated: 0,
        healthy: true,
        images: images(jobTemplate.template),
        schedule: String(spec.schedule),
        suspend: spec.suspend === true,
        active: Array.isArray(status.active) ? status.active.length : 0,
        ...(lastScheduleTime ? { lastScheduleTime } : {}),
      };
    }
  }
}

export function podPhase(pod: KubeObject): string {
  return str(obj(pod.status).phase) ?? 'Unknown';
}

export function summarizeNamespace(namespace: KubeObject): NamespaceSummary {
  return {
    phase: str(obj(namespace.status).phase) ?? 'Active',
    labels: namespace.metadata.labels ?? {},
    ...(namespace.metadata.creationTimestamp ? { createdAt: namespace.metadata.creationTimestamp } : {}),
  };
}

/** A Kubernetes Event as an event record of the cluster. */
export function eventRecord(team: string, cluster: string, event: KubeObject): ObservedEvent {
  const involved = obj(event.involvedObject);
  const series = obj(event.series);
  const first =
    str(event.firstTimestamp) ??
    str(event.eventTime) ??
    event.metadata.creationTimestamp ??
    new Date().toISOString();
  const last = str(series.lastObservedTime) ?? str(event.lastTimestamp) ?? first;
  return {
    source: 'kubernetes',
    externalId: `${cluster}/${event.metadata.uid}`,
    team,
    cluster,
    namespace: str(involved.namespace) ?? event.metadata.namespace ?? '',
    objectKind: str(involved.kind) ?? '',
    objectName: str(involved.name) ?? '',
    type: str(event.type) ?? 'Normal',
    reason: str(event.reason) ?? '',
    message: str(event.message) ?? '',
    // Who reported it (kubelet, default-scheduler...): newer Events fill the first, older ones the second.
    actor: str(event.reportingComponent) || str(obj(event.source).component) || '',
    count: Math.max(1, num(series.count) || num(event.count)),
    firstSeen: new Date(first).toISOString(),
    lastSeen: new Date(last).toISOString(),
  };
}
