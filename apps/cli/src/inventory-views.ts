import type { WorkloadKind } from '@gantry/client';
import type { InventoryView } from './fleet-types.ts';

/** What `gantry get KIND` reads when KIND names something in the clusters rather than a Gantry kind. */
export interface InventoryTarget {
  view: InventoryView;
  /** Workloads narrowed to one kind (`deployments` → Deployment); absent: every workload kind. */
  workloadKind?: WorkloadKind;
  /** The `-o name` prefix and the word in messages: `node`, `namespace`, `deployment`... */
  singular: string;
}

// kubectl's names for these (plural, singular, short names). They are not Gantry kinds: the inventory is
// what Gantry saw in the clusters (GET /api/inventory/...), so they are resolved before GET /api/kinds.
const TARGETS: readonly (InventoryTarget & { names: readonly string[] })[] = [
  { view: 'nodes', singular: 'node', names: ['nodes', 'node', 'no'] },
  { view: 'namespaces', singular: 'namespace', names: ['namespaces', 'namespace', 'ns'] },
  { view: 'workloads', singular: 'workload', names: ['workloads', 'workload'] },
  {
    view: 'workloads',
    workloadKind: 'Deployment',
    singular: 'deployment',
    names: ['deployments', 'deployment', 'deploy'],
  },
  {
    view: 'workloads',
    workloadKind: 'StatefulSet',
    singular: 'statefulset',
    names: ['statefulsets', 'statefulset', 'sts'],
  },
  {
    view: 'workloads',
    workloadKind: 'DaemonSet',
    singular: 'daemonset',
    names: ['daemonsets', 'daemonset', 'ds'],
  },
  { view: 'workloads', workloadKind: 'Job', singular: 'job', names: ['jobs', 'job'] },
  { view: 'workloads', workloadKind: 'CronJob', singular: 'cronjob', names: ['cronjobs', 'cronjob', 'cj'] },
  { view: 'pods', singular: 'pod', names: ['pods', 'pod', 'po'] },
];

/** The inventory view a typed KIND stands for (any case), or undefined for a Gantry kind. */
export function inventoryTarget(typed: string): InventoryTarget | undefined {
  const wanted = typed.toLowerCase();
  const found = TARGETS.find((target) => target.names.includes(wanted));
  if (found === undefined) return undefined;
  const { names: _names, ...target } = found;
  return target;
}

/** Whether a typed KIND means nodes (for `describe node`). */
export function isNodeKind(typed: string): boolean {
  return inventoryTarget(typed)?.view === 'nodes';
}
