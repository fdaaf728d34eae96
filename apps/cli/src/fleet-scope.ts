import { CliError } from './errors.ts';

/** Which clusters a fleet read covers: the `team` and `cluster` query parameters of the fleet endpoints. */
export interface FleetScope {
  team?: string;
  cluster?: string;
}

/**
 * `--cluster C` means cluster C of the command's team (`--team`, else the context's, else `default`).
 * Without it the read covers every cluster the caller may read (like `kubectl get -A`), narrowed to one
 * team only when `--team` is given: a context's default team does not hide the rest of the fleet.
 */
export function fleetScope(
  session: { team: string; teamFromFlag: boolean },
  options: { cluster?: string; allTeams?: boolean },
): FleetScope {
  if (options.allTeams === true && (options.cluster !== undefined || session.teamFromFlag))
    throw new CliError('use either --cluster/--team or -A (--all-teams), not both');
  if (options.cluster !== undefined) {
    if (options.cluster === '') throw new CliError('--cluster needs a cluster name');
    return { team: session.team, cluster: options.cluster };
  }
  return session.teamFromFlag ? { team: session.team } : {};
}

/** `cluster sre/east`, `team sre`, or `every cluster`, for messages. */
export function describeScope(scope: FleetScope): string {
  if (scope.cluster !== undefined) return `cluster ${scope.team ?? ''}/${scope.cluster}`;
  if (scope.team !== undefined) return `the clusters of team ${scope.team}`;
  return 'any cluster';
}
