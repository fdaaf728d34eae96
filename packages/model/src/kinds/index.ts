import type { KindDefinition } from '../kind-registry.ts';
import { clusterKind } from './cluster.ts';
import { deliveryKinds } from './delivery.ts';
import { silenceKind } from './silence.ts';
import { teamKind } from './team.ts';
import { alertRoutingKind } from './alert-routing.ts';
import { inhibitRuleKind } from './inhibit-rule.ts';
import { timeIntervalKind } from './time-interval.ts';

/** The kinds every server registers. A capability adds its kind here, with its schema in this folder. */
export const builtinKinds: readonly KindDefinition[] = [
  teamKind,
  clusterKind,
  ...deliveryKinds,
  silenceKind,
  alertRoutingKind,
  inhibitRuleKind,
  timeIntervalKind,
];
