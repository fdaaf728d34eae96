import type { Resource, TeamRole, TeamSpec } from '@gantry/model';

/**
 * Who belongs to which team, kept in memory from the Team resources (rebuilt at start, then fed by the
 * watch), so that authorising a request costs no query.
 */
export class MembershipIndex {
  /** team → (user → role) */
  readonly #teams = new Map<string, Map<string, TeamRole>>();

  replaceAll(teams: readonly Resource[]): void {
    this.#teams.clear();
    for (const team of teams) this.upsert(team);
  }

  upsert(team: Resource): void {
    const spec = team.spec as Partial<TeamSpec> | undefined;
    const members = new Map<string, TeamRole>();
    for (const member of spec?.members ?? []) members.set(member.user, member.role);
    this.#teams.set(team.metadata.name, members);
  }

  remove(teamName: string): void {
    this.#teams.delete(teamName);
  }

  teamsOf(username: string): Map<string, TeamRole> {
    const result = new Map<string, TeamRole>();
    for (const [team, members] of this.#teams) {
      const role = members.get(username);
      if (role) result.set(team, role);
    }
    return result;
  }

  has(teamName: string): boolean {
    return this.#teams.has(teamName);
  }
}
