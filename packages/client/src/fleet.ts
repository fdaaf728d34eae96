/**
 * The bodies of the fleet endpoints (docs/reference/api.md, "Fleet"; the Cluster status from
 * docs/reference/kinds/cluster.md).
 */

/** A status condition, as every kind reports them. */
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** What every inventory item carries; `cluster` is `team/name`. */
export interface InventoryItem {
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
  updatedAt?: string;
}

export interface NodeTaint {
  key: string;
  value?: string;
  effect: string;
}

export interface InventoryNode extends InventoryItem {
  ready: boolean;
  unschedulable: boolean;
  conditions: Condition[];
  labels: Record<string, string>;
  taints: NodeTaint[];
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  kubeletVersion?: string;
  createdAt?: string;
}

export interface InventoryNamespace extends InventoryItem {
  phase: string;
  labels: Record<string, string>;
}

export const workloadKinds = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
export type WorkloadKind = (typeof workloadKinds)[number];

export interface InventoryWorkload extends InventoryItem {
  kind: WorkloadKind;
  desired: number;
  ready: number;
  available: number;
  updated: number;
  healthy: boolean;
  images: string[];
  labels: Record<string, string>;
  schedule?: string;
  suspend?: boolean;
  lastScheduleTime?: string;
  succeeded?: number;
  failed?: number;
  active?: number;
  createdAt?: string;
}

/** One namespace's pods: a count per phase (`Running: 12`) next to the item fields. */
export type InventoryPods = InventoryItem & Record<string, unknown>;

export interface InventoryPage<T> {
  items: T[];
  continue?: string;
}

/**
 * An event record of `GET /api/events`: its one schema is the model's (docs/reference/events.md), read
 * from the schema's own module so that browsers do not compile the model's validators.
 */
export type { EventList, EventQuery, EventRecord, EventSource, EventType } from '@gantry/model/event';

export interface PodRef {
  namespace: string;
  name: string;
}

export interface DrainReport {
  node: string;
  cordoned: boolean;
  evicted: PodRef[];
  remaining: (PodRef & { reason: string })[];
  skipped: (PodRef & { reason: string })[];
  timedOut: boolean;
}

export interface ClusterInventoryCounts {
  nodes: number;
  readyNodes: number;
  namespaces: number;
  workloads: number;
  pods: Record<string, number>;
}

export interface ClusterStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  server?: string;
  serverVersion?: string;
  latencyMs?: number;
  inventory?: ClusterInventoryCounts;
}

export interface ClusterSpec {
  kubeconfigSecret: { name: string; key?: string };
  context?: string;
  description?: string;
  paused?: boolean;
}
