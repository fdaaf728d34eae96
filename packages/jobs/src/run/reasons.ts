/** Reason constants of a target's state (the `reason` column), one per way it got there. */
export const TargetReasons = {
  queued: 'Queued',
  retryQueued: 'RetryQueued',
  dispatched: 'Dispatched',
  started: 'Started',
  exited: 'Exited',
  failedExit: 'NonZeroExit',
  signalled: 'Signalled',
  timedOut: 'TimedOut',
  cancelled: 'Cancelled',
  cancelRequested: 'CancelRequested',
  refused: 'Refused',
  spawnFailed: 'SpawnFailed',
  hostUnknown: 'HostUnknown',
  agentGone: 'AgentGone',
  noResult: 'NoResult',
  secretMissing: 'SecretMissing',
  stoppedAfterFailures: 'StoppedAfterFailures',
  clusterError: 'ClusterError',
  /** Held in the queue by a ChangeWindow that governs jobs (ADR 0033). */
  windowClosed: 'WindowClosed',
  /** Held in the queue by a stopped line (ADR 0033). */
  lineStopped: 'LineStopped',
} as const;

/** Reason constants of a run's state. */
export const RunReasons = {
  created: 'Created',
  dispatching: 'Dispatching',
  /** Its queued targets wait for the fleet gate (ADR 0033). */
  windowClosed: 'WindowClosed',
  lineStopped: 'LineStopped',
  allSucceeded: 'AllSucceeded',
  targetsFailed: 'TargetsFailed',
  stoppedAfterFailures: 'StoppedAfterFailures',
  cancelled: 'Cancelled',
} as const;

/** Gantry event reasons a run records. */
export const JobEventReasons = {
  runCreated: 'JobRunCreated',
  runSucceeded: 'JobRunSucceeded',
  runFailed: 'JobRunFailed',
  runCancelled: 'JobRunCancelled',
  targetLost: 'JobTargetLost',
  scheduleFired: 'ScheduleFired',
  scheduleSkipped: 'ScheduleSkipped',
  scheduleFailed: 'ScheduleFailed',
} as const;
