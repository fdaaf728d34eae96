import type { Resource } from '@gantry/client';
import { isRecord } from '../api/normalize';
import type { ClusterStatus } from '@gantry/client';
import type { Condition } from '../api/types';
import { conditionsOf } from './conditions';

/** The conditions a Cluster's health is read from, in the order the console shows them. */
export const clusterConditionTypes = ['Ready', 'Connected', 'InventorySynced'] as const;
export type ClusterConditionType = (typeof clusterConditionTypes)[number];

export function clusterStatusOf(cluster: Resource): ClusterStatus {
  return isRecord(cluster.status) ? (cluster.status as ClusterStatus) : {};
}

export function clusterCondition(cluster: Resource, type: ClusterConditionType): Condition | undefined {
  return conditionsOf(cluster.status).find((condition) => condition.type === type);
}

export function isClusterReady(cluster: Resource): boolean {
  return clusterCondition(cluster, 'Ready')?.status === 'True';
}

/**
 * The tag colour of a condition: green when it holds, red when it fails, blue while the first lists run,
 * grey for a paused cluster or one the controller has not reported on yet.
 */
export function conditionColor(condition: Condition | undefined): string {
  if (!condition) return 'default';
  if (condition.reason === 'Paused') return 'default';
  if (condition.reason === 'Syncing') return 'processing';
  if (condition.status === 'True') return 'success';
  if (condition.status === 'False') return 'error';
  return 'warning';
}
