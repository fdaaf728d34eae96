/** What the server says about itself: `GET /api/version` and `GET /api/kinds`. */

export interface ServerVersion {
  version: string;
  commit?: string;
  database?: string;
}

/** Objects of a `Team` kind live in a team (`metadata.team`); `Global` ones do not. */
export type KindScope = 'Team' | 'Global';

/** One entry of `GET /api/kinds`. Clients build their own view of it (the CLI's short names, the console's forms). */
export interface ServedKind {
  kind: string;
  /** `group/version`, e.g. `gantry.dev/v1alpha1`. */
  apiVersion: string;
  plural: string;
  singular?: string;
  shortNames?: string[];
  scope: KindScope;
  description?: string;
  /** JSON Schema of `spec`. */
  schema?: unknown;
  /** JSON Schema of `status`. */
  statusSchema?: unknown;
  /** Extra table columns: kubectl JSONPath such as `.status.conditions[?(@.type=="Ready")].status`. */
  printerColumns?: { name: string; jsonPath: string; description?: string }[];
}

export interface KindList {
  items: ServedKind[];
}
