import type { ChangeSpec, ChangeTargets } from '@gantry/model';

/** What one entity's change came to. `Running`: started, not finished; the engine asks `progress` later. */
export type ActuatorOutcome =
  | { status: 'Succeeded'; message?: string }
  | { status: 'Failed'; reason: string; message: string }
  | { status: 'Running'; handle: string; message?: string };

export type TargetResolution =
  { ok: true; entities: string[] } | { ok: false; reason: string; message: string };

export interface ApplyRequest {
  team: string;
  change: string;
  spec: ChangeSpec;
  entity: string;
  /**
   * The step's idempotency key (`<uid>/batch/2/entity/east/node-7/attempt/1`). The engine calls `apply`
   * again with the same key only when a previous call's outcome was never journaled (the server died
   * mid-call): an actuator must make a repeat with the same key change nothing more than the first.
   */
  key: string;
  /** Who the action is recorded as. */
  actor: string;
}

/**
 * Changes one entity for a change. Implementations: node operations over `@gantry/fleet`
 * (`NodeOperationActuator`); job runs on hosts and application revisions are next (ADR 0026).
 */
export interface ChangeActuator {
  /** The kind of the entities, for events: `Node`, `Host`. */
  readonly entityKind: string;
  /** The spec's targets → entity names, sorted; called once, when the change starts. */
  resolve(team: string, spec: ChangeSpec, targets: ChangeTargets): Promise<TargetResolution>;
  apply(request: ApplyRequest): Promise<ActuatorOutcome>;
  /** For an apply (or undo) that answered `Running`: where it is now. */
  progress?(request: ApplyRequest & { handle: string }): Promise<ActuatorOutcome>;
  /**
   * The inverse of `apply` for one entity (rollback): cordon ↔ uncordon, a job template's rollback
   * template. `key` is the rollback step's; the same rules of idempotency hold. Absent, or `canUndo`
   * false for the spec: the change cannot roll back (refused at admission).
   */
  undo?(request: ApplyRequest): Promise<ActuatorOutcome>;
  canUndo?(spec: ChangeSpec): boolean;
  /** Every entity of the kind in the team with its labels (and `gantry.dev/cluster`): the budgets' domains. */
  labels?(team: string): Promise<Map<string, Record<string, string>>>;
  /** For events: the entity as an event subject's parts. */
  subject(team: string, entity: string): { kind: string; name: string; team: string; cluster?: string };
}

export const CHANGE_ACTIONS = [
  'nodeOperation',
  'jobRun',
  'applicationRevision',
  'workloadOperation',
  'kubernetesJob',
] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

/** The actuator for a spec: which action it has. */
export type ChangeActuators = Partial<Record<ChangeAction, ChangeActuator>>;

/** The spec's one action; undefined when it gives none or several. */
export function actionOf(spec: ChangeSpec): ChangeAction | undefined {
  const given = CHANGE_ACTIONS.filter((action) => spec[action] !== undefined);
  return given.length === 1 ? given[0] : undefined;
}
