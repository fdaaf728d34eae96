import type { KubeClient } from './kube-client.ts';
import { waitFor } from './wait.ts';
import type { ProcessRecord } from './processes.ts';

interface NodeList {
  items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
}

export function nodeIsReady(node: NodeList['items'][number]): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * A cluster is ready for tests when the apiserver says so, every expected node is Ready (kwok has taken it
 * over) and the controller-manager has created the default service account, without which no pod is admitted.
 */
export async function waitForClusterReady(
  client: KubeClient,
  options: { cluster: string; nodes: number; timeoutMs: number; watch?: readonly ProcessRecord[] },
): Promise<void> {
  const common = { timeoutMs: options.timeoutMs, cluster: options.cluster, watch: options.watch };
  await waitFor(
    `${options.cluster} apiserver /readyz`,
    async () => ((await client.request('GET', '/readyz')).status === 200 ? true : undefined),
    common,
  );
  await waitFor(
    `${options.cluster}: ${options.nodes} nodes Ready`,
    async () => {
      const list = await client.get<NodeList>('/api/v1/nodes');
      const ready = list.items.filter(nodeIsReady).length;
      if (ready >= options.nodes) return true;
      throw new Error(`${ready}/${options.nodes} nodes Ready`);
    },
    common,
  );
  await waitFor(
    `${options.cluster}: default service account`,
    async () =>
      (await client.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200
        ? true
        : undefined,
    common,
  );
}
