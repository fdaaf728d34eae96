import type { KubeClient } from '@gantry/fleet';
import { deliveryAnnotations, deliveryLabels } from '@gantry/model';

/** The field manager the partition is written as: Gantry's server-side apply never owns it, so no drift. */
export const PARTITION_FIELD_MANAGER = 'gantry-rollout';

interface StatefulSet {
  metadata: { name: string; namespace?: string; generation?: number; annotations?: Record<string, string> };
  spec?: {
    replicas?: number;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  };
  status?: {
    observedGeneration?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    updateRevision?: string;
  };
}

interface Pod {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
  };
  status?: { conditions?: { type: string; status: string }[] };
}

/** Where one StatefulSet's partitioned roll is: `done` once every pod runs the revision and is ready. */
export interface PartitionState {
  name: string;
  replicas: number;
  partition: number;
  done: boolean;
  message: string;
}

const path = (namespace: string, name?: string) =>
  `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/statefulsets${name ? `/${encodeURIComponent(name)}` : ''}`;

async function statefulSets(client: KubeClient, namespace: string, app: string): Promise<StatefulSet[]> {
  const selector = encodeURIComponent(`${deliveryLabels.application}=${app}`);
  const list = await client.request<{ items?: StatefulSet[] }>(
    'GET',
    `${path(namespace)}?labelSelector=${selector}`,
  );
  return (list.items ?? []).filter(
    (sts) => (sts.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate',
  );
}

async function setPartition(client: KubeClient, sts: StatefulSet, namespace: string, partition: number) {
  await client.request(
    'PATCH',
    `${path(sts.metadata.namespace ?? namespace, sts.metadata.name)}?fieldManager=${PARTITION_FIELD_MANAGER}`,
    { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } } } },
    { contentType: 'application/merge-patch+json' },
  );
}

const partitionOf = (sts: StatefulSet) => sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
const atRevision = (sts: StatefulSet, revision: number) =>
  sts.metadata.annotations?.[deliveryAnnotations.revision] === String(revision);

/**
 * Before a cluster is pinned to `revision`: every StatefulSet of the application not yet at it gets
 * `partition = replicas`, so the new template updates no pod until the steps lower it. A StatefulSet at
 * the revision already (a repeated apply after a crash) is left where its steps have brought it.
 */
export async function holdPartitions(
  client: KubeClient,
  namespace: string,
  app: string,
  revision: number,
): Promise<number> {
  let held = 0;
  for (const sts of await statefulSets(client, namespace, app)) {
    if (atRevision(sts, revision)) continue;
    const replicas = sts.spec?.replicas ?? 1;
    if (partitionOf(sts) !== replicas) await setPartition(client, sts, namespace, replicas);
    held += 1;
  }
  return held;
}

/**
 * One look at the partitioned roll: a StatefulSet whose current step is observed (its controller saw the
 * generation, the pods from the partition up are updated, every pod ready) gets its partition lowered by
 * `step`; one at partition 0 with every pod updated and ready is done. Level-triggered: each call looks
 * afresh, so a repeat after a crash moves nothing twice.
 */
export async function stepPartitions(
  client: KubeClient,
  namespace: string,
  app: string,
  revision: number,
  step: number,
): Promise<PartitionState[]> {
  const states: PartitionState[] = [];
  for (const sts of await statefulSets(client, namespace, app)) {
    const name = sts.metadata.name;
    const replicas = sts.spec?.replicas ?? 1;
    const partition = partitionOf(sts);
    if (!atRevision(sts, revision)) {
      states.push({
        name,
        replicas,
        partition,
        done: false,
        message: `${name}: waiting for revision ${revision}`,
      });
      continue;
    }
    const status = sts.status ?? {};
    const observed =
      (status.observedGeneration ?? 0) >= (sts.metadata.generation ?? 0) &&
      (status.updatedReplicas ?? 0) >= replicas - partition &&
      (status.readyReplicas ?? 0) >= replicas;
    if (!observed) {
      states.push({
        name,
        replicas,
        partition,
        done: false,
        message: `${name}: partition ${partition}, ${status.updatedReplicas ?? 0}/${replicas} updated, ${status.readyReplicas ?? 0} ready`,
      });
      continue;
    }
    if (partition === 0) {
      states.push({
        name,
        replicas,
        partition,
        done: true,
        message: `${name}: ${replicas}/${replicas} updated`,
      });
      continue;
    }
    const next = Math.max(0, partition - step);
    await setPartition(client, sts, namespace, next);
    states.push({
      name,
      replicas,
      partition: next,
      done: false,
      message: `${name}: partition ${partition} → ${next}`,
    });
  }
  return states;
}

/** An undo: every StatefulSet of the application rolls at once (partition 0) back to the pinned revision. */
export async function releasePartitions(client: KubeClient, namespace: string, app: string): Promise<void> {
  for (const sts of await statefulSets(client, namespace, app))
    if (partitionOf(sts) !== 0) await setPartition(client, sts, namespace, 0);
}

/**
 * After an undo has put a StatefulSet's template back: deletes its pods that are not ready and not of
 * its current update revision. With `OrderedReady`, a StatefulSet waits for such a pod (made from the bad
 * template, never ready) before it reverts anything — the manual step Kubernetes documents as a forced
 * rollback; a rollback must not need a person. Only pods of the revision being undone are deleted, and
 * only once the StatefulSet's controller has seen the reverted template. Answers the pods deleted.
 */
export async function repairStatefulSets(
  client: KubeClient,
  namespace: string,
  app: string,
): Promise<string[]> {
  const deleted: string[] = [];
  const selector = encodeURIComponent(`${deliveryLabels.application}=${app}`);
  for (const sts of await statefulSets(client, namespace, app)) {
    const update = sts.status?.updateRevision;
    if (!update || (sts.status?.observedGeneration ?? 0) < (sts.metadata.generation ?? 0)) continue;
    const ns = sts.metadata.namespace ?? namespace;
    const pods = await client.request<{ items?: Pod[] }>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(ns)}/pods?labelSelector=${selector}`,
    );
    for (const pod of pods.items ?? []) {
      const owned = pod.metadata.ownerReferences?.some(
        (owner) => owner.kind === 'StatefulSet' && owner.name === sts.metadata.name,
      );
      const hash = pod.metadata.labels?.['controller-revision-hash'];
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (!owned || ready || hash === undefined || hash === update) continue;
      await client.request(
        'DELETE',
        `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod.metadata.name)}`,
      );
      deleted.push(pod.metadata.name);
    }
  }
  return deleted;
}
