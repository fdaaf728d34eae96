import { useQuery } from '@tanstack/react-query';
import { clusterKind } from '../api/clusters';
import { listResources } from '../api/resources';

/** `team/name` of the clusters the caller may read, for pickers. */
export function useClusterIds(): string[] {
  const clusters = useQuery({
    queryKey: ['resources', clusterKind.plural, 'list', 'ids'],
    queryFn: ({ signal }) => listResources(clusterKind, { limit: 1000, signal }),
    staleTime: 60_000,
  });
  return (clusters.data?.items ?? [])
    .map((cluster) => `${cluster.metadata.team ?? ''}/${cluster.metadata.name}`)
    .sort();
}
