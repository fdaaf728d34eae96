import { NotAllowedError, type TeamRole } from '@gantry/model';

export type Role = 'admin' | TeamRole;

/** Who is calling, with what they may do: global admin, or a role per team. */
export interface Principal {
  username: string;
  admin: boolean;
  teams: ReadonlyMap<string, TeamRole>;
  /** The token in use, for logout and audit. */
  tokenId?: string;
}

export type Verb = 'read' | 'write' | 'manage';

const RANK: Record<TeamRole, number> = { viewer: 1, operator: 2, 'team-admin': 3 };
const NEEDED: Record<Verb, number> = { read: 1, write: 2, manage: 3 };

/** Controllers and the bootstrap act as this principal. */
export const SYSTEM_PRINCIPAL: Principal = { username: 'system:gantry', admin: true, teams: new Map() };

export function roleIn(principal: Principal, team: string): Role | undefined {
  return principal.admin ? 'admin' : principal.teams.get(team);
}

/** May `principal` do `verb` to things of `team`? Global admins may do everything. */
export function can(principal: Principal, verb: Verb, team: string): boolean {
  if (principal.admin) return true;
  const role = principal.teams.get(team);
  return role !== undefined && RANK[role] >= NEEDED[verb];
}

export function authorize(principal: Principal, verb: Verb, team: string, what: string): void {
  if (!can(principal, verb, team)) {
    const role = roleIn(principal, team);
    throw new NotAllowedError(
      `${principal.username} (${role ?? 'no role'} in team ${team}) may not ${verb === 'read' ? 'read' : 'change'} ${what}`,
    );
  }
}

export function requireAdmin(principal: Principal, what: string): void {
  if (!principal.admin)
    throw new NotAllowedError(`${principal.username} is not an admin and may not ${what}`);
}

/** The teams whose resources `principal` may read; undefined means all (admins). */
export function readableTeams(principal: Principal): string[] | undefined {
  return principal.admin ? undefined : [...principal.teams.keys()];
}
