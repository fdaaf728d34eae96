/** The conditions an Application's status carries, one or two per reconcile stage. */
export const ApplicationCondition = {
  /** Deploy stage: the revision renders on every target. */
  Rendered: 'Rendered',
  /** Targets and deploy stages: the revision is applied to every target. */
  Applied: 'Applied',
  /** Health stage: every component is healthy on every cluster. */
  Healthy: 'Healthy',
  /** Status stage: all of the above. */
  Ready: 'Ready',
} as const;

/** Reasons of those conditions (docs/reference/kinds/application.md lists them). */
export const ApplicationReason = {
  Rendered: 'Rendered',
  RenderFailed: 'RenderFailed',
  Applied: 'Applied',
  NoTargets: 'NoTargets',
  ClusterUnreachable: 'ClusterUnreachable',
  ApplyFailed: 'ApplyFailed',
  WaitingForDependencies: 'WaitingForDependencies',
  /** A new revision waits for a ChangeWindow that governs applications (ADR 0033). */
  WindowClosed: 'WindowClosed',
  /** A new revision waits for the team's or the fleet's line to be released (ADR 0033). */
  LineStopped: 'LineStopped',
  /** Some targets are held at another revision than the newest by a rollout or a Change (ADR 0036). */
  RevisionsPinned: 'RevisionsPinned',
  /** The rollout policy's Change for the newest revision was refused at admission (ADR 0036). */
  RolloutRefused: 'RolloutRefused',
  Healthy: 'Healthy',
  Progressing: 'Progressing',
  Unhealthy: 'Unhealthy',
  Unknown: 'Unknown',
  Ready: 'Ready',
} as const;
