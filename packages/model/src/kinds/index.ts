import type { KindDefinition } from '../kind-registry.ts';
import { clusterKind } from './cluster.ts';
import { deliveryKinds } from './delivery.ts';
import { hostGroupKind } from './host-group.ts';
import { teamKind } from './team.ts';

/** The kinds every server registers. A capability adds its kind here, with its schema in this folder. */
export const builtinKinds: readonly KindDefinition[] = [
  teamKind,
  clusterKind,
  ...deliveryKinds,
  hostGroupKind,
];
