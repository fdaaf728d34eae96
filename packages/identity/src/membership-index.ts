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
  /** The maps teamsOf has handed out: never changed again (a change copies them first). */
  readonly #handedOut = new WeakSet<Map<string, TeamRole>>();
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

  /**
   * Touches only the maps of the users whose role in this team changes: a write that leaves the members
   * as they were (a status update, a label) copies nothing, and a map nobody has been handed since its
   * last change is changed in place (see teamsOf). A user in thousands of teams (an admin in every team)
   * made each new Team copy a map of thousands of entries.
   */
  upsert(team: Resource): void {
    const name = team.metadata.name;
    const spec = team.spec as Partial<TeamSpec> | undefined;
    const members = new Map<string, TeamRole>();
    for (const member of spec?.members ?? []) members.set(member.user, member.role);
    const before = this.#teams.get(name) ?? new Map<string, TeamRole>();
    this.#teams.set(name, members);
    for (const [user, role] of members) if (before.get(user) !== role) this.#setRole(user, name, role);
    for (const user of before.keys()) if (!members.has(user)) this.#setRole(user, name, undefined);
  }

  remove(teamName: string): void {
    for (const user of this.#teams.get(teamName)?.keys() ?? []) this.#setRole(user, teamName, undefined);
    this.#teams.delete(teamName);
  }

  #setRole(user: string, teamName: string, role: TeamRole | undefined): void {
    let teams = this.#users.get(user);
    if (teams === undefined || this.#handedOut.has(teams)) {
      teams = new Map(teams);
      this.#users.set(user, teams);
    }
    if (role === undefined) teams.delete(teamName);
    else teams.set(teamName, role);
    if (teams.size === 0) this.#users.delete(user);
  }

  /**
   * The user's teams and roles now. The map is never changed afterwards (changes replace it, copy on
   * write), so a request authorised against it sees one membership from start to end even when a Team
   * is written while it waits on the database; the next request sees the change.
   */
  teamsOf(username: string): ReadonlyMap<string, TeamRole> {
    const teams = this.#users.get(username);
    if (teams === undefined) return NO_TEAMS;
    this.#handedOut.add(teams);
    return teams;
  }

  has(teamName: string): boolean {
    return this.#teams.has(teamName);
  }
}
