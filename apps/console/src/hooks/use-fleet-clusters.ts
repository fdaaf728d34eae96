import { useEffect, useMemo } from 'react';
import type { Resource } from '@gantry/client';
import { useKind } from './use-kinds';
import { useResourceList } from './use-resource-list';
import { useResourceWatch } from './use-resource-watch';

/**
 * Every Cluster the caller may read, kept current by the watch. The overview sums over all of them, so
 * every page is loaded, not only the first.
 */
export function useFleetClusters() {
  const { kind, isPending: kindsPending, error: kindsError } = useKind('clusters');
  const list = useResourceList(kind, {});
  const watch = useResourceWatch(kind, {}, list.data?.pages[0]?.metadata.resourceVersion);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;

  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const clusters = useMemo<Resource[]>(
    () => (list.data?.pages ?? []).flatMap((page) => page.items),
    [list.data],
  );
  return {
    /** `undefined` once the kinds are known and the server has no Cluster kind. */
    kind,
    clusters,
    watch,
    isPending: kindsPending || (kind !== undefined && list.isPending),
    error: kindsError ?? list.error,
    refetch: list.refetch,
    isRefetching: list.isRefetching,
  };
}
