import { apiRequest } from './client';
import { continueOf, isRecord, itemsOf, str } from './normalize';
import type { AuditEntry, Page } from './types';

export interface AuditFilter {
  actor?: string | undefined;
  kind?: string | undefined;
  team?: string | undefined;
  name?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export async function listAudit(
  filter: AuditFilter,
  continueToken?: string,
  limit = 50,
): Promise<Page<AuditEntry>> {
  const body = await apiRequest<unknown>('/api/audit', {
    query: { ...filter, limit, continue: continueToken },
  });
  return { items: itemsOf(body, 'entries').filter(isRecord).map(toEntry), continue: continueOf(body) };
}

function toEntry(raw: Record<string, unknown>, index: number): AuditEntry {
  return {
    id: str(raw, 'id') ?? `${str(raw, 'time', 'timestamp') ?? ''}-${index}`,
    time: str(raw, 'at', 'time', 'timestamp') ?? '',
    actor: str(raw, 'actor', 'user', 'username') ?? '',
    action: str(raw, 'action', 'verb') ?? '',
    source: str(raw, 'source'),
    kind: str(raw, 'kind') || undefined,
    // Global resources and identity events are recorded with an empty team.
    team: str(raw, 'team') || undefined,
    name: str(raw, 'name') || undefined,
    before: raw['before'] ?? undefined,
    after: raw['after'] ?? undefined,
    diff: raw['diff'] ?? undefined,
  };
}
