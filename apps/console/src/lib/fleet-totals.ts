import type { Resource } from '@gantry/client';
import { clusterStatusOf, isClusterReady } from './cluster-health';

export interface FleetTotals {
  readonly clusters: number;
  readonly readyClusters: number;
  readonly nodes: number;
  readonly readyNodes: number;
  /** Pods by phase, summed over the clusters. */
  readonly pods: Readonly<Record<string, number>>;
}

/** The fleet's headline numbers, from each Cluster's `status.inventory`. */
export function fleetTotals(clusters: readonly Resource[]): FleetTotals {
  let readyClusters = 0;
  let nodes = 0;
  let readyNodes = 0;
  const pods: Record<string, number> = {};
  for (const cluster of clusters) {
    if (isClusterReady(cluster)) readyClusters += 1;
    const inventory = clusterStatusOf(cluster).inventory;
    if (!inventory) continue;
    nodes += inventory.nodes;
    readyNodes += inventory.readyNodes;
    for (const [phase, count] of Object.entries(inventory.pods)) pods[phase] = (pods[phase] ?? 0) + count;
  }
  return { clusters: clusters.length, readyClusters, nodes, readyNodes, pods };
}
