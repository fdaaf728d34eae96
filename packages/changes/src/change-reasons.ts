/** The conditions a Change's status carries. */
export const ChangeCondition = {
  /** True while the change moves; False with the reason it does not (waiting, paused, ended). */
  Progressing: 'Progressing',
  /** True while something outside the change holds it: a stopped line, its windows, a missing window. */
  Blocked: 'Blocked',
} as const;

/** Reasons of those conditions, and of the status message (docs/reference/kinds/change.md lists them). */
export const ChangeReason = {
  Pending: 'Pending',
  Applying: 'Applying',
  Observing: 'Observing',
  Paused: 'Paused',
  EntityFailed: 'EntityFailed',
  Aborted: 'Aborted',
  Succeeded: 'Succeeded',
  NoTargets: 'NoTargets',
  TargetsUnresolved: 'TargetsUnresolved',
  PlanDoesNotCover: 'PlanDoesNotCover',
  ActuatorUnavailable: 'ActuatorUnavailable',
  LineStopped: 'LineStopped',
  OutsideWindow: 'OutsideWindow',
  Frozen: 'Frozen',
  WindowMissing: 'WindowMissing',
  WindowInvalid: 'WindowInvalid',
  EntitiesHeld: 'EntitiesHeld',
  NotBlocked: 'NotBlocked',
  /** A gate failed (its failure policy acted). */
  GateFailed: 'GateFailed',
  /** A metric or canary gate had too few samples and its no-data policy is Pause. */
  GateNoData: 'GateNoData',
  /** The next batch waits for someone to approve it. */
  AwaitingApproval: 'AwaitingApproval',
  ApprovalRejected: 'ApprovalRejected',
  /** An exception opened on entities the change has touched: paused, and linked. */
  ExceptionOpened: 'ExceptionOpened',
  RollingBack: 'RollingBack',
  RolledBack: 'RolledBack',
  RollbackFailed: 'RollbackFailed',
  /** Rollback asked for by someone. */
  RollbackRequested: 'RollbackRequested',
  /** A DisruptionBudget lets no more entities of the domain out now. */
  BudgetExhausted: 'BudgetExhausted',
} as const;
export type ChangeReason = (typeof ChangeReason)[keyof typeof ChangeReason];

/** The reasons of the Gantry events the engine records (docs/reference/events.md). */
export const ChangeEventReason = {
  ChangeStarted: 'ChangeStarted',
  ChangeFailed: 'ChangeFailed',
  BatchStarted: 'BatchStarted',
  EntityChanged: 'EntityChanged',
  EntityChangeFailed: 'EntityChangeFailed',
  BatchObserving: 'BatchObserving',
  BatchCompleted: 'BatchCompleted',
  ChangePaused: 'ChangePaused',
  ChangeResumed: 'ChangeResumed',
  ChangeAborted: 'ChangeAborted',
  ChangeSucceeded: 'ChangeSucceeded',
  ChangeBlocked: 'ChangeBlocked',
  LineStopped: 'LineStopped',
  LineReleased: 'LineReleased',
  GatePassed: 'GatePassed',
  GateFailed: 'GateFailed',
  BatchApproved: 'BatchApproved',
  BatchRejected: 'BatchRejected',
  ChangeExceptionOpened: 'ChangeExceptionOpened',
  ChangePausedByException: 'ChangePausedByException',
  RollbackStarted: 'RollbackStarted',
  EntityUndone: 'EntityUndone',
  RollbackBatchCompleted: 'RollbackBatchCompleted',
  ChangeRolledBack: 'ChangeRolledBack',
} as const;

/** Who the engine's own steps are recorded as. */
export const CHANGE_CONTROLLER_ACTOR = 'controller/change';
/** The lease the engine runs under (the controller runtime's name for controller `change`). */
export const CHANGE_LEASE = 'controller/change';
