import { useInfiniteQuery } from '@tanstack/react-query';
import { listEvents, type EventFilter } from '../api/events';
import { fleetPollMs } from './fleet-poll';

/** Event records matching the filter, newest first, paged, read again every few seconds. */
export function useEvents(filter: EventFilter, pageSize = 50) {
  return useInfiniteQuery({
    queryKey: ['events', filter, pageSize],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      listEvents(filter, { limit: pageSize, continueToken: pageParam, signal }),
    getNextPageParam: (last) => last.continue || undefined,
    refetchInterval: fleetPollMs,
  });
}
