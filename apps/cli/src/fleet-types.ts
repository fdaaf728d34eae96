/**
 * The bodies of the fleet endpoints (docs/reference/api.md, "Fleet"). They are wire types and belong in
 * @gantry/client with the others (the console keeps its own copy too); they live here until that package
 * exports them.
 */

export const INVENTORY_VIEWS = ['nodes', 'namespaces', 'workloads', 'pods'] as const;
export type InventoryView = (typeof INVENTORY_VIEWS)[number];

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** What every inventory item carries; `cluster` is `team/name`. */
export interface InventoryItem {
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
  updatedAt?: string;
  [field: string]: unknown;
}

export interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface NodeTaint {
  key: string;
  value?: string;
  effect: string;
}

export interface InventoryNode extends InventoryItem {
  ready: boolean;
  unschedulable: boolean;
  conditions: NodeCondition[];
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
  createdAt?: string;
}

export interface InventoryWorkload extends InventoryItem {
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

export interface InventoryPage {
  items: InventoryItem[];
  continue?: string;
}

export interface InventoryQuery {
  team?: string;
  cluster?: string;
  namespace?: string;
  /** Workloads only: one of WORKLOAD_KINDS. */
  kind?: string;
}

/** `GET /api/events`: Kubernetes Events (and others) as records, newest first. */
export interface EventRecord {
  id: number;
  source: string;
  cluster: string;
  namespace: string;
  objectKind: string;
  objectName: string;
  type: string;
  reason: string;
  message: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

export interface EventPage {
  items: EventRecord[];
  continue?: string;
}

export interface EventQuery {
  team?: string;
  cluster?: string;
  namespace?: string;
  kind?: string;
  name?: string;
  type?: string;
}

export type NodeOperation = 'cordon' | 'uncordon' | 'drain';

export interface PodRef {
  namespace: string;
  name: string;
}

/** The answer to `cordon` and `uncordon`. */
export interface NodeSchedulability {
  node: string;
  unschedulable: boolean;
}

export interface DrainReport {
  node: string;
  cordoned: boolean;
  evicted: PodRef[];
  /** Pods left on the node, each with why. */
  remaining: (PodRef & { reason: string })[];
  /** DaemonSet and mirror pods, which a drain leaves alone. */
  skipped: (PodRef & { reason: string })[];
  timedOut: boolean;
}

export interface DrainRequest {
  timeoutSeconds?: number;
  force?: boolean;
}
