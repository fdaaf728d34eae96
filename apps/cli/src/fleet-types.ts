/**
 * The request side of the fleet endpoints (docs/reference/api.md, "Fleet"), which @gantry/client does
 * not describe: the bodies that come back (InventoryNode, DrainReport, EventRecord...) are its types.
 */

import type { EventQuery } from '@gantry/client';

export const INVENTORY_VIEWS = ['nodes', 'namespaces', 'workloads', 'pods'] as const;
export type InventoryView = (typeof INVENTORY_VIEWS)[number];

/** `GET /api/inventory/{view}` query parameters; `cluster` needs `team`. */
export interface InventoryQuery {
  team?: string;
  cluster?: string;
  namespace?: string;
  /** One object by name. */
  name?: string;
  /** Workloads only: Deployment, StatefulSet, DaemonSet, Job or CronJob. */
  kind?: string;
}

/** `GET /api/events` filters (the model's EventQuery without paging); `cluster` needs `team`. */
export type EventFilter = Omit<EventQuery, 'limit' | 'continue'>;

export type NodeOperation = 'cordon' | 'uncordon' | 'drain';

/** The answer to `cordon` and `uncordon`. */
export interface NodeSchedulability {
  node: string;
  unschedulable: boolean;
}

/** The body of `drain`. */
export interface DrainRequest {
  timeoutSeconds?: number;
  force?: boolean;
}
