import { TeamRoles, type Resource, type TeamRole } from '@gantry/client';
import { isRecord } from '../api/normalize';

export interface TeamMember {
  user: string;
  role: TeamRole;
}

export const teamRoles: readonly TeamRole[] = TeamRoles;

export function membersOf(team: Resource): TeamMember[] {
  const spec = team.spec;
  if (!isRecord(spec) || !Array.isArray(spec['members'])) return [];
  return spec['members'].flatMap((member): TeamMember[] => {
    if (!isRecord(member) || typeof member['user'] !== 'string') return [];
    const role = teamRoles.find((candidate) => candidate === member['role']) ?? 'viewer';
    return [{ user: member['user'], role }];
  });
}

/** The Team with its members replaced, everything else (resourceVersion included) kept for the PUT. */
export function withMembers(team: Resource, members: readonly TeamMember[]): Resource {
  const spec = isRecord(team.spec) ? team.spec : {};
  return {
    ...team,
    spec: { ...spec, members: members.map((member) => ({ user: member.user, role: member.role })) },
  };
}
