import type { NodeCondition } from '@gantry/client';

/** A kind from `GET /api/kinds`, with the group and version split: @gantry/client's view. */
export type { KindInfo } from '@gantry/client';

/** A status condition as the console shows it: the loosest shape, a kind's or a node's (kubelet's). */
export type Condition = NodeCondition;

/**
 * The console's own views of API data (the wire types themselves are in @gantry/client): normalized from
 * bodies the console reads tolerantly (see normalize.ts).
 */

export type {
  ApiToken,
  AuditEntry,
  CreatedToken,
  InventoryPage as Page,
  PublicUser as User,
} from '@gantry/client';
