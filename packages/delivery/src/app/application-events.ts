import type { EventRecorder, EventType } from '@gantry/controllers';

/** Reasons of the events the application controller and the delivery service record. */
export const ApplicationEventReason = {
  RevisionCreated: 'RevisionCreated',
  ObjectsApplied: 'ObjectsApplied',
  ObjectsPruned: 'ObjectsPruned',
  RenderFailed: 'RenderFailed',
  ApplyFailed: 'ApplyFailed',
  ClusterUnreachable: 'ClusterUnreachable',
  Healthy: 'Healthy',
  Unhealthy: 'Unhealthy',
  RolledBack: 'RolledBack',
  /** What the application put on a cluster was deleted (it was deleted, or no longer targets the cluster). */
  ObjectsRemoved: 'ObjectsRemoved',
  ApplicationDeleted: 'ApplicationDeleted',
  /** Change detection (ADR 0031, app/drift.ts records DriftDetected and DriftRestored itself). */
  DriftRestoreWaiting: 'DriftRestoreWaiting',
  /** A new revision waits for the fleet gate (ADR 0033). */
  DeployWaiting: 'DeployWaiting',
  /** The rollout policy made the Change that rolls a new revision out (ADR 0036). */
  RolloutStarted: 'RolloutStarted',
  RolloutRefused: 'RolloutRefused',
} as const;
export type ApplicationEventReason = (typeof ApplicationEventReason)[keyof typeof ApplicationEventReason];

export const CONTROLLER_ACTOR = 'controller/application';

/** Records events about one Application, on one cluster when `cluster` is given. */
export class ApplicationEvents {
  constructor(
    private readonly recorder: EventRecorder,
    private readonly team: string,
    private readonly app: string,
    private readonly actor: string = CONTROLLER_ACTOR,
  ) {}

  normal(reason: ApplicationEventReason, message: string, cluster?: string): void {
    this.#record('Normal', reason, message, cluster);
  }

  warning(reason: ApplicationEventReason, message: string, cluster?: string): void {
    this.#record('Warning', reason, message, cluster);
  }

  #record(type: EventType, reason: string, message: string, cluster: string | undefined): void {
    this.recorder.record({
      type,
      reason,
      message,
      regarding: {
        kind: 'Application',
        team: this.team,
        name: this.app,
        ...(cluster !== undefined ? { cluster } : {}),
      },
      actor: this.actor,
    });
  }
}
