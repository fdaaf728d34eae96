/**
 * Constants of the wire that clients need as values. This file imports nothing, so the console and the
 * CLI bundle it (through `@gantry/model/wire-constants`) without TypeBox or Ajv.
 */

export const API_GROUP = 'gantry.dev';
export const API_VERSION = 'gantry.dev/v1alpha1';

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
  /** Per-cluster revision pins while a rollout runs (`ClusterRevisionPins`, JSON; ADR 0036). */
  clusterRevisions: 'app.gantry.dev/cluster-revisions',
} as const;

/** Labels on every Change self-healing submits: which run and policy made it (ADR 0032). */
export const healingLabels = {
  run: 'healing.gantry.dev/run',
  policy: 'healing.gantry.dev/policy',
} as const;

/** The label selector that lists one application's ApplicationRevisions (and its rendered objects). */
export function applicationSelector(application: string): string {
  return `${deliveryLabels.application}=${application}`;
}

/** The Kubernetes workload kinds Gantry keeps in its inventory and watches for application health. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** The views of `GET /api/inventory/{view}`. */
export const INVENTORY_VIEWS = ['nodes', 'namespaces', 'workloads', 'pods'] as const;
export type InventoryView = (typeof INVENTORY_VIEWS)[number];

/** The roles of a team's members, strongest first. */
export const TeamRoles = ['team-admin', 'operator', 'viewer'] as const;
export type TeamRole = (typeof TeamRoles)[number];

/**
 * A response header on every `/api` and `/apis` answer: a tag of the kinds the server serves (as
 * `GET /api/kinds` lists them), so that a client holding them in a cache knows at its next answer that they
 * changed (a server of another version) without asking for them (ADR 0035).
 */
export const KINDS_TAG_HEADER = 'gantry-kinds';

/** What a Change can do: the spec's fields of which exactly one is set, each served by one actuator. */
export const CHANGE_ACTUATIONS = [
  'nodeOperation',
  'jobRun',
  'applicationRevision',
  'workloadOperation',
  'definitionUpgrade',
  'kubernetesJob',
] as const;
export type ChangeActuation = (typeof CHANGE_ACTUATIONS)[number];

/** The parts of a Change's spec that say what it does (the model's `ChangeSpec` fits it). */
interface ChangeActuationSpec {
  nodeOperation?: { operation: string };
  jobRun?: { template: string };
  applicationRevision?: { application: string; revision: number };
  workloadOperation?: { operation: string; replicas?: number };
  definitionUpgrade?: { kind: string; name: string; generation: number };
  kubernetesJob?: { image: string };
}

/** The spec's one actuation; undefined when it gives none or several. */
export function actuationOf(spec: ChangeActuationSpec): ChangeActuation | undefined {
  const given = CHANGE_ACTUATIONS.filter((actuation) => spec[actuation] !== undefined);
  return given.length === 1 ? given[0] : undefined;
}

/** What a change does, in a few words for lists and tables: `drain nodes`, `job patch on hosts`. */
export function changeSummary(spec: ChangeActuationSpec): string {
  switch (actuationOf(spec)) {
    case 'nodeOperation':
      return `${spec.nodeOperation!.operation} nodes`;
    case 'jobRun':
      return `job ${spec.jobRun!.template} on hosts`;
    case 'applicationRevision':
      return `${spec.applicationRevision!.application} to revision ${spec.applicationRevision!.revision}`;
    case 'workloadOperation': {
      const { operation, replicas } = spec.workloadOperation!;
      return operation === 'scale' ? `scale workloads to ${replicas ?? '?'}` : `${operation} workloads`;
    }
    case 'definitionUpgrade': {
      const { kind, name, generation } = spec.definitionUpgrade!;
      return `${kind} ${name} to generation ${generation}`;
    }
    case 'kubernetesJob':
      return `Kubernetes Job (${spec.kubernetesJob!.image}) on clusters`;
    case undefined:
      return 'unknown';
  }
}
