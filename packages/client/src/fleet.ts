/**
 * The bodies of the fleet endpoints (docs/reference/api.md, "Fleet"). The shapes are the model's schemas
 * (packages/model/src/api/inventory.ts, node-operations.ts; the Cluster kind in kinds/cluster.ts), imported
 * as types only.
 */
import type { ClusterStatus } from '@gantry/model';

export type {
  ClusterSpec,
  ClusterStatus,
  Condition,
  DrainReport,
  DrainRequest,
  InventoryItem,
  InventoryNamespace,
  InventoryNode,
  InventoryPage,
  InventoryPods,
  InventoryQuery,
  InventoryView,
  InventoryWorkload,
  NodeCondition,
  NodeSchedulability,
  NodeTaint,
  PodRef,
  WorkloadKind,
} from '@gantry/model';
export { INVENTORY_VIEWS, WORKLOAD_KINDS } from '@gantry/model/wire-constants';

/** The cluster's inventory counts, as its status reports them. */
export type ClusterInventoryCounts = NonNullable<ClusterStatus['inventory']>;

/**
 * An event record of `GET /api/events`: its one schema is the model's (docs/reference/events.md), read
 * from the schema's own module so that browsers do not compile the model's validators.
 */
export type { EventList, EventQuery, EventRecord, EventSource, EventType } from '@gantry/model/event';
