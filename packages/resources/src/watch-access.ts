import { NotAllowedError, type RegisteredKind } from '@gantry/model';
import { authorize, readableTeams, type Principal } from '@gantry/identity';

/** What a watch may see, decided when it starts and checked again while it runs. */
export interface WatchScope {
  /** Only these teams; undefined means every team (admins, and kinds that belong to no team). */
  teams: readonly string[] | undefined;
  /** Throws the error that ends the stream when `principal` may no longer see all of this scope. */
  recheck(principal: Principal): void;
}

/**
 * The scope of a watch of `kind` (in `team` when given) for `principal`: the same objects its list
 * shows. Team-scoped kinds and Teams themselves are limited to the readable teams; other global kinds
 * (component and trait definitions) are readable by every user, as their list is.
 */
export function watchScope(principal: Principal, kind: RegisteredKind, team: string | undefined): WatchScope {
  const byTeam = kind.scope === 'Team' || kind.kind === 'Team';
  if (!byTeam) return { teams: undefined, recheck: () => {} };
  if (team !== undefined && kind.scope === 'Team') {
    const what = `${kind.plural} in team ${team}`;
    authorize(principal, 'read', team, what);
    return { teams: [team], recheck: (now) => authorize(now, 'read', team, what) };
  }
  const teams = readableTeams(principal);
  return {
    teams,
    recheck: (now) => {
      if (now.admin) return;
      if (teams === undefined)
        throw new NotAllowedError(`${now.username} is no longer an admin and may not watch every team`);
      const lost = teams.find((name) => !now.teams.has(name));
      if (lost !== undefined)
        throw new NotAllowedError(`${now.username} is no longer a member of team ${lost}`);
    },
  };
}
