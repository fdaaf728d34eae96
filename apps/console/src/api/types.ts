import type { NodeCondition } from '@gantry/client';

/** A kind from `GET /api/kinds`, with the group and version split: @gantry/client's view. */
export type { KindInfo } from '@gantry/client';

/** A status condition as the console shows it: the loosest shape, a kind's or a node's (kubelet's). */
export type Condition = NodeCondition;

/**
 * The console's own views of API data (the wire types themselves are in @gantry/client): normalized from
 * bodies the console reads tolerantly (see normalize.ts).
 */

export interface User {
  username: string;
  admin: boolean;
  disabled: boolean;
  createdAt?: string;
  updatedAt?: string;
  lastLoginAt?: string;
}

export interface ApiToken {
  id: string;
  name: string;
  username?: string;
  createdAt?: string;
  expiresAt?: string;
  lastUsedAt?: string | null;
  revokedAt?: string | null;
}

export interface CreatedToken extends ApiToken {
  token: string;
}

export interface AuditEntry {
  id: string;
  time: string;
  actor: string;
  action: string;
  source?: string | undefined;
  kind?: string;
  team?: string;
  name?: string;
  before?: unknown;
  after?: unknown;
  diff?: unknown;
}

export interface Page<T> {
  items: T[];
  continue?: string;
}
