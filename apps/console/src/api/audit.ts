import type { AuditPage } from '@gantry/client';
import { apiRequest } from './client';

export interface AuditFilter {
  actor?: string | undefined;
  kind?: string | undefined;
  team?: string | undefined;
  name?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export function listAudit(filter: AuditFilter, continueToken?: string, limit = 50): Promise<AuditPage> {
  return apiRequest<AuditPage>('/api/audit', { query: { ...filter, limit, continue: continueToken } });
}
