import type { AlertEntities } from '@gantry/model';
import type { EntityRef } from '../ports.ts';

/** The levels of the built-in topology correlation, most specific first within each chain. */
export type DomainLevel = 'node' | 'rack' | 'zone' | 'namespace' | 'component' | 'application' | 'cluster';

/**
 * The shared levels, in the order they are tried (ADR 0019): physical failure domains first (a rack, then
 * a zone), then the application, then the cluster. The first level at which an alert's domain holds
 * alerts of at least two distinct units (nodes, components, namespaces) takes it.
 */
export const SHARED_LEVELS: readonly DomainLevel[] = ['rack', 'zone', 'application', 'cluster'];

export interface Domain {
  level: DomainLevel;
  /** The correlation key: stable for the same domain across restarts and servers. */
  key: string;
  /** The values that make the domain: shown as the exception's reason. */
  shared: Record<string, string>;
  /** How the domain reads in a title. */
  label: string;
}

/** Where a node is: from the fleet inventory's node labels (or, lacking them, the alert's labels). */
export interface NodePlace {
  zone?: string;
  rack?: string;
}

/**
 * The domains an alert belongs to, most specific first; the first is its unit. A node's chain is node,
 * rack, zone, cluster; a component's component, application; a namespace's namespace, cluster; an
 * application's or cluster's just itself. An alert that names a node is grouped by the node's failure
 * domains even when it names an application too: a node's failure is the likelier shared cause. None for
 * an alert bound to no entity.
 */
export function domainChain(entities: AlertEntities, place: NodePlace | undefined): Domain[] {
  const { cluster, node, namespace, application, component } = entities;
  const chain: Domain[] = [];
  if (node !== undefined && cluster !== undefined) {
    chain.push({
      level: 'node',
      key: `topology/node/${cluster}/${node}`,
      shared: { cluster, node },
      label: `Node ${node} (cluster ${cluster})`,
    });
    const zone = place?.zone;
    if (place?.rack !== undefined) {
      const rack = place.rack;
      chain.push({
        level: 'rack',
        key: zone !== undefined ? `topology/rack/${zone}/${rack}` : `topology/rack/${rack}`,
        shared: zone !== undefined ? { zone, rack } : { rack },
        label: zone !== undefined ? `Rack ${rack} (zone ${zone})` : `Rack ${rack}`,
      });
    }
    if (zone !== undefined)
      chain.push({ level: 'zone', key: `topology/zone/${zone}`, shared: { zone }, label: `Zone ${zone}` });
    chain.push(clusterDomain(cluster));
    return chain;
  }
  if (application !== undefined) {
    if (component !== undefined)
      chain.push({
        level: 'component',
        key: `topology/component/${application}/${component}`,
        shared: { application, component },
        label: `Component ${component} of ${application}`,
      });
    chain.push({
      level: 'application',
      key: `topology/application/${application}`,
      shared: { application },
      label: `Application ${application}`,
    });
    return chain;
  }
  if (cluster !== undefined) {
    if (namespace !== undefined)
      chain.push({
        level: 'namespace',
        key: `topology/namespace/${cluster}/${namespace}`,
        shared: { cluster, namespace },
        label: `Namespace ${namespace} (cluster ${cluster})`,
      });
    chain.push(clusterDomain(cluster));
  }
  return chain;
}

function clusterDomain(cluster: string): Domain {
  return {
    level: 'cluster',
    key: `topology/cluster/${cluster}`,
    shared: { cluster },
    label: `Cluster ${cluster}`,
  };
}

/** The entities an alert concerns, as an exception lists them. */
export function entityRefs(entities: AlertEntities): EntityRef[] {
  const { cluster, node, namespace, application, component } = entities;
  const refs: EntityRef[] = [];
  if (application !== undefined) refs.push({ kind: 'Application', name: application });
  if (component !== undefined && application !== undefined)
    refs.push({ kind: 'Component', name: component, application });
  if (cluster !== undefined) refs.push({ kind: 'Cluster', name: cluster });
  if (node !== undefined && cluster !== undefined) refs.push({ kind: 'Node', name: node, cluster });
  if (namespace !== undefined && cluster !== undefined)
    refs.push({ kind: 'Namespace', name: namespace, cluster });
  return refs;
}

/** Node labels as the topology reads them. */
export interface TopologyLabels {
  zoneLabel: string;
  rackLabel: string;
}

export const DEFAULT_TOPOLOGY_LABELS: TopologyLabels = {
  zoneLabel: 'topology.kubernetes.io/zone',
  rackLabel: 'topology.gantry.dev/rack',
};

/** A node's zone and rack from its Kubernetes labels, or from the alert's `zone` and `rack` labels. */
export function nodePlace(
  nodeLabels: Readonly<Record<string, string>> | undefined,
  alertLabels: Readonly<Record<string, string>>,
  labels: TopologyLabels,
): NodePlace {
  const zone = nodeLabels?.[labels.zoneLabel] ?? alertLabels['zone'];
  const rack = nodeLabels?.[labels.rackLabel] ?? alertLabels['rack'];
  return { ...(zone ? { zone } : {}), ...(rack ? { rack } : {}) };
}
