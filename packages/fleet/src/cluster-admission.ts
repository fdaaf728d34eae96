import { ErrorCodes, GantryError } from '@gantry/model';
import { can } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';

/** The secret made for a cluster: where `gantry cluster add` and the console keep its kubeconfig. */
export function kubeconfigSecretFor(cluster: string): string {
  return `${cluster}-kubeconfig`;
}

/**
 * A Cluster's controller opens the secret it names and reports what it finds: an operator who could
 * point a Cluster at any secret of the team could make it use (and probe with) a secret made for
 * something else. So an operator may name only the secret made for that cluster; a team-admin, who
 * manages the team's secrets, may name any of them.
 */
export function registerClusterAdmission(resources: ResourceService): void {
  resources.admit('Cluster', async (request) => {
    if (request.operation === 'delete' || !request.object) return;
    const wanted = (request.object.spec as { kubeconfigSecret?: { name?: string } }).kubeconfigSecret?.name;
    const stored = (request.current?.spec as { kubeconfigSecret?: { name?: string } } | undefined)
      ?.kubeconfigSecret?.name;
    if (wanted === undefined || wanted === stored || wanted === kubeconfigSecretFor(request.name)) return;
    if (can(request.caller.principal, 'manage', request.team)) return;
    throw new GantryError(
      403,
      ErrorCodes.forbidden,
      `${request.caller.principal.username} may point cluster ${request.name} only at its own secret ${kubeconfigSecretFor(request.name)}; a team-admin may choose another of team ${request.team}'s secrets`,
      [{ path: '/spec/kubeconfigSecret/name', message: `must be ${kubeconfigSecretFor(request.name)}` }],
    );
  });
}
