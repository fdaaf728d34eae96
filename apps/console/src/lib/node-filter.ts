import type { InventoryNode } from '@gantry/client';

export type NodeStatusFilter = 'all' | 'Ready' | 'NotReady' | 'SchedulingDisabled';

export interface NodeFilter {
  readonly status: NodeStatusFilter;
  /** Comma-separated terms, each found in some `key=value` of the node's labels. */
  readonly labels: string;
  /** Part of the node's name. */
  readonly name: string;
}

export function matchesNodeFilter(node: InventoryNode, filter: NodeFilter): boolean {
  if (filter.status === 'Ready' && !node.ready) return false;
  if (filter.status === 'NotReady' && node.ready) return false;
  if (filter.status === 'SchedulingDisabled' && !node.unschedulable) return false;
  const name = filter.name.trim().toLowerCase();
  if (name && !node.name.toLowerCase().includes(name)) return false;
  const labels = Object.entries(node.labels).map(([key, value]) => `${key}=${value}`.toLowerCase());
  return filter.labels
    .split(',')
    .map((term) => term.trim().toLowerCase())
    .filter(Boolean)
    .every((term) => labels.some((label) => label.includes(term)));
}
