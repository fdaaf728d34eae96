import { useInfiniteQuery } from '@tanstack/react-query';
import { listInventory, type InventoryQuery, type InventoryView } from '../api/inventory';
import { fleetPollMs } from './fleet-poll';

/** A paged inventory view (`limit` + `continue` behind "Load more"), read again every few seconds. */
export function useInventory<V extends InventoryView>(view: V, query: InventoryQuery, pageSize = 100) {
  return useInfiniteQuery({
    queryKey: ['inventory', view, query, pageSize],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      listInventory(view, query, { limit: pageSize, continueToken: pageParam, signal }),
    getNextPageParam: (last) => last.continue || undefined,
    refetchInterval: fleetPollMs,
  });
}
