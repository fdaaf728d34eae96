import { useQuery } from '@tanstack/react-query';
import { getResource } from '../api/resources';
import type { KindInfo } from '../api/types';

export function resourceQueryKey(plural: string, team: string | undefined, name: string) {
  return ['resources', plural, 'item', team ?? '', name] as const;
}

export function useResource(kind: KindInfo | undefined, team: string | undefined, name: string) {
  return useQuery({
    queryKey: resourceQueryKey(kind?.plural ?? '', team, name),
    enabled: kind !== undefined,
    queryFn: ({ signal }) => {
      if (!kind) throw new Error('unknown kind');
      return getResource({ kind, team, name }, signal);
    },
  });
}
