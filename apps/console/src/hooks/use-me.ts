import { useQuery } from '@tanstack/react-query';
import { fetchMe } from '../api/auth';

export const meQueryKey = ['me'] as const;

export function useMe() {
  return useQuery({ queryKey: meQueryKey, queryFn: fetchMe, staleTime: 60_000 });
}
