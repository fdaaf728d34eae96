import { useQuery } from '@tanstack/react-query';
import { listApplicationRevisions } from '../api/delivery';

/** The cache key of an application's revisions; a rollback invalidates it. */
export function revisionsQueryKey(team: string, application: string) {
  return ['resources', 'applicationrevisions', 'list', { team, application }] as const;
}

/** An application's revisions, listed again whenever its latest revision number moves. */
export function useApplicationRevisions(
  team: string,
  application: string,
  latestRevision: number | undefined,
) {
  return useQuery({
    // The application (watched) says when a revision is recorded: a new number lists them again.
    queryKey: [...revisionsQueryKey(team, application), latestRevision ?? 0],
    queryFn: ({ signal }) => listApplicationRevisions(team, application, signal),
  });
}
