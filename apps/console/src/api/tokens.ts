import { apiRequest } from './client';
import { isRecord, itemsOf, str } from './normalize';
import type { ApiToken, CreatedToken } from './types';

export async function listTokens(all = false): Promise<ApiToken[]> {
  const body = await apiRequest<unknown>('/api/tokens', { query: { all: all ? 'true' : undefined } });
  return itemsOf(body, 'tokens').filter(isRecord).map(toToken);
}

export async function createToken(name: string, expiresInDays?: number): Promise<CreatedToken> {
  const body = await apiRequest<unknown>('/api/tokens', { method: 'POST', body: { name, expiresInDays } });
  const raw = isRecord(body) ? body : {};
  return {
    ...toToken(isRecord(raw['tokenInfo']) ? raw['tokenInfo'] : raw),
    token: str(raw, 'token', 'secret') ?? '',
  };
}

export function revokeToken(id: string): Promise<unknown> {
  return apiRequest<unknown>(`/api/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

function toToken(raw: Record<string, unknown>): ApiToken {
  return {
    id: str(raw, 'id') ?? '',
    name: str(raw, 'name') ?? '',
    username: str(raw, 'username', 'user', 'owner'),
    createdAt: str(raw, 'createdAt', 'created'),
    expiresAt: str(raw, 'expiresAt', 'expires'),
    lastUsedAt: str(raw, 'lastUsedAt', 'lastUsed') ?? null,
    revokedAt: str(raw, 'revokedAt') ?? null,
  };
}
