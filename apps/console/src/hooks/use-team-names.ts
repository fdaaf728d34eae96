import { useQuery } from '@tanstack/react-query';
import { listResources } from '../api/resources';
import { useMe } from './use-me';

const teamKind = { plural: 'teams', scope: 'Global' } as const;

/** Team names the caller can pick from: the Team resources they can read, else their memberships. */
export function useTeamNames(): string[] {
  const me = useMe();
  const teams = useQuery({
    queryKey: ['resources', 'teams', 'list', 'names'],
    queryFn: () => listResources(teamKind, { limit: 1000 }),
    staleTime: 60_000,
  });
  const names = new Set<string>();
  for (const team of teams.data?.items ?? []) names.add(team.metadata.name);
  for (const membership of me.data?.teams ?? []) names.add(membership.team);
  return [...names].sort();
}
