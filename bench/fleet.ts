// Fleet targets (issue: fleet): 3 test-bed clusters × 500 kwok nodes and 5,000 pods; full inventory sync
// time, node-condition latency (cluster → Gantry API), server RSS throughout; test-bed warm start time.
// Usage: node --import tsx bench/fleet.ts [--clusters 3] [--nodes 500] [--pods 5000]
import { parseArgs } from 'node:util';
import { chaos, startTestbed } from '@gantry/testbed';
import { BASE, percentiles, request, startServer } from './lib.mjs';

const { values } = parseArgs({
  options: {
    clusters: { type: 'string', default: '3' },
    nodes: { type: 'string', default: '500' },
    pods: { type: 'string', default: '5000' },
  },
});
const clusters = Number(values.clusters);
const nodesPer = Number(values.nodes);
const podsTotal = Number(values.pods);

const bedStart = performance.now();
const bed = await startTestbed({ clusters, nodes: nodesPer, progress: true });
const bedMs = performance.now() - bedStart;
try {
  // Pods first, so the sync measures a full cluster: one Deployment per cluster.
  const perCluster = Math.ceil(podsTotal / clusters);
  for (const cluster of bed.clusters) {
    await cluster.client.create('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'load' },
      spec: {
        replicas: perCluster,
        selector: { matchLabels: { app: 'load' } },
        template: {
          metadata: { labels: { app: 'load' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }], tolerations: [{ operator: 'Exists' }] },
        },
      },
    });
  }
  const podsRunning = async () => {
    let running = 0;
    for (const cluster of bed.clusters) {
      const deployment = await cluster.client.get<{ status?: { readyReplicas?: number } }>(
        `/apis/apps/v1/namespaces/default/deployments/load`,
      );
      running += deployment.status?.readyReplicas ?? 0;
    }
    return running;
  };
  const podsStart = performance.now();
  while ((await podsRunning()) < perCluster * clusters)
    await new Promise((resolve) => setTimeout(resolve, 1000));
  console.error(
    `pods running in the test bed after ${((performance.now() - podsStart) / 1000).toFixed(1)} s`,
  );

  const server = await startServer({ port: 17460 });
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(server.rssMb()), 500);
  const { url, token } = server;
  await request(
    'POST',
    `${url}${BASE}/teams`,
    { apiVersion: 'gantry.dev/v1alpha1', kind: 'Team', metadata: { name: 'sre' }, spec: { members: [] } },
    token,
  );
  const syncStart = performance.now();
  for (const cluster of bed.clusters) {
    await request(
      'PUT',
      `${url}/api/teams/sre/secrets/${cluster.name}-kubeconfig`,
      { data: { kubeconfig: cluster.kubeconfig } },
      token,
    );
    await request(
      'POST',
      `${url}${BASE}/teams/sre/clusters`,
      {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Cluster',
        metadata: { name: cluster.name },
        spec: { kubeconfigSecret: { name: `${cluster.name}-kubeconfig` } },
      },
      token,
    );
  }
  const synced = async () => {
    const nodes = (await request('GET', `${url}/api/inventory/nodes?limit=5000`, undefined, token)).body.items
      .length;
    const pods = (
      await request('GET', `${url}/api/inventory/pods?limit=5000`, undefined, token)
    ).body.items.reduce((sum: number, item: { Running?: number }) => sum + (item.Running ?? 0), 0);
    return nodes >= nodesPer * clusters && pods >= perCluster * clusters;
  };
  while (!(await synced())) await new Promise((resolve) => setTimeout(resolve, 100));
  const syncMs = performance.now() - syncStart;

  // Node condition latency: flip nodes NotReady in the cluster and time until Gantry's API shows it.
  const delays: number[] = [];
  const first = bed.clusters[0]!;
  const nodeNames = (
    await first.client.get<{ items: { metadata: { name: string } }[] }>('/api/v1/nodes?limit=20')
  ).items
    .map((n) => n.metadata.name)
    .slice(0, 10);
  for (const node of nodeNames) {
    const t0 = performance.now();
    await chaos.makeNodeNotReady(first.client, node, { reason: 'BenchChaos' });
    // Wait for the cluster itself to show it, then for Gantry; report Gantry's lag behind the cluster.
    let clusterSaw = 0;
    for (;;) {
      if (!clusterSaw) {
        const live = await first.client.get<{ status: { conditions: { type: string; status: string }[] } }>(
          `/api/v1/nodes/${node}`,
        );
        if (live.status.conditions.some((c) => c.type === 'Ready' && c.status !== 'True'))
          clusterSaw = performance.now();
      }
      const seen = (
        await request(
          'GET',
          `${url}/api/inventory/nodes?team=sre&cluster=${first.name}&limit=5000`,
          undefined,
          token,
        )
      ).body.items.find((n: { name: string }) => n.name === node);
      if (seen && !seen.ready) {
        delays.push(performance.now() - (clusterSaw || t0));
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  clearInterval(sampler);
  const latency = percentiles(delays);
  await server.stop();
  console.log(
    JSON.stringify(
      {
        clusters,
        nodesPer,
        pods: perCluster * clusters,
        testbedUpMs: Math.round(bedMs),
        inventorySyncMs: Math.round(syncMs),
        nodeConditionLatencyMs: latency,
        maxRssMb: Math.round(Math.max(...rss)),
      },
      null,
      2,
    ),
  );
  console.log(`full inventory sync: ${(syncMs / 1000).toFixed(1)} s (target < 30 s)`);
  console.log(
    `node condition visible in the API after the cluster shows it: p50 ${latency.p50.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms (target < 2000 ms)`,
  );
  console.log(`server RSS max: ${Math.max(...rss).toFixed(0)} MB (target < 300 MB)`);
  console.log(`test bed up (${clusters} × ${nodesPer} nodes, warm binaries): ${(bedMs / 1000).toFixed(1)} s`);
} finally {
  await bed.stop();
}
