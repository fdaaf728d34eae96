import { useQuery } from '@tanstack/react-query';
import { fetchKinds } from '../api/kinds';
import type { KindInfo } from '../api/types';

export const kindsQueryKey = ['kinds'] as const;

export function useKinds() {
  return useQuery({ queryKey: kindsQueryKey, queryFn: fetchKinds, staleTime: 5 * 60_000 });
}

export function useKind(plural: string | undefined): {
  kind: KindInfo | undefined;
  isPending: boolean;
  error: Error | null;
} {
  const kinds = useKinds();
  return {
    kind: kinds.data?.find((candidate) => candidate.plural === plural),
    isPending: kinds.isPending,
    error: kinds.error,
  };
}
