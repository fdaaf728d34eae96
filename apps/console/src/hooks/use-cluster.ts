import { useQuery } from '@tanstack/react-query';
import { clusterKind } from '../api/clusters';
import { getResource } from '../api/resources';
import { fleetPollMs } from './fleet-poll';
import { resourceQueryKey } from './use-resource';

/** One Cluster, read again as often as its inventory so that the header and the tabs agree. */
export function useCluster(team: string, name: string) {
  return useQuery({
    queryKey: resourceQueryKey(clusterKind.plural, team, name),
    queryFn: ({ signal }) => getResource({ kind: clusterKind, team, name }, signal),
    refetchInterval: fleetPollMs,
  });
}
