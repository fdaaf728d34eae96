import type { AlertEntities } from '@gantry/model';
import type { LabelSet } from '../matchers.ts';

/**
 * The labels that name what an alert concerns, first found wins (docs/reference/alerts.md). Prometheus
 * label names cannot hold `.` or `/`, so Gantry's own `app.gantry.dev/name` label also counts in the
 * forms Kubernetes service discovery and kube-state-metrics give it.
 */
export const ENTITY_LABELS: Readonly<Record<keyof AlertEntities, readonly string[]>> = {
  cluster: ['cluster', 'gantry_cluster'],
  node: ['node', 'kubernetes_node', 'nodename'],
  namespace: ['namespace', 'kubernetes_namespace', 'exported_namespace'],
  application: ['app.gantry.dev/name', 'app_gantry_dev_name', 'label_app_gantry_dev_name', 'application'],
  component: [
    'app.gantry.dev/component',
    'app_gantry_dev_component',
    'label_app_gantry_dev_component',
    'component',
  ],
};

const ENTITY_ENTRIES = Object.entries(ENTITY_LABELS) as [keyof AlertEntities, readonly string[]][];

export function entitiesOf(labels: LabelSet): AlertEntities {
  const entities: AlertEntities = {};
  for (const [entity, names] of ENTITY_ENTRIES) {
    for (const name of names) {
      const value = labels[name];
      if (value) {
        entities[entity] = value;
        break;
      }
    }
  }
  return entities;
}
