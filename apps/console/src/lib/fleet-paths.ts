/** Where the fleet pages live in the console. */
export const fleetPath = '/fleet';
export const addClusterPath = '/fleet/clusters/new';

export function clusterPath(team: string, name: string, tab?: string): string {
  const path = `/fleet/clusters/${encodeURIComponent(team)}/${encodeURIComponent(name)}`;
  return tab ? `${path}?tab=${tab}` : path;
}

export function nodePath(team: string, cluster: string, node: string): string {
  return `${clusterPath(team, cluster)}/nodes/${encodeURIComponent(node)}`;
}

/** An inventory item's or event's `cluster` (`team/name`) split into its parts. */
export function splitClusterId(id: string): { team: string; name: string } {
  const slash = id.indexOf('/');
  return slash === -1 ? { team: '', name: id } : { team: id.slice(0, slash), name: id.slice(slash + 1) };
}
