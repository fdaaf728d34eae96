import { useInfiniteQuery, type InfiniteData } from '@tanstack/react-query';
import type { Resource, ResourceList } from '@gantry/client';
import { listResources } from '../api/resources';
import type { KindInfo } from '../api/types';

export interface ListFilter {
  readonly team?: string | undefined;
  readonly labelSelector?: string | undefined;
}

export type ResourcePages = InfiniteData<ResourceList, string | undefined>;

export const pageSize = 50;

export function resourceListKey(plural: string, filter: ListFilter) {
  return [
    'resources',
    plural,
    'list',
    { team: filter.team ?? '', labelSelector: filter.labelSelector ?? '' },
  ] as const;
}

/** A paged resource list: `limit` + the server's `continue` token behind a "Load more" button. */
export function useResourceList(kind: KindInfo | undefined, filter: ListFilter) {
  return useInfiniteQuery({
    queryKey: resourceListKey(kind?.plural ?? '', filter),
    enabled: kind !== undefined,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) => {
      if (!kind) throw new Error('unknown kind');
      return listResources(kind, { ...filter, limit: pageSize, continueToken: pageParam, signal });
    },
    getNextPageParam: (last) => last.metadata.continue || undefined,
  });
}

/** Identity of a resource within a list: team and name (uid when present, which survives renames). */
export function resourceKey(resource: Resource): string {
  return resource.metadata.uid ?? `${resource.metadata.team ?? ''}/${resource.metadata.name}`;
}
