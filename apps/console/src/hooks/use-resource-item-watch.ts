import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { watchUrl } from '../api/resources';
import type { KindInfo } from '../api/types';
import { startWatch } from '../api/watch';
import { resourceQueryKey } from './use-resource';
import type { WatchState } from './use-resource-watch';

/**
 * Keeps one resource's cached query (useResource) current by following its team's watch stream and
 * picking out its own events. The stream starts without a resourceVersion, so the server first sends
 * the current objects: the page is up to date even if it was read a while ago.
 */
export function useResourceItemWatch(
  kind: Pick<KindInfo, 'plural' | 'scope'>,
  team: string | undefined,
  name: string,
  enabled: boolean,
): WatchState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<WatchState>('off');

  useEffect(() => {
    if (!enabled) return undefined;
    const key = resourceQueryKey(kind.plural, team, name);
    setState('connecting');
    const stop = startWatch((resourceVersion) => watchUrl(kind, { team, resourceVersion }), undefined, {
      onLive: (live) => setState(live ? 'live' : 'reconnecting'),
      onExpired: () => void queryClient.invalidateQueries({ queryKey: key }),
      onEvent: (event) => {
        if (event.type === 'BOOKMARK' || event.type === 'ERROR') return;
        if (event.object.metadata.name !== name) return;
        if (event.type === 'DELETED') void queryClient.invalidateQueries({ queryKey: key });
        else queryClient.setQueryData(key, event.object);
      },
    });
    return () => {
      stop();
      setState('off');
    };
  }, [kind, team, name, enabled, queryClient]);

  return state;
}
