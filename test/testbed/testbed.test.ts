import { existsSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_TESTBED_NICE,
  chaos,
  nodeIsReady,
  startTestbed,
  testbedStatus,
  waitFor,
  type Testbed,
  type TestbedCluster,
} from '../../testbed/src/index.ts';

// Real processes: 2 × (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok). The binaries
// come from testbed/build.sh; run it before this suite when the cache is cold (it takes a long while).

interface Condition {
  type: string;
  status: string;
  reason?: string;
}
interface NodeList {
  items: {
    metadata: { name: string; labels: Record<string, string> };
    status?: { conditions?: Condition[] };
  }[];
}
interface PodList {
  items: {
    metadata: { name: string };
    spec: { nodeName?: string };
    status: { phase?: string; podIP?: string };
  }[];
}

let testbed: Testbed;
let pids: number[] = [];

beforeAll(async () => {
  testbed = await startTestbed({ clusters: 2, nodes: 3 });
  pids = (testbedStatus(testbed.stateDir)?.clusters ?? []).flatMap((cluster) =>
    cluster.processes.map((p) => p.pid),
  );
});

afterAll(async () => {
  await testbed?.stop();
});

function cluster(index: number): TestbedCluster {
  const found = testbed.clusters[index];
  if (!found) throw new Error(`no cluster ${index}`);
  return found;
}

/** Alive and not a zombie: what `ps` would show as a running process. */
function running(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('multi-cluster test bed', () => {
  it('starts two isolated clusters of Kubernetes 1.36 with three Ready kwok nodes each', async () => {
    expect(testbed.clusters.map((c) => c.name)).toEqual(['testbed-1', 'testbed-2']);
    expect(new Set(testbed.clusters.map((c) => c.server)).size).toBe(2);
    expect(pids).toHaveLength(10);
    for (const c of testbed.clusters) {
      expect(c.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(c.kubeconfig).toContain(`server: ${c.server}`);
      expect(c.kubeconfig).toContain('client-certificate-data:');
      expect((await c.client.get<{ gitVersion: string }>('/version')).gitVersion).toBe('v1.36.3');
      const nodes = await c.client.get<NodeList>('/api/v1/nodes');
      // Each cluster sees only its own nodes: separate etcd, separate apiserver.
      expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(
        [1, 2, 3].map((i) => `${c.name}-node-${i}`),
      );
      expect(nodes.items.every(nodeIsReady)).toBe(true);
      expect(nodes.items.every((n) => n.metadata.labels['topology.kubernetes.io/region'] === c.region)).toBe(
        true,
      );
    }
    expect(cluster(0).region).not.toBe(cluster(1).region);
    // The kubeconfig works for kubectl as it is.
    expect(await cluster(1).kubectl(['get', 'nodes', '-o', 'name'])).toContain('node/testbed-2-node-1');
  });

  it('lowers the scheduling group of every process, so the clusters cannot crowd out the code under test', () => {
    for (const pid of pids) {
      // With autogroups the session's group carries the level; without, the process itself does.
      const group = `/proc/${pid}/autogroup`;
      if (existsSync(group))
        expect(readFileSync(group, 'utf8')).toMatch(new RegExp(`nice ${DEFAULT_TESTBED_NICE}\\n`));
      else expect(getPriority(pid)).toBe(DEFAULT_TESTBED_NICE);
    }
  });

  it('runs a Deployment: the scheduler places its pods and kwok makes them Running', async () => {
    const c = cluster(0);
    await c.client.create('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    });
    const pods = await waitFor(
      'three Running web pods',
      async () => {
        const list = await c.client.get<PodList>('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb');
        const runningPods = list.items.filter((p) => p.status.phase === 'Running');
        return runningPods.length === 3 ? runningPods : undefined;
      },
      { timeoutMs: 60_000 },
    );
    for (const pod of pods) {
      expect(pod.spec.nodeName).toMatch(/^testbed-1-node-\d$/);
      expect(pod.status.podIP).toMatch(/^10\.244\./);
    }
    await waitFor(
      'deployment available',
      async () => {
        const deployment = await c.client.get<{ status: { availableReplicas?: number } }>(
          '/apis/apps/v1/namespaces/default/deployments/web',
        );
        return deployment.status.availableReplicas === 3 ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // The other cluster is untouched.
    expect((await cluster(1).client.get<PodList>('/api/v1/namespaces/default/pods')).items).toHaveLength(0);
  });

  it('fails a pod through the pod chaos stage', async () => {
    const c = cluster(0);
    const list = await c.client.get<PodList>('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb');
    const victim = list.items.find((p) => p.status.phase === 'Running');
    expect(victim).toBeDefined();
    await chaos.failPod(c.client, 'default', victim!.metadata.name, { reason: 'GantryChaos', exitCode: 3 });
    const failed = await waitFor(
      'the pod to fail',
      async () => {
        const res = await c.client.request<{
          status: {
            phase: string;
            containerStatuses: { state: { terminated?: { exitCode: number; reason: string } } }[];
          };
        }>('GET', `/api/v1/namespaces/default/pods/${victim!.metadata.name}`);
        return res.status === 200 && res.body.status.phase === 'Failed' ? res.body : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(failed.status.containerStatuses[0]?.state.terminated).toMatchObject({
      exitCode: 3,
      reason: 'GantryChaos',
    });
  });

  it('makes a node NotReady through the node chaos stage, and only that node', async () => {
    const c = cluster(1);
    const node = 'testbed-2-node-2';
    await chaos.makeNodeNotReady(c.client, node, {
      reason: 'GantryChaos',
      message: 'made NotReady by the test',
    });
    const ready = await waitFor(
      'the Ready condition to turn False',
      async () => {
        const current = await c.client.get<NodeList['items'][number]>(`/api/v1/nodes/${node}`);
        const condition = current.status?.conditions?.find((cond) => cond.type === 'Ready');
        return condition?.status === 'False' ? condition : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(ready).toMatchObject({ status: 'False', reason: 'GantryChaos' });
    const nodes = await c.client.get<NodeList>('/api/v1/nodes');
    expect(
      nodes.items
        .filter(nodeIsReady)
        .map((n) => n.metadata.name)
        .sort(),
    ).toEqual(['testbed-2-node-1', 'testbed-2-node-3']);
    expect((await cluster(0).client.get<NodeList>('/api/v1/nodes')).items.every(nodeIsReady)).toBe(true);
  });

  it('stops every process it started and removes its state', async () => {
    expect(pids.every(running)).toBe(true);
    await testbed.stop();
    expect(pids.filter(running)).toEqual([]);
    expect(existsSync(testbed.stateDir)).toBe(false);
    expect(testbed.clusters.every((c) => !existsSync(c.kubeconfigPath))).toBe(true);
  });
});
