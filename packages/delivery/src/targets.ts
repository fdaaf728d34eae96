import {
  matchesSelector,
  type ApplicationSpec,
  type ComponentSpec,
  type EnvironmentSpec,
  type LabelSelector,
  type LabelSelectorSpec,
  type OverrideSpec,
} from '@gantry/model';
import { applyOverride } from './overrides.ts';

export interface ClusterInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
}

export interface EnvironmentInfo {
  name: string;
  spec: EnvironmentSpec;
}

/** One place an application is delivered to. `environment` is `''` when the cluster came from no environment. */
export interface Target {
  cluster: string;
  namespace: string;
  environment: string;
}

export interface TargetResolution {
  targets: Target[];
  /** Names that resolve to nothing: reported in status, not fatal (a cluster may be added later). */
  problems: string[];
}

/** The Kubernetes selector form (matchLabels, matchExpressions) as Gantry's parsed selector. */
export function toSelector(spec: LabelSelectorSpec): LabelSelector {
  const requirements: LabelSelector[number][] = Object.entries(spec.matchLabels ?? {}).map(
    ([key, value]) => ({ key, op: 'in' as const, values: [value] }),
  );
  for (const expression of spec.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notIn', Exists: 'exists', DoesNotExist: 'notExists' } as const)[
      expression.operator
    ];
    requirements.push(
      op === 'in' || op === 'notIn'
        ? { key: expression.key, op, values: expression.values ?? [] }
        : { key: expression.key, op },
    );
  }
  return requirements;
}

function selects(
  names: readonly string[] | undefined,
  selector: LabelSelectorSpec | undefined,
  cluster: ClusterInfo,
): boolean {
  return (
    (names?.includes(cluster.name) ?? false) ||
    (selector !== undefined && matchesSelector(toSelector(selector), cluster.labels))
  );
}

/**
 * Where an application goes: clusters by name, by label selector, and through environments (whose
 * namespace, if set, replaces the application's). A cluster reached through an environment keeps that
 * environment; reached twice, the first environment in the topology wins. Sorted by cluster name.
 */
export function resolveTargets(
  spec: ApplicationSpec,
  clusters: readonly ClusterInfo[],
  environments: readonly EnvironmentInfo[],
): TargetResolution {
  const { topology } = spec;
  const problems: string[] = [];
  const byName = new Map(clusters.map((cluster) => [cluster.name, cluster]));
  const targets = new Map<string, Target>();
  for (const name of topology.environments ?? []) {
    const environment = environments.find((e) => e.name === name);
    if (!environment) {
      problems.push(`environment ${name} does not exist`);
      continue;
    }
    for (const cluster of clusters) {
      if (
        targets.has(cluster.name) ||
        !selects(environment.spec.clusters, environment.spec.clusterSelector, cluster)
      )
        continue;
      targets.set(cluster.name, {
        cluster: cluster.name,
        namespace: environment.spec.namespace ?? topology.namespace,
        environment: name,
      });
    }
    for (const missing of (environment.spec.clusters ?? []).filter((c) => !byName.has(c)))
      problems.push(`cluster ${missing} (of environment ${name}) does not exist`);
  }
  for (const name of topology.clusters ?? []) {
    if (!byName.has(name)) problems.push(`cluster ${name} does not exist`);
    else if (!targets.has(name))
      targets.set(name, { cluster: name, namespace: topology.namespace, environment: '' });
  }
  if (topology.clusterSelector) {
    const selector = toSelector(topology.clusterSelector);
    for (const cluster of clusters) {
      if (!targets.has(cluster.name) && matchesSelector(selector, cluster.labels))
        targets.set(cluster.name, { cluster: cluster.name, namespace: topology.namespace, environment: '' });
    }
  }
  return { targets: [...targets.values()].sort((a, b) => a.cluster.localeCompare(b.cluster)), problems };
}

/** Whether an override applies to a target: when it names no cluster, selector or environment, it applies everywhere. */
export function overrideApplies(
  override: OverrideSpec,
  target: Target,
  cluster: ClusterInfo | undefined,
): boolean {
  const scoped =
    override.clusters !== undefined ||
    override.clusterSelector !== undefined ||
    override.environments !== undefined;
  if (!scoped) return true;
  if (override.environments?.includes(target.environment) && target.environment !== '') return true;
  return cluster !== undefined && selects(override.clusters, override.clusterSelector, cluster);
}

/** The application's components as one target sees them, every applicable override applied in order. */
export function componentsForTarget(
  spec: ApplicationSpec,
  target: Target,
  cluster: ClusterInfo | undefined,
): ComponentSpec[] {
  let components = spec.components;
  for (const override of spec.overrides ?? []) {
    if (!overrideApplies(override, target, cluster)) continue;
    components = components.map((component) => {
      const patch = override.components.find((c) => c.name === component.name);
      return patch ? applyOverride(component, patch) : component;
    });
  }
  return components;
}
