import type { KindDefinition } from '../kind-registry.ts';
import { alertRuleKind, globalAlertRuleKind } from './alert-rule.ts';
import { clusterKind } from './cluster.ts';
import { deliveryKinds } from './delivery.ts';
import { metricsSourceKind } from './metrics-source.ts';
import { teamKind } from './team.ts';

/** The kinds every server registers. A capability adds its kind here, with its schema in this folder. */
export const builtinKinds: readonly KindDefinition[] = [
  teamKind,
  clusterKind,
  ...deliveryKinds,
  metricsSourceKind,
  alertRuleKind,
  globalAlertRuleKind,
];
