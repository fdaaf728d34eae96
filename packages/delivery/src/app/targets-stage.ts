import type { ConditionUpdate } from '@gantry/controllers';
import type { ApplicationSpec } from '@gantry/model';
import type { AppliedObject } from '@gantry/store';
import { resolveTargets, type ClusterInfo, type Target } from '../targets.ts';
import { ApplicationCondition, ApplicationReason } from './application-conditions.ts';
import type { ApplicationEvents } from './application-events.ts';
import type { Placement } from './placement-source.ts';
import { removeEverywhere, type RemovalDeps } from './removal.ts';

export interface TargetsOutcome {
  targets: Target[];
  clusters: ClusterInfo[];
  /** Names that resolve to nothing, and clusters left that could not be cleaned: reported, not fatal. */
  problems: string[];
}

/**
 * Stage 2, targets: the topology over the team's Clusters and Environments → (cluster, namespace,
 * environment). Clusters the application no longer targets lose what it put there.
 */
export async function targetsStage(
  deps: RemovalDeps,
  events: ApplicationEvents,
  app: { team: string; name: string; spec: ApplicationSpec },
  placement: Placement,
  records: readonly AppliedObject[],
): Promise<TargetsOutcome> {
  const resolution = resolveTargets(app.spec, placement.clusters, placement.environments);
  const targeted = new Set(resolution.targets.map((t) => t.cluster));
  const leaving = await removeEverywhere(deps, events, app.team, app.name, records, targeted);
  return {
    targets: resolution.targets,
    clusters: placement.clusters,
    problems: [...resolution.problems, ...leaving.problems],
  };
}

/** The targets stage's condition, when it decides Applied on its own: no cluster to apply to. */
export function noTargetsCondition(
  outcome: TargetsOutcome,
): Omit<ConditionUpdate, 'observedGeneration'> | undefined {
  if (outcome.targets.length > 0) return undefined;
  return {
    type: ApplicationCondition.Applied,
    status: 'False',
    reason: ApplicationReason.NoTargets,
    message: outcome.problems.length > 0 ? outcome.problems.join('; ') : 'the topology selects no cluster',
  };
}
