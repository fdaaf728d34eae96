import { NotFoundError, type DrainReport } from '@gantry/model';
import { KubeApiError, type KubeClient, type KubeList, type KubeObject } from './kube/kube-client.ts';

export interface DrainOptions {
  /** Give up after this long; pods not evicted by then are reported. */
  timeoutMs: number;
  /** Also evict pods that no controller owns (they will not come back). Default false, as kubectl. */
  force?: boolean;
  /** Delay between retries of an eviction refused by a PodDisruptionBudget. */
  retryIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export type { DrainReport } from '@gantry/model';

async function setUnschedulable(client: KubeClient, node: string, unschedulable: boolean): Promise<void> {
  try {
    await client.request(
      'PATCH',
      `/api/v1/nodes/${encodeURIComponent(node)}`,
      { spec: { unschedulable: unschedulable ? true : null } },
      { contentType: 'application/merge-patch+json' },
    );
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404)
      throw new NotFoundError(`node ${node} not found in the cluster`);
    throw error;
  }
}

export function cordon(client: KubeClient, node: string): Promise<void> {
  return setUnschedulable(client, node, true);
}

export function uncordon(client: KubeClient, node: string): Promise<void> {
  return setUnschedulable(client, node, false);
}

function ownerKind(pod: KubeObject): string | undefined {
  const owners = (pod.metadata.ownerReferences as { kind: string; controller?: boolean }[] | undefined) ?? [];
  return owners.find((owner) => owner.controller)?.kind;
}

/**
 * kubectl drain, as a service: cordon, then evict every pod through the Eviction API so that
 * PodDisruptionBudgets are respected (a refused eviction is retried until the deadline), leaving
 * DaemonSet and mirror pods alone, and report what was evicted and what was not.
 */
export async function drain(client: KubeClient, node: string, options: DrainOptions): Promise<DrainReport> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + options.timeoutMs;
  await cordon(client, node);
  const report: DrainReport = {
    node,
    cordoned: true,
    evicted: [],
    remaining: [],
    skipped: [],
    timedOut: false,
  };
  const pods = await client.request<KubeList>(
    'GET',
    `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`,
  );
  const toEvict: KubeObject[] = [];
  for (const pod of pods.items) {
    const ref = { namespace: pod.metadata.namespace ?? '', name: pod.metadata.name };
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const annotations = (pod.metadata.annotations as Record<string, string> | undefined) ?? {};
    if (pod.metadata.deletionTimestamp) report.skipped.push({ ...ref, reason: 'already terminating' });
    else if (annotations['kubernetes.io/config.mirror'])
      report.skipped.push({ ...ref, reason: 'mirror pod' });
    else if (ownerKind(pod) === 'DaemonSet')
      report.skipped.push({ ...ref, reason: 'managed by a DaemonSet' });
    else if (!ownerKind(pod) && !options.force)
      report.remaining.push({ ...ref, reason: 'not managed by a controller (use force to evict it)' });
    else toEvict.push(pod);
  }
  let pending = toEvict;
  while (pending.length > 0) {
    const refused: KubeObject[] = [];
    for (const pod of pending) {
      const { namespace = '', name } = pod.metadata;
      try {
        await client.request(
          'POST',
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/eviction`,
          {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name, namespace },
          },
        );
        report.evicted.push({ namespace, name });
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) continue; // already gone
        if (error instanceof KubeApiError && error.status === 429)
          refused.push(pod); // a PodDisruptionBudget says not now
        else report.remaining.push({ namespace, name, reason: (error as Error).message });
      }
    }
    if (refused.length === 0) break;
    if (now() >= deadline) {
      report.timedOut = true;
      report.remaining.push(
        ...refused.map((pod) => ({
          namespace: pod.metadata.namespace ?? '',
          name: pod.metadata.name,
          reason: 'eviction refused by a PodDisruptionBudget until the timeout',
        })),
      );
      break;
    }
    await sleep(Math.min(options.retryIntervalMs ?? 2000, Math.max(0, deadline - now())));
    pending = refused;
  }
  return report;
}
