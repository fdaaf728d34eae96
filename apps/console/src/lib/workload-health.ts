import type { InventoryWorkload } from '@gantry/client';

export interface WorkloadHealth {
  readonly text: string;
  readonly color: string;
}

/** A workload's state in a word, from the inventory's counts and `healthy`. */
export function workloadHealth(workload: InventoryWorkload): WorkloadHealth {
  switch (workload.kind) {
    case 'CronJob':
      return workload.suspend
        ? { text: 'Suspended', color: 'default' }
        : { text: 'Scheduled', color: 'success' };
    case 'Job':
      if (!workload.healthy) return { text: 'Failed', color: 'error' };
      if ((workload.succeeded ?? 0) >= workload.desired) return { text: 'Complete', color: 'success' };
      return { text: 'Running', color: 'processing' };
    default:
      if (workload.desired === 0) return { text: 'Scaled to zero', color: 'default' };
      if (workload.healthy) return { text: 'Healthy', color: 'success' };
      if (workload.ready === 0) return { text: 'Unavailable', color: 'error' };
      return { text: 'Degraded', color: 'warning' };
  }
}

/** "3/4" ready; what counts for Jobs is completions, and CronJobs have their schedule instead. */
export function workloadProgress(workload: InventoryWorkload): string {
  if (workload.kind === 'CronJob') return workload.schedule ?? '—';
  if (workload.kind === 'Job') return `${workload.succeeded ?? 0}/${workload.desired} succeeded`;
  return `${workload.ready}/${workload.desired}`;
}
