import { apiRequest } from './client';

/** Creates or replaces a team's secret; values are encrypted at rest and never read back. */
export function putSecret(team: string, name: string, data: Record<string, string>): Promise<unknown> {
  return apiRequest<unknown>(`/api/teams/${encodeURIComponent(team)}/secrets/${encodeURIComponent(name)}`, {
    method: 'PUT',
    body: { data },
  });
}
