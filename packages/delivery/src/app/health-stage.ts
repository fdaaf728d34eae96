import type { ConditionUpdate } from '@gantry/controllers';
import type { ApplicationSpec, HealthState } from '@gantry/model';
import { ApplicationCondition, ApplicationReason } from './application-conditions.ts';
import { ApplicationEventReason, type ApplicationEvents } from './application-events.ts';
import { worstHealth, type ComponentHealth } from './component-health.ts';
import { isFailure, type TargetOutcome } from './target-outcome.ts';

export interface HealthOutcome {
  health: HealthState;
  /** The components × clusters matrix. */
  cells: ComponentHealth[];
}

/**
 * Stage 4, health: the components × clusters matrix from each target's cells (its workloads' health
 * policies over the live objects, read by deploy), and the application's health, the worst of them.
 * `Unknown` with no target, and at best `Unknown` while a target failed. Records an event when the
 * health turns Healthy or Unhealthy.
 */
export function healthStage(
  spec: ApplicationSpec,
  outcomes: readonly TargetOutcome[],
  previous: HealthState | undefined,
  events: ApplicationEvents,
): HealthOutcome {
  // A target that could not be worked on still gets a row per component in the matrix, as Unknown.
  const cells: ComponentHealth[] = outcomes.flatMap((o) =>
    o.cells.length > 0
      ? o.cells
      : spec.components.map((c) => ({
          name: c.name,
          cluster: o.target.cluster,
          health: 'Unknown' as const,
          message: `${o.phase}: ${o.message ?? ''}`.slice(0, 500),
        })),
  );
  const health =
    outcomes.length === 0
      ? 'Unknown'
      : outcomes.some(isFailure)
        ? worstHealth([...cells.map((c) => c.health), 'Unknown'])
        : worstHealth(cells.map((c) => c.health));
  const outcome = { health, cells };
  if (health !== previous && health === 'Healthy')
    events.normal(ApplicationEventReason.Healthy, healthyCondition(outcome).message);
  if (health !== previous && health === 'Unhealthy')
    events.warning(ApplicationEventReason.Unhealthy, healthyCondition(outcome).message);
  return outcome;
}

/** Healthy: True when every cell is, else the health as reason (Unknown while progressing). */
export function healthyCondition(outcome: HealthOutcome): Omit<ConditionUpdate, 'observedGeneration'> {
  const { health, cells } = outcome;
  if (health === 'Healthy')
    return {
      type: ApplicationCondition.Healthy,
      status: 'True',
      reason: ApplicationReason.Healthy,
      message: `${cells.length} component(s) healthy`,
    };
  const unhealthy = cells.filter((c) => c.health !== 'Healthy');
  return {
    type: ApplicationCondition.Healthy,
    status: health === 'Progressing' ? 'Unknown' : 'False',
    reason: ApplicationReason[health],
    message:
      unhealthy.map((c) => `${c.name}@${c.cluster}: ${c.message ?? c.health}`).join('; ') ||
      'no component reports health',
  };
}
