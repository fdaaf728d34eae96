import { apiRequest } from './client';
import type { DrainReport } from '@gantry/client';

export interface NodeRef {
  readonly team: string;
  readonly cluster: string;
  readonly node: string;
}

function operationPath(ref: NodeRef, operation: 'cordon' | 'uncordon' | 'drain'): string {
  const parts = [ref.team, 'clusters', ref.cluster, 'nodes', ref.node].map(encodeURIComponent);
  return `/api/teams/${parts.join('/')}/${operation}`;
}

/** Cordon (`true`) or uncordon (`false`) a node; answers with the node's new `unschedulable`. */
export function setNodeCordoned(
  ref: NodeRef,
  cordoned: boolean,
): Promise<{ node: string; unschedulable: boolean }> {
  return apiRequest(operationPath(ref, cordoned ? 'cordon' : 'uncordon'), { method: 'POST' });
}

export interface DrainOptions {
  readonly timeoutSeconds: number;
  readonly force: boolean;
}

/** Cordons the node and evicts its pods; the answer comes when the drain is done or timed out. */
export function drainNode(ref: NodeRef, options: DrainOptions): Promise<DrainReport> {
  return apiRequest<DrainReport>(operationPath(ref, 'drain'), { method: 'POST', body: options });
}
