/** Gantry event reasons the exceptions code records (regarding `Exception/<id>` of the team). */
export const ExceptionEventReasons = {
  opened: 'ExceptionOpened',
  reopened: 'ExceptionReopened',
  acknowledged: 'ExceptionAcknowledged',
  mitigated: 'ExceptionMitigated',
  resolved: 'ExceptionResolved',
  assigned: 'ExceptionAssigned',
  merged: 'ExceptionMerged',
  reviewed: 'ExceptionReviewUpdated',
  failureRaised: 'FailureLevelRaised',
} as const;

/** Reasons of the failure controller's outcomes, one per way a reconcile ends. */
export const FailureReasons = {
  /** Not yet past the first threshold. */
  belowThreshold: 'BelowThreshold',
  /** Raised to a higher level (possibly several at once, after a pause of the controller). */
  raised: 'LevelRaised',
  /** Already at the level its duration calls for. */
  unchanged: 'LevelUnchanged',
  /** Changed by someone else since it was read (resolved, merged, raised): looked at again next time. */
  superseded: 'Superseded',
} as const;

/** The reasons the exceptions code writes on the timeline when Gantry, not a person, acts. */
export const ExceptionTimelineReasons = {
  groupResolved: 'AllAlertsResolved',
  returnedWithinWindow: 'ReturnedWithinReopenWindow',
} as const;

/** Who acts when nobody does by hand. */
export const ExceptionActors = {
  correlation: 'controller/correlation',
  failures: 'controller/failures',
  escalation: 'controller/escalation',
  notifications: 'controller/notifications',
} as const;
