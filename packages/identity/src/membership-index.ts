import type { Resource, TeamRole, TeamSpec } from '@gantry/model';

/**
 * Who belongs to which team, kept in memory from the Team resources (rebuilt at start, then fed by the
 * watch), so that authorising a request costs no query.
 */
const NO_TEAMS: ReadonlyMap<string, TeamRole> = new Map();

export class MembershipIndex {
  /** team → (user → role) */
  readonly #teams = new Map<string, Map<string, TeamRole>>();
  /** user → (team → role), the same facts indexed for the per-request lookup. */
  readonly #users = new Map<string, Map<string, TeamRole>>();
  /** team → the resourceVersion last applied (kept after a delete), so a late, older change is ignored. */
  readonly #versions = new Map<string, number>();

  /**
   * Applies a Team change, from this process's own write or from the change feed (the same change may
   * come both ways, and the feed may bring an older one after a newer local write).
   */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', team: Resource): void {
    const version = Number(team.metadata.resourceVersion);
    if (version <= (this.#versions.get(team.metadata.name) ?? 0)) return;
    this.#versions.set(team.metadata.name, version);
    if (type === 'DELETED') this.remove(team.metadata.name);
    else this.upsert(team);
  }

  replaceAll(teams: readonly Resource[]): void {
    this.#teams.clear();
    this.#users.clear();
    this.#versions.clear();
    for (const team of teams) this.apply('ADDED', team);
  }

  upsert(team: Resource): void {
    this.remove(team.metadata.name);
    const spec = team.spec as Partial<TeamSpec> | undefined;
    const members = new Map<string, TeamRole>();
    for (const member of spec?.members ?? []) members.set(member.user, member.role);
    this.#teams.set(team.metadata.name, members);
    for (const [user, role] of members) {
      this.#users.set(user, new Map(this.#users.get(user)).set(team.metadata.name, role));
    }
  }

  remove(teamName: string): void {
    for (const user of this.#teams.get(teamName)?.keys() ?? []) {
      const teams = new Map(this.#users.get(user));
      teams.delete(teamName);
      if (teams.size === 0) this.#users.delete(user);
      else this.#users.set(user, teams);
    }
    this.#teams.delete(teamName);
  }

  /**
   * The user's teams and roles now. The map is never changed afterwards (changes replace it, copy on
   * write), so a request authorised against it sees one membership from start to end even when a Team
   * is written while it waits on the database; the next request sees the change.
   */
  teamsOf(username: string): ReadonlyMap<string, TeamRole> {
    return this.#users.get(username) ?? NO_TEAMS;
  }

  has(teamName: string): boolean {
    return this.#teams.has(teamName);
  }
}
