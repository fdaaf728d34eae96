import type { ClusterSpec, EnvironmentSpec, Resource } from '@gantry/model';
import type { ResourceRepository } from '@gantry/store';
import type { ClusterInfo, EnvironmentInfo } from '../targets.ts';

export interface Placement {
  clusters: ClusterInfo[];
  environments: EnvironmentInfo[];
}

/** A team's clusters (name and labels) and environments: what a topology is resolved against. */
export async function placementOf(
  repository: Pick<ResourceRepository, 'list'>,
  team: string,
): Promise<Placement> {
  const [clusters, environments] = await Promise.all([
    repository.list({ kind: 'Cluster', teams: [team], limit: 10_000 }),
    repository.list({ kind: 'Environment', teams: [team], limit: 10_000 }),
  ]);
  return {
    clusters: clusters.items.map((item) => {
      const cluster = JSON.parse(item.json) as Resource<ClusterSpec>;
      return { name: cluster.metadata.name, labels: cluster.metadata.labels ?? {} };
    }),
    environments: environments.items.map((item) => {
      const environment = JSON.parse(item.json) as Resource<EnvironmentSpec>;
      return { name: environment.metadata.name, spec: environment.spec };
    }),
  };
}
