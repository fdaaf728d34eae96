/**
 * Delivery on the wire (docs/adr/0007-delivery.md): the specs and statuses of the delivery kinds as a
 * client reads them, and the bodies of the application actions (rollback, diff). The kinds' schemas are
 * in packages/model/src/kinds/delivery.ts; these types follow them for code that must not bundle the
 * model (the console, the CLI's output).
 */
import type { Condition } from './fleet.ts';
import type { Resource } from './resource.ts';

/** Labels Gantry stamps on every object it renders, and on an application's revisions. */
export const deliveryLabels = {
  team: 'app.gantry.dev/team',
  application: 'app.gantry.dev/name',
  component: 'app.gantry.dev/component',
} as const;

/** Annotations Gantry writes on rendered objects and rolled-back applications. */
export const deliveryAnnotations = {
  revision: 'app.gantry.dev/revision',
  definitionsFrom: 'app.gantry.dev/definitions-from',
} as const;

/** The label selector that lists one application's ApplicationRevisions. */
export function revisionSelector(application: string): string {
  return `${deliveryLabels.application}=${application}`;
}

export type HealthState = 'Healthy' | 'Progressing' | 'Unhealthy' | 'Unknown';

/** A JSON Schema (draft 2020-12 subset) as definitions carry it for properties. */
export type JsonSchema = Record<string, unknown>;

export interface OutputTemplate {
  name: string;
  includeWhen?: string;
  template: Record<string, unknown>;
}

export interface ComponentDefinitionSpec {
  version: string;
  description: string;
  category?: string;
  workload: { apiVersion: string; kind: string; podTemplatePath?: string };
  schema: JsonSchema;
  templates: OutputTemplate[];
  helm?: {
    chart: string;
    repo?: string;
    version?: string;
    values?: Record<string, unknown>;
    releaseName?: string;
  };
  health?: { policy: string };
}

export interface TraitDefinitionSpec {
  version: string;
  description: string;
  category?: string;
  appliesToWorkloads: string[];
  conflictsWith: string[];
  podDisruptive: boolean;
  stage: 'pre' | 'post';
  schema: JsonSchema;
  patch?: Record<string, unknown>;
  podPatch?: Record<string, unknown>;
  outputs: OutputTemplate[];
  health?: { policy: string };
}

export interface TraitSpec {
  type: string;
  properties?: Record<string, unknown>;
}

export interface ComponentSpec {
  name: string;
  type: string;
  properties?: Record<string, unknown>;
  traits?: TraitSpec[];
  dependsOn?: string[];
}

export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

export interface TopologySpec {
  clusters?: string[];
  clusterSelector?: LabelSelectorSpec;
  environments?: string[];
  namespace: string;
}

export interface OverrideSpec {
  clusters?: string[];
  clusterSelector?: LabelSelectorSpec;
  environments?: string[];
  components: {
    name: string;
    properties?: Record<string, unknown>;
    traits?: { type: string; properties?: Record<string, unknown>; disable?: boolean }[];
  }[];
}

export interface ApplicationSpec {
  description?: string;
  components: ComponentSpec[];
  topology: TopologySpec;
  overrides?: OverrideSpec[];
  prune?: { enabled: boolean; persistentVolumeClaims: boolean; adoptUnowned: boolean };
  revisionHistoryLimit?: number;
}

export type TargetPhase = 'Applied' | 'Waiting' | 'Failed' | 'Unreachable';

/** One (cluster, namespace) the application is delivered to. */
export interface ApplicationTarget {
  cluster: string;
  namespace: string;
  environment?: string;
  phase: TargetPhase;
  message?: string;
  revision?: number;
}

/** One cell of the components × clusters health matrix. */
export interface ComponentHealth {
  name: string;
  cluster: string;
  health: HealthState;
  message?: string;
  /** `kind/namespace/name` of the workload. */
  workload?: string;
}

export interface ApplicationStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  revision?: number;
  latestRevision?: number;
  health?: HealthState;
  targets?: ApplicationTarget[];
  components?: ComponentHealth[];
}

export interface DefinitionSnapshot {
  version: string;
  generation: number;
  spec: unknown;
}

export interface ApplicationRevisionSpec {
  application: string;
  revision: number;
  hash: string;
  applicationSpec: ApplicationSpec;
  definitions: { components: Record<string, DefinitionSnapshot>; traits: Record<string, DefinitionSnapshot> };
  cause?: string;
}

export interface EnvironmentSpec {
  description?: string;
  clusters?: string[];
  clusterSelector?: LabelSelectorSpec;
  namespace?: string;
}

export type Application = Resource & { spec: ApplicationSpec; status?: ApplicationStatus };
export type ApplicationRevision = Resource & { spec: ApplicationRevisionSpec };
export type ComponentDefinition = Resource & { spec: ComponentDefinitionSpec };
export type TraitDefinition = Resource & { spec: TraitDefinitionSpec };

/** `POST /api/teams/{team}/applications/{name}/rollback`; the answer is the updated Application. */
export interface RollbackRequest {
  revision: number;
}

export type ObjectAction = 'create' | 'update' | 'unchanged' | 'prune';

/** One changed field of an object, by JSON pointer. */
export interface FieldChange {
  path: string;
  op: string;
  before?: unknown;
  after?: unknown;
}

export interface ObjectDiff {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** The component that renders the object. */
  component?: string;
  action: ObjectAction;
  diff?: FieldChange[];
}

export interface TargetDiff {
  cluster: string;
  namespace: string;
  environment?: string;
  /** Set when the target could not be rendered or read; its objects are then empty or partial. */
  error?: string;
  objects: ObjectDiff[];
}

/** `POST /api/teams/{team}/applications/{name}/diff`: what applying the application now would do. */
export interface ApplicationDiff {
  targets: TargetDiff[];
  /** What kept the topology from resolving fully (an unknown environment, a cluster not found). */
  problems?: string[];
}

/** The path of an application action (`rollback`, `diff`). */
export function applicationActionPath(team: string, name: string, action: 'rollback' | 'diff'): string {
  return `/api/teams/${encodeURIComponent(team)}/applications/${encodeURIComponent(name)}/${action}`;
}
