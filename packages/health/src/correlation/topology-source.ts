import type { Clock } from '@gantry/controllers';
import type { NodeSummary } from '@gantry/model';
import type { InventoryRepository } from '@gantry/store';

/**
 * Node labels by team, cluster and node, as correlation reads a node's zone and rack. `cluster` is the
 * name an alert gives (its `cluster` label): a Cluster resource of `team`.
 */
export interface TopologySource {
  nodeLabels(
    team: string,
    cluster: string,
    node: string,
  ): Promise<Readonly<Record<string, string>> | undefined>;
}

/**
 * The fleet inventory's node records as a TopologySource: a cluster's nodes are read in one go on first
 * use and kept for `ttlMs` (labels such as zone and rack change rarely; a storm asks about hundreds of
 * nodes of the same clusters within seconds). The inventory names a team's cluster `team/name`.
 */
export function inventoryTopology(
  inventory: Pick<InventoryRepository, 'list'>,
  clock: Pick<Clock, 'now'>,
  ttlMs = 60_000,
): TopologySource {
  const clusters = new Map<string, { at: number; nodes: Promise<Map<string, Record<string, string>>> }>();
  const load = async (cluster: string) => {
    const nodes = new Map<string, Record<string, string>>();
    let after: { cluster: string; namespace: string; name: string } | undefined;
    for (;;) {
      const page = await inventory.list<NodeSummary>({
        kind: 'Node',
        clusters: [cluster],
        limit: 1_000,
        ...(after ? { after } : {}),
      });
      for (const item of page.items) nodes.set(item.name, item.data.labels ?? {});
      if (!page.next) return nodes;
      after = page.next;
    }
  };
  return {
    async nodeLabels(team, name, node) {
      const cluster = `${team}/${name}`;
      let entry = clusters.get(cluster);
      if (!entry || clock.now() - entry.at > ttlMs) {
        entry = { at: clock.now(), nodes: load(cluster) };
        clusters.set(cluster, entry);
        // A failed read is not kept: the next alert asks again.
        void entry.nodes.catch(() => clusters.delete(cluster));
      }
      return (await entry.nodes).get(node);
    },
  };
}
