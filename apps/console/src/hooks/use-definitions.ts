import { useQuery } from '@tanstack/react-query';
import { listComponentDefinitions, listTraitDefinitions } from '../api/delivery';

/** Definitions change rarely (an operator's write); a minute of staleness costs nothing. */
const definitionsStaleMs = 60_000;

export function useComponentDefinitions() {
  return useQuery({
    queryKey: ['resources', 'componentdefinitions', 'list', 'all'],
    queryFn: ({ signal }) => listComponentDefinitions(signal),
    staleTime: definitionsStaleMs,
  });
}

export function useTraitDefinitions() {
  return useQuery({
    queryKey: ['resources', 'traitdefinitions', 'list', 'all'],
    queryFn: ({ signal }) => listTraitDefinitions(signal),
    staleTime: definitionsStaleMs,
  });
}
