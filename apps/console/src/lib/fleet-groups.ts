import type { Resource } from '@gantry/client';

/** The labels the overview groups clusters by. */
export type GroupLabel = 'region' | 'env';

export interface ClusterGroup {
  /** The label's value; `undefined` for clusters without the label. */
  readonly value: string | undefined;
  readonly clusters: readonly Resource[];
}

/** Clusters grouped by one label's value, groups in name order with the unlabelled ones last. */
export function groupClusters(clusters: readonly Resource[], label: GroupLabel): ClusterGroup[] {
  const groups = new Map<string | undefined, Resource[]>();
  for (const cluster of clusters) {
    const value = cluster.metadata.labels?.[label] || undefined;
    groups.set(value, [...(groups.get(value) ?? []), cluster]);
  }
  const byName = (a: Resource, b: Resource) =>
    (a.metadata.team ?? '').localeCompare(b.metadata.team ?? '') ||
    a.metadata.name.localeCompare(b.metadata.name);
  return [...groups.entries()]
    .map(([value, members]) => ({ value, clusters: members.sort(byName) }))
    .sort((a, b) => {
      if (a.value === undefined) return 1;
      if (b.value === undefined) return -1;
      return a.value.localeCompare(b.value);
    });
}
