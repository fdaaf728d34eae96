import type { Resource } from '@gantry/client';
import { apiRequest } from './client';
import { collectionPath } from './resources';

/** The Cluster kind as the fleet pages address it (docs/reference/kinds/cluster.md). */
export const clusterKind = { plural: 'clusters', scope: 'Team' } as const;

/** `POST` a Cluster into its team; with `dryRun` the server validates it and stores nothing. */
export function createCluster(cluster: Resource, options: { dryRun: boolean }): Promise<Resource> {
  return apiRequest<Resource>(collectionPath(clusterKind, cluster.metadata.team), {
    method: 'POST',
    body: cluster,
    query: { dryRun: options.dryRun ? 'All' : undefined },
  });
}
