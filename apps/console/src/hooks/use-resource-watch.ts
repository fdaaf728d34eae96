import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { WatchEvent } from '@gantry/client';
import { watchUrl } from '../api/resources';
import type { KindInfo } from '../api/types';
import { startWatch } from '../api/watch';
import { resourceKey, resourceListKey, type ListFilter, type ResourcePages } from './use-resource-list';

export type WatchState = 'off' | 'connecting' | 'live' | 'reconnecting';

/**
 * Keeps a loaded resource list current by following the watch stream from the list's resourceVersion,
 * applying ADDED / MODIFIED / DELETED to the cached pages in place.
 */
export function useResourceWatch(
  kind: KindInfo | undefined,
  filter: ListFilter,
  fromVersion: string | undefined,
): WatchState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<WatchState>('off');
  const { team, labelSelector } = filter;

  useEffect(() => {
    if (!kind || fromVersion === undefined) return undefined;
    const key = resourceListKey(kind.plural, { team, labelSelector });
    setState('connecting');
    const stop = startWatch(
      (resourceVersion) => watchUrl(kind, { team, labelSelector, resourceVersion }),
      fromVersion,
      {
        onLive: (live) => setState(live ? 'live' : 'reconnecting'),
        onExpired: () => void queryClient.invalidateQueries({ queryKey: key }),
        onEvent: (event) => {
          if (event.type === 'BOOKMARK' || event.type === 'ERROR') return;
          queryClient.setQueryData<ResourcePages>(key, (data) => (data ? applyEvent(data, event) : data));
        },
      },
    );
    return () => {
      stop();
      setState('off');
    };
  }, [kind, team, labelSelector, fromVersion, queryClient]);

  return state;
}

function applyEvent(data: ResourcePages, event: Extract<WatchEvent, { object: unknown }>): ResourcePages {
  const { object } = event;
  const key = resourceKey(object);
  let found = false;
  const pages = data.pages.map((page) => {
    const index = page.items.findIndex((item) => resourceKey(item) === key);
    if (index === -1) return page;
    found = true;
    const items = [...page.items];
    if (event.type === 'DELETED') items.splice(index, 1);
    else items[index] = object;
    return { ...page, items };
  });
  if (!found && event.type !== 'DELETED' && pages[0]) {
    pages[0] = { ...pages[0], items: [object, ...pages[0].items] };
  }
  return { ...data, pages };
}
