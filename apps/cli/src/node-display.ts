import type { InventoryNode, NodeTaint } from '@gantry/client';

const ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const LEGACY_ROLE_LABEL = 'kubernetes.io/role';

/**
 * kubectl's STATUS column for a node: `Ready` or `NotReady` from the Ready condition (`Unknown` when
 * the node reports none), then `,SchedulingDisabled` when it is cordoned.
 */
export function nodeStatus(node: Pick<InventoryNode, 'conditions' | 'ready' | 'unschedulable'>): string {
  const conditions = Array.isArray(node.conditions) ? node.conditions : undefined;
  const ready = conditions?.find((c) => c.type === 'Ready');
  let status: string;
  if (ready !== undefined) status = ready.status === 'True' ? 'Ready' : 'NotReady';
  else if (conditions === undefined && typeof node.ready === 'boolean')
    status = node.ready ? 'Ready' : 'NotReady';
  else status = 'Unknown';
  return node.unschedulable === true ? `${status},SchedulingDisabled` : status;
}

/**
 * kubectl's ROLES column: the `X` of each `node-role.kubernetes.io/X` label and the value of the older
 * `kubernetes.io/role` label, sorted and comma-separated; `<none>` when there are none.
 */
export function nodeRoles(labels: Record<string, string> | undefined): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key.startsWith(ROLE_LABEL_PREFIX)) {
      const role = key.slice(ROLE_LABEL_PREFIX.length);
      if (role !== '') roles.add(role);
    } else if (key === LEGACY_ROLE_LABEL && value !== '') {
      roles.add(value);
    }
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

/** `key=value:Effect`, or `key:Effect` without a value, as kubectl describe prints taints. */
export function formatTaint(taint: NodeTaint): string {
  return `${taint.key}${taint.value === undefined || taint.value === '' ? '' : `=${taint.value}`}:${taint.effect}`;
}
