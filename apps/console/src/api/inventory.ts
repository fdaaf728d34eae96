import { apiRequest } from './client';
import type {
  InventoryNamespace,
  InventoryNode,
  InventoryPage,
  InventoryPods,
  InventoryWorkload,
} from '@gantry/client';

export interface InventoryItems {
  nodes: InventoryNode;
  namespaces: InventoryNamespace;
  workloads: InventoryWorkload;
  pods: InventoryPods;
}

export type InventoryView = keyof InventoryItems;

export interface InventoryQuery {
  readonly team?: string | undefined;
  readonly cluster?: string | undefined;
  readonly namespace?: string | undefined;
  /** Workloads only: Deployment, StatefulSet, DaemonSet, Job or CronJob. */
  readonly kind?: string | undefined;
}

/** One page of what Gantry last saw in the clusters: `GET /api/inventory/{view}`. */
export function listInventory<V extends InventoryView>(
  view: V,
  query: InventoryQuery,
  page: { limit: number; continueToken?: string | undefined; signal?: AbortSignal },
): Promise<InventoryPage<InventoryItems[V]>> {
  return apiRequest<InventoryPage<InventoryItems[V]>>(`/api/inventory/${view}`, {
    query: { ...query, limit: page.limit, continue: page.continueToken },
    signal: page.signal,
  });
}

/**
 * One node from the inventory. The API has no name filter, so this pages through the cluster's nodes
 * until it meets the name; `null` when the cluster has no such node.
 */
export async function findNode(
  team: string,
  cluster: string,
  node: string,
  signal?: AbortSignal,
): Promise<InventoryNode | null> {
  let continueToken: string | undefined;
  do {
    const page = await listInventory('nodes', { team, cluster }, { limit: 1000, continueToken, signal });
    const found = page.items.find((item) => item.name === node);
    if (found) return found;
    continueToken = page.continue;
  } while (continueToken);
  return null;
}

/** Stable identity of an inventory item across pages and refreshes. */
export function inventoryKey(item: {
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
}): string {
  return `${item.cluster}/${item.kind}/${item.namespace}/${item.name}`;
}
