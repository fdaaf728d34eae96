import { API_VERSION, type Resource } from '@gantry/client';
import type { ClusterSpec } from '@gantry/client';

/** Labels the fleet pages group and describe clusters by; the form asks for them by name. */
export const wellKnownClusterLabels = ['region', 'zone', 'env', 'product'] as const;
export type WellKnownClusterLabel = (typeof wellKnownClusterLabels)[number];

export interface NewClusterValues {
  name: string;
  team: string;
  labels?: Partial<Record<WellKnownClusterLabel, string>>;
  extraLabels?: { key?: string; value?: string }[];
  kubeconfig: string;
  context?: string;
}

export const kubeconfigKey = 'kubeconfig';

/** The secret a new cluster's kubeconfig goes into, as docs/reference/kinds/cluster.md names it. */
export function kubeconfigSecretName(cluster: string): string {
  return `${cluster}-kubeconfig`;
}

export function newClusterResource(values: NewClusterValues): Resource {
  const labels: Record<string, string> = {};
  for (const key of wellKnownClusterLabels) {
    const value = values.labels?.[key]?.trim();
    if (value) labels[key] = value;
  }
  for (const { key, value } of values.extraLabels ?? []) {
    if (key?.trim()) labels[key.trim()] = value?.trim() ?? '';
  }
  const spec: Omit<ClusterSpec, 'paused'> = {
    kubeconfigSecret: { name: kubeconfigSecretName(values.name), key: kubeconfigKey },
    ...(values.context ? { context: values.context } : {}),
  };
  return {
    apiVersion: API_VERSION,
    kind: 'Cluster',
    metadata: { name: values.name, team: values.team, ...(Object.keys(labels).length ? { labels } : {}) },
    spec,
  };
}

/** The form fields a server error can be about. */
export type NewClusterField =
  ['name'] | ['team'] | ['context'] | ['kubeconfig'] | ['labels', WellKnownClusterLabel];

export const newClusterFields: readonly NewClusterField[] = [
  ['name'],
  ['team'],
  ['context'],
  ['kubeconfig'],
  ...wellKnownClusterLabels.map((label): NewClusterField => ['labels', label]),
];

function isWellKnownLabel(key: string): key is WellKnownClusterLabel {
  return (wellKnownClusterLabels as readonly string[]).includes(key);
}

/** The form field an error detail's path is about, for the step that failed; `undefined` for the others. */
export function fieldOfErrorPath(path: string, step: 'cluster' | 'secret'): NewClusterField | undefined {
  const segments = path
    .replace(/^(params|querystring|body)(?=\/)/, '')
    .split('/')
    .filter(Boolean)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const [first, second, third] = segments;
  if (step === 'secret') {
    if (first === 'name') return ['name'];
    if (first === 'team') return ['team'];
    if (first === 'data') return ['kubeconfig'];
    return undefined;
  }
  if (first === 'metadata' && second === 'name') return ['name'];
  if (first === 'metadata' && second === 'team') return ['team'];
  if (first === 'metadata' && second === 'labels' && third !== undefined && isWellKnownLabel(third)) {
    return ['labels', third];
  }
  if (first === 'spec' && second === 'context') return ['context'];
  if (first === 'spec' && second === 'kubeconfigSecret') return ['name'];
  return undefined;
}
