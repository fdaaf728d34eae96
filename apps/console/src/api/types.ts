/** Wire types of the Gantry API (docs/reference/api.md). */

export const apiGroup = 'gantry.dev';
export const apiVersion = 'v1alpha1';
export const resourceApiVersion = `${apiGroup}/${apiVersion}`;

export interface ObjectMeta {
  name: string;
  team?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  updatedTimestamp?: string;
}

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
}

export interface ResourceList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: Resource[];
}

export type KindScope = 'Team' | 'Global';

export interface KindInfo {
  kind: string;
  group: string;
  version: string;
  plural: string;
  scope: KindScope;
  description?: string | undefined;
  schema?: unknown;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export type TeamRole = 'team-admin' | 'operator' | 'viewer';

export interface Me {
  user: { username: string; admin: boolean };
  teams: { team: string; role: string }[];
}

export interface LoginResult {
  token: string;
  expiresAt: string;
  user: { username: string; admin: boolean };
}

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
