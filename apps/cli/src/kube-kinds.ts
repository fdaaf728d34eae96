import { CliError } from './errors.ts';

// The common Kubernetes kinds under kubectl's names for them (plural, singular, short names), and
// Gantry's kinds under theirs. Event records name the regarded object's kind as it is written (`Pod`,
// `Application`), and the filter is exact, so `--for po/web` has to become `Pod`.
const KINDS: readonly (readonly [kind: string, ...names: string[]])[] = [
  ['Pod', 'pods', 'pod', 'po'],
  ['Node', 'nodes', 'node', 'no'],
  ['Namespace', 'namespaces', 'namespace', 'ns'],
  ['Deployment', 'deployments', 'deployment', 'deploy'],
  ['ReplicaSet', 'replicasets', 'replicaset', 'rs'],
  ['StatefulSet', 'statefulsets', 'statefulset', 'sts'],
  ['DaemonSet', 'daemonsets', 'daemonset', 'ds'],
  ['Job', 'jobs', 'job'],
  ['CronJob', 'cronjobs', 'cronjob', 'cj'],
  ['Service', 'services', 'service', 'svc'],
  ['Endpoints', 'endpoints', 'ep'],
  ['Ingress', 'ingresses', 'ingress', 'ing'],
  ['ConfigMap', 'configmaps', 'configmap', 'cm'],
  ['Secret', 'secrets', 'secret'],
  ['ServiceAccount', 'serviceaccounts', 'serviceaccount', 'sa'],
  ['PersistentVolumeClaim', 'persistentvolumeclaims', 'persistentvolumeclaim', 'pvc'],
  ['PersistentVolume', 'persistentvolumes', 'persistentvolume', 'pv'],
  ['HorizontalPodAutoscaler', 'horizontalpodautoscalers', 'horizontalpodautoscaler', 'hpa'],
  ['PodDisruptionBudget', 'poddisruptionbudgets', 'poddisruptionbudget', 'pdb'],
  // Gantry's own kinds, which Gantry's events regard (docs/reference/events.md).
  ['Application', 'applications', 'application', 'app'],
  ['ApplicationRevision', 'applicationrevisions', 'applicationrevision', 'apprev'],
  ['Cluster', 'clusters', 'cluster', 'cl'],
  ['ComponentDefinition', 'componentdefinitions', 'componentdefinition', 'compdef', 'cd'],
  ['TraitDefinition', 'traitdefinitions', 'traitdefinition', 'traitdef', 'td'],
  ['Environment', 'environments', 'environment', 'env'],
  ['Team', 'teams', 'team', 'tm'],
];

/**
 * A Kubernetes kind from what the user typed: a known name in any case (`po`, `deploy`, `Pod`), or a kind
 * written as Kubernetes writes kinds (`MyResource`, for custom resources).
 */
export function kubernetesKind(typed: string): string {
  const wanted = typed.toLowerCase();
  const known = KINDS.find(([kind, ...names]) => kind.toLowerCase() === wanted || names.includes(wanted));
  if (known !== undefined) return known[0];
  if (/^[A-Z][A-Za-z0-9]*$/.test(typed)) return typed;
  throw new CliError(
    `unknown kind "${typed}": use a Kubernetes kind as objects name it (e.g. Pod, Deployment, ConfigMap)`,
  );
}

/** `--for KIND/NAME` (kubectl events): the involved object's kind and name. */
export function parseObjectRef(text: string): { kind: string; name: string } {
  const at = text.indexOf('/');
  const name = at === -1 ? '' : text.slice(at + 1);
  if (at <= 0 || name === '' || name.includes('/'))
    throw new CliError(`invalid --for "${text}": use KIND/NAME, e.g. pod/web-0 or node/worker-1`);
  return { kind: kubernetesKind(text.slice(0, at)), name };
}
