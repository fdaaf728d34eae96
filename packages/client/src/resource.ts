/** The declarative resources on the wire (docs/reference/api.md, "Declarative resources"). */

export { API_GROUP, API_VERSION } from '@gantry/model/wire-constants';

export interface ObjectMeta {
  name: string;
  /** Absent on kinds that belong to no team (`Team` itself). */
  team?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Owned by the server, like the rest below: ignored when sent. */
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  updatedTimestamp?: string;
  [field: string]: unknown;
}

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

/** One page of a list; `metadata.continue` asks for the next one, `resourceVersion` is where a watch resumes. */
export interface ResourceList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: Resource[];
}
