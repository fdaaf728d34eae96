import type {
  InventoryItem,
  InventoryNamespace,
  InventoryNode,
  InventoryPods,
  InventoryWorkload,
} from '@gantry/client';
import type { InventoryView } from './fleet-types.ts';
import { nodeRoles, nodeStatus } from './node-display.ts';
import { formatAge } from './output.ts';

export interface Table {
  headers: string[];
  rows: string[][];
}

export interface TableOptions {
  now: Date;
  /** The team every listed cluster is in, when the listing was narrowed to one: CLUSTER then drops it. */
  team?: string;
}

/** The fields every inventory item has; in the pods view, every other number is a count of pods in a phase. */
const ITEM_FIELDS = new Set(['cluster', 'kind', 'namespace', 'name', 'updatedAt', 'uid']);
/** Pod phases in their lifecycle order; any other the server reports comes after, by name. */
const PHASE_ORDER = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

/** `team/name`, or just `name` when the listing is within that team. */
export function clusterLabel(cluster: string, team: string | undefined): string {
  return team !== undefined && cluster.startsWith(`${team}/`) ? cluster.slice(team.length + 1) : cluster;
}

/** kubectl-like tables of the inventory: one per view. */
export function inventoryTable(
  view: InventoryView,
  items: readonly InventoryItem[],
  options: TableOptions,
): Table {
  const cluster = (item: InventoryItem): string => clusterLabel(item.cluster, options.team);
  // Not every summary says when its object was created (namespaces do not): AGE is then <unknown>.
  const age = (item: InventoryItem & { createdAt?: unknown }): string =>
    formatAge(typeof item.createdAt === 'string' ? item.createdAt : undefined, options.now);
  switch (view) {
    case 'nodes':
      return {
        headers: ['CLUSTER', 'NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
        rows: (items as InventoryNode[]).map((node) => [
          cluster(node),
          node.name,
          nodeStatus(node),
          nodeRoles(node.labels),
          age(node),
          node.kubeletVersion ?? '<none>',
        ]),
      };
    case 'namespaces':
      return {
        headers: ['CLUSTER', 'NAME', 'STATUS', 'AGE'],
        rows: (items as InventoryNamespace[]).map((ns) => [cluster(ns), ns.name, ns.phase ?? '', age(ns)]),
      };
    case 'workloads':
      return {
        headers: ['CLUSTER', 'NAMESPACE', 'KIND', 'NAME', 'READY', 'AGE'],
        rows: (items as InventoryWorkload[]).map((w) => [
          cluster(w),
          w.namespace,
          w.kind,
          w.name,
          workloadReady(w),
          age(w),
        ]),
      };
    case 'pods': {
      const pods = items as readonly InventoryPods[];
      const phases = podPhases(pods);
      return {
        headers: ['CLUSTER', 'NAMESPACE', ...phases.map((p) => p.toUpperCase())],
        rows: pods.map((item) => [
          cluster(item),
          item.namespace,
          ...phases.map((phase) => String(typeof item[phase] === 'number' ? item[phase] : 0)),
        ]),
      };
    }
  }
}

/**
 * READY as kubectl shows it: ready/desired replicas; a Job's succeeded/completions (kubectl's
 * COMPLETIONS, since a finished Job has no ready pods); a CronJob has no replicas of its own.
 */
export function workloadReady(workload: InventoryWorkload): string {
  if (workload.kind === 'CronJob') return '<none>';
  if (workload.kind === 'Job') return `${workload.succeeded ?? 0}/${workload.desired}`;
  return `${workload.ready}/${workload.desired}`;
}

/** The phases present in any of the pod summaries, in lifecycle order. */
export function podPhases(items: readonly InventoryPods[]): string[] {
  const present = new Set<string>();
  for (const item of items) {
    for (const [key, value] of Object.entries(item)) {
      if (!ITEM_FIELDS.has(key) && typeof value === 'number') present.add(key);
    }
  }
  const rank = (phase: string): number => {
    const at = PHASE_ORDER.indexOf(phase);
    return at === -1 ? PHASE_ORDER.length : at;
  };
  return [...present].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
