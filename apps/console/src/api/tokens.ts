import type { ApiToken, CreatedToken, CreateTokenRequest } from '@gantry/client';
import { apiRequest } from './client';

export async function listTokens(all = false): Promise<ApiToken[]> {
  const page = await apiRequest<{ items: ApiToken[] }>('/api/tokens', {
    query: { all: all ? 'true' : undefined },
  });
  return page.items;
}

export function createToken(name: string, expiresInDays?: number): Promise<CreatedToken> {
  const body: CreateTokenRequest = { name, ...(expiresInDays !== undefined ? { expiresInDays } : {}) };
  return apiRequest<CreatedToken>('/api/tokens', { method: 'POST', body });
}

export function revokeToken(id: string): Promise<unknown> {
  return apiRequest<unknown>(`/api/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
