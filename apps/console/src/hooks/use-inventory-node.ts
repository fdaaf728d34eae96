import { useQuery } from '@tanstack/react-query';
import { findNode } from '../api/inventory';
import type { NodeRef } from '../api/node-operations';
import { fleetPollMs } from './fleet-poll';

export function inventoryNodeKey(ref: NodeRef) {
  return ['inventory', 'node', ref.team, ref.cluster, ref.node] as const;
}

/** One node as the inventory last saw it; `null` when the cluster has no such node. */
export function useInventoryNode(ref: NodeRef) {
  return useQuery({
    queryKey: inventoryNodeKey(ref),
    queryFn: ({ signal }) => findNode(ref.team, ref.cluster, ref.node, signal),
    refetchInterval: fleetPollMs,
  });
}
