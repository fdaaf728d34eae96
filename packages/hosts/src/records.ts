import type { Host, HostFacts, HostLabels, HostStatus, JoinToken } from '@gantry/model';
import type { HostRow, JoinTokenRow } from '@gantry/store';

const iso = (ms: number): string => new Date(ms).toISOString();

export function hostFromRow(row: HostRow, node: Host['node'], connected: boolean): Host {
  return {
    name: row.name,
    team: row.team,
    status: row.status as HostStatus,
    statusSince: iso(row.status_since),
    connected,
    labels: JSON.parse(row.labels) as HostLabels,
    facts: row.facts === null ? null : (JSON.parse(row.facts) as HostFacts),
    agentVersion: row.agent_version,
    lastHeartbeat: row.last_heartbeat === null ? null : iso(row.last_heartbeat),
    credentialId: row.credential_id,
    createdAt: iso(row.created_at),
    node,
  };
}

export function joinTokenState(row: JoinTokenRow, now: number): JoinToken['state'] {
  if (row.revoked_at !== null) return 'Revoked';
  if (row.expires_at <= now) return 'Expired';
  if (row.uses >= row.max_uses) return 'UsedUp';
  return 'Active';
}

export function joinTokenFromRow(row: JoinTokenRow, now: number): JoinToken {
  return {
    id: row.id,
    team: row.team,
    description: row.description,
    labels: JSON.parse(row.labels) as HostLabels,
    maxUses: row.max_uses,
    uses: row.uses,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    expiresAt: iso(row.expires_at),
    revokedAt: row.revoked_at === null ? null : iso(row.revoked_at),
    state: joinTokenState(row, now),
  };
}
