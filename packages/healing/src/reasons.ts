/** Where a healing run stands. Terminal phases end the run (its key is free for the next episode). */
export const HealingPhase = {
  Matched: 'Matched',
  Diagnosing: 'Diagnosing',
  Deciding: 'Deciding',
  AwaitingApproval: 'AwaitingApproval',
  Ready: 'Ready',
  Acting: 'Acting',
  Verifying: 'Verifying',
  // Terminal:
  Healed: 'Healed',
  Escalated: 'Escalated',
  Shadowed: 'Shadowed',
  NoAction: 'NoAction',
  TriggerResolved: 'TriggerResolved',
  Rejected: 'Rejected',
} as const;
export type HealingPhase = (typeof HealingPhase)[keyof typeof HealingPhase];

export const TERMINAL_PHASES: ReadonlySet<string> = new Set([
  HealingPhase.Healed,
  HealingPhase.Escalated,
  HealingPhase.Shadowed,
  HealingPhase.NoAction,
  HealingPhase.TriggerResolved,
  HealingPhase.Rejected,
]);

/** Why a run is where it is; also the reasons of its Gantry events. Never classified by message text. */
export const HealingReason = {
  Matched: 'HealingMatched',
  TriggerResolved: 'TriggerResolved',
  // Guard stage: freeze (escalate) or wait.
  SignalsUntrusted: 'SignalsUntrusted',
  DomainUnhealthy: 'DomainUnhealthy',
  Flapping: 'Flapping',
  RetryBudgetSpent: 'RetryBudgetSpent',
  RateLimited: 'RateLimited',
  PolicyInFlight: 'PolicyInFlight',
  DomainInFlight: 'DomainInFlight',
  DisruptionBudgetSpent: 'DisruptionBudgetSpent',
  PolicyGone: 'PolicyGone',
  // Diagnose and decide.
  DiagnosisConcluded: 'DiagnosisConcluded',
  DiagnosisIncomplete: 'DiagnosisIncomplete',
  NothingToDo: 'NothingToDo',
  ConclusionEscalates: 'ConclusionEscalates',
  WouldAct: 'WouldAct',
  ApprovalRequested: 'ApprovalRequested',
  Approved: 'Approved',
  Rejected: 'Rejected',
  ApprovalExpired: 'ApprovalExpired',
  // Act and verify.
  ActionStarted: 'HealingActionStarted',
  ActionFailed: 'HealingActionFailed',
  ActionTimedOut: 'HealingActionTimedOut',
  ActionSucceeded: 'HealingActionSucceeded',
  /** The action's Change is held by the change engine (stop-the-line, a window, the budget, a pause). */
  ActionHeld: 'HealingActionHeld',
  /** ... and goes on again. */
  ActionResumed: 'HealingActionResumed',
  Baking: 'Baking',
  Verified: 'HealingVerified',
  NotVerified: 'HealingNotVerified',
  VerificationFailed: 'VerificationFailed',
  LadderClimbed: 'LadderClimbed',
  LadderExhausted: 'LadderExhausted',
  Escalated: 'HealingEscalated',
} as const;
export type HealingReason = (typeof HealingReason)[keyof typeof HealingReason];

/** The named stages of one reconcile of a run, in order. */
export const HealingStage = {
  Match: 'match',
  Guard: 'guard',
  Diagnose: 'diagnose',
  Decide: 'decide',
  Act: 'act',
  Verify: 'verify',
  Escalate: 'escalate',
} as const;
export type HealingStage = (typeof HealingStage)[keyof typeof HealingStage];
