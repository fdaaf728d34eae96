/**
 * The standard health policies of the built-in workload kinds (CEL over `metadata`, `spec`, `status`; see
 * health-policy.ts). The catalog's component definitions carry the same text, and the composer gives them
 * to the workloads a Helm chart or a `List` renders, whose definitions cannot name a policy per object.
 * Absent status fields count as zero, so a just-created object is unhealthy, not an evaluation error.
 * Each policy is several lines (a YAML literal block in the catalog files, byte for byte).
 */

/** The controller has seen the latest spec: `observedGeneration >= generation` (true when neither is set). */
const observed =
  '(!has(metadata.generation) || (has(status.observedGeneration) && status.observedGeneration >= metadata.generation))';
const behind = "'waiting for the controller to observe generation ' + string(metadata.generation)";

/**
 * All desired replicas run the new template and are available, and no old replica is left
 * (`kubectl rollout status`'s rule). Message: `2/3 available`.
 */
export const deploymentHealthPolicy = [
  '{',
  `'healthy': ${observed}`,
  '&& (has(status.updatedReplicas) ? status.updatedReplicas : 0) == (has(spec.replicas) ? spec.replicas : 1)',
  '&& (has(status.replicas) ? status.replicas : 0) == (has(spec.replicas) ? spec.replicas : 1)',
  '&& (has(status.availableReplicas) ? status.availableReplicas : 0) == (has(spec.replicas) ? spec.replicas : 1),',
  `'message': ${observed}`,
  "? string(has(status.availableReplicas) ? status.availableReplicas : 0) + '/' + string(has(spec.replicas) ? spec.replicas : 1) + ' available'",
  `: ${behind}`,
  '}',
].join('\n');

/** Every desired replica is ready and the rollout finished (`currentRevision == updateRevision`). Message: `2/3 ready`. */
export const statefulSetHealthPolicy = [
  '{',
  `'healthy': ${observed}`,
  '&& (has(status.readyReplicas) ? status.readyReplicas : 0) == (has(spec.replicas) ? spec.replicas : 1)',
  '&& (has(status.updatedReplicas) ? status.updatedReplicas : 0) == (has(spec.replicas) ? spec.replicas : 1)',
  '&& has(status.currentRevision) && has(status.updateRevision) && status.currentRevision == status.updateRevision,',
  `'message': ${observed}`,
  "? string(has(status.readyReplicas) ? status.readyReplicas : 0) + '/' + string(has(spec.replicas) ? spec.replicas : 1) + ' ready'",
  `: ${behind}`,
  '}',
].join('\n');

/** Every scheduled node runs an updated, available pod. Message: `2/3 available`. */
export const daemonSetHealthPolicy = [
  '{',
  `'healthy': ${observed}`,
  '&& (has(status.updatedNumberScheduled) ? status.updatedNumberScheduled : 0) == (has(status.desiredNumberScheduled) ? status.desiredNumberScheduled : 0)',
  '&& (has(status.numberAvailable) ? status.numberAvailable : 0) == (has(status.desiredNumberScheduled) ? status.desiredNumberScheduled : 0),',
  `'message': ${observed}`,
  "? string(has(status.numberAvailable) ? status.numberAvailable : 0) + '/' + string(has(status.desiredNumberScheduled) ? status.desiredNumberScheduled : 0) + ' available'",
  `: ${behind}`,
  '}',
].join('\n');

/**
 * Healthy when it has succeeded (`completions` pods, 1 by default), or is running without a failure so
 * far; unhealthy once a pod failed or the Job has the `Failed` condition.
 */
export const jobHealthPolicy = [
  '{',
  "'healthy': !(has(status.conditions) && status.conditions.exists(c, c.type == 'Failed' && c.status == 'True'))",
  '&& ((has(status.succeeded) ? status.succeeded : 0) >= (has(spec.completions) ? spec.completions : 1)',
  '|| ((has(status.active) ? status.active : 0) > 0 && (has(status.failed) ? status.failed : 0) == 0)),',
  "'message': string(has(status.succeeded) ? status.succeeded : 0) + ' succeeded, '",
  "+ string(has(status.active) ? status.active : 0) + ' active, '",
  "+ string(has(status.failed) ? status.failed : 0) + ' failed'",
  '}',
].join('\n');

/** A CronJob is healthy once it exists: its runs are Jobs of their own. */
export const cronJobHealthPolicy = 'true';

/**
 * A PodDisruptionBudget (the pdb trait's) is healthy when as many of its pods are healthy as it requires:
 * otherwise no voluntary disruption is allowed, and a node drain or cluster upgrade waits on it forever
 * (minAvailable above the replicas, or pods failing). Message: `2 of 2 required pods healthy, 1 disruption allowed`.
 */
export const podDisruptionBudgetHealthPolicy = [
  '{',
  `'healthy': ${observed}`,
  '&& (has(status.currentHealthy) ? status.currentHealthy : 0) >= (has(status.desiredHealthy) ? status.desiredHealthy : 0),',
  `'message': ${observed}`,
  "? string(has(status.currentHealthy) ? status.currentHealthy : 0) + ' of ' + string(has(status.desiredHealthy) ? status.desiredHealthy : 0)",
  "+ ' required pods healthy, ' + string(has(status.disruptionsAllowed) ? status.disruptionsAllowed : 0) + ' disruption(s) allowed'",
  `: ${behind}`,
  '}',
].join('\n');

/** The standard policy for a kind (`apps/v1` Deployment...), or undefined when there is none (Service...). */
export function standardHealthPolicy(apiVersion: string, kind: string): string | undefined {
  if (apiVersion === 'apps/v1') {
    if (kind === 'Deployment') return deploymentHealthPolicy;
    if (kind === 'StatefulSet') return statefulSetHealthPolicy;
    if (kind === 'DaemonSet') return daemonSetHealthPolicy;
  }
  if (apiVersion === 'batch/v1') {
    if (kind === 'Job') return jobHealthPolicy;
    if (kind === 'CronJob') return cronJobHealthPolicy;
  }
  if (apiVersion === 'policy/v1' && kind === 'PodDisruptionBudget') return podDisruptionBudgetHealthPolicy;
  return undefined;
}
