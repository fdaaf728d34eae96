import type { ConditionUpdate } from '@gantry/controllers';
import type { ApplicationSpec } from '@gantry/model';
import type { AppliedObject } from '@gantry/store';
import type { AppliedRecords } from './term-records.ts';
import type { CelEngine } from '../cel-environment.ts';
import type { Composer } from '../compose/compose.ts';
import { ClusterApplier } from '../kube/applier.ts';
import { componentsForTarget, type Target } from '../targets.ts';
import type { ApiTimer } from './api-timer.ts';
import { ApplicationCondition, ApplicationReason } from './application-conditions.ts';
import { ApplicationEventReason, type ApplicationEvents } from './application-events.ts';
import type { ClusterSession, ClusterSessions } from './cluster-sessions.ts';
import type { ProgressTracker } from './component-health.ts';
import { fromSnapshot } from './definitions.ts';
import { deployTarget } from './deploy.ts';
import { TrackingApplier, type DriftDetector } from './drift.ts';
import type { RenderCache } from './render-cache.ts';
import type { RevisionObject } from './revisions.ts';
import { isFailure, TargetReason, targetOutcome, type TargetOutcome } from './target-outcome.ts';
import type { TargetsOutcome } from './targets-stage.ts';

export interface DeployStageDeps {
  composer: Composer;
  engine: CelEngine;
  records: AppliedRecords;
  sessions: ClusterSessions;
  progress: ProgressTracker;
  delivered: RenderCache;
  /** Times every API request of this reconcile. */
  timer: ApiTimer;
  now(): number;
  /** Told what Gantry owns after each apply, to tell others' edits (drift) from Gantry's own. */
  drift?: DriftDetector;
}

export interface DeployStageInput {
  team: string;
  app: string;
  revision: RevisionObject;
  /** The revision each target gets, when not `revision` everywhere (a rollout holds some; ADR 0036). */
  revisionFor?: (cluster: string) => RevisionObject;
  targets: TargetsOutcome;
  /** Everything recorded for the application, on every cluster. */
  records: readonly AppliedObject[];
  /** Send every object again (drift resync). */
  resync: boolean;
}

/**
 * Stage 3, deploy: the revision to every target at once (see deployTarget). A cluster that cannot be
 * reached fails its own target only.
 */
export async function deployStage(
  deps: DeployStageDeps,
  events: ApplicationEvents,
  input: DeployStageInput,
): Promise<TargetOutcome[]> {
  const revisionFor = input.revisionFor ?? (() => input.revision);
  const definitionsOf = new Map<number, ReturnType<typeof fromSnapshot>>();
  const outcomes = await Promise.all(
    input.targets.targets.map(async (target): Promise<TargetOutcome> => {
      const revision = revisionFor(target.cluster);
      const spec = revision.spec.applicationSpec;
      let definitions = definitionsOf.get(revision.spec.revision);
      if (!definitions) {
        definitions = fromSnapshot(revision.spec.definitions);
        definitionsOf.set(revision.spec.revision, definitions);
      }
      const prune = pruneOptions(spec);
      let session: ClusterSession;
      try {
        session = await deps.sessions.get(input.team, target.cluster);
      } catch (error) {
        return targetOutcome(TargetReason.ClusterUnreachable, target, (error as Error).message, []);
      }
      const info = input.targets.clusters.find((c) => c.name === target.cluster);
      return deployTarget(
        {
          team: input.team,
          app: input.app,
          revision: revision.spec.revision,
          revisionHash: revision.spec.hash,
          target,
          components: componentsForTarget(spec, target, info),
          definitions,
          prune,
          resync: input.resync,
          recorded: input.records.filter((r) => r.cluster === target.cluster),
        },
        {
          composer: deps.composer,
          engine: deps.engine,
          applier: deps.drift
            ? new TrackingApplier(
                deps.timer.wrap(session.client),
                { discovery: session.discovery },
                {
                  detector: deps.drift,
                  team: input.team,
                  cluster: target.cluster,
                  watched: (kind) => session.watcher.watches(kind),
                },
              )
            : new ClusterApplier(deps.timer.wrap(session.client), { discovery: session.discovery }),
          records: deps.records,
          live: (ref) => session.watcher.get(ref),
          watch: (kind) => session.watcher.watch(kind),
          progress: deps.progress,
          delivered: deps.delivered,
          namespaces: session.namespaces,
          now: deps.now,
        },
      );
    }),
  );
  for (const outcome of outcomes)
    recordDeployEvents(events, revisionFor(outcome.target.cluster).spec.revision, outcome);
  return outcomes;
}

function pruneOptions(spec: ApplicationSpec) {
  return {
    enabled: spec.prune?.enabled ?? true,
    persistentVolumeClaims: spec.prune?.persistentVolumeClaims ?? false,
    adoptUnowned: spec.prune?.adoptUnowned ?? false,
  };
}

/** What a target's pass did, as events on its cluster: only what was sent, deleted or went wrong. */
function recordDeployEvents(events: ApplicationEvents, revision: number, outcome: TargetOutcome): void {
  const { cluster } = outcome.target;
  if (outcome.sent > 0)
    events.normal(
      ApplicationEventReason.ObjectsApplied,
      `applied ${outcome.sent} object(s) of revision ${revision} to namespace ${outcome.target.namespace}`,
      cluster,
    );
  if (outcome.pruned > 0)
    events.normal(
      ApplicationEventReason.ObjectsPruned,
      `deleted ${outcome.pruned} object(s) revision ${revision} no longer renders`,
      cluster,
    );
  const message = outcome.message ?? outcome.reason;
  switch (outcome.reason) {
    case TargetReason.RenderFailed:
      return events.warning(ApplicationEventReason.RenderFailed, message, cluster);
    case TargetReason.ApplyFailed:
    case TargetReason.NamespaceTerminating:
      return events.warning(ApplicationEventReason.ApplyFailed, message, cluster);
    case TargetReason.ClusterUnreachable:
      return events.warning(ApplicationEventReason.ClusterUnreachable, message, cluster);
    case TargetReason.Applied:
    case TargetReason.WaitingForDependencies:
      return;
  }
}

type StageCondition = Omit<ConditionUpdate, 'observedGeneration'>;

const perTarget = (outcomes: readonly TargetOutcome[]) =>
  outcomes.map((o) => `${o.target.cluster}: ${o.message}`).join(' | ');

/** Rendered: False with every target whose render failed, else True. */
export function renderedCondition(outcomes: readonly TargetOutcome[], revision: number): StageCondition {
  const failed = outcomes.filter((o) => o.reason === TargetReason.RenderFailed);
  if (failed.length > 0)
    return {
      type: ApplicationCondition.Rendered,
      status: 'False',
      reason: ApplicationReason.RenderFailed,
      message: perTarget(failed),
    };
  return {
    type: ApplicationCondition.Rendered,
    status: 'True',
    reason: ApplicationReason.Rendered,
    message: `revision ${revision} renders on ${outcomes.length} target(s)`,
  };
}

/**
 * Applied over one or more targets: False while any failed (ClusterUnreachable when one of them could not
 * be reached, else ApplyFailed) or waits for dependencies; True once every target applied.
 */
export function appliedCondition(
  outcomes: readonly TargetOutcome[],
  revision: number,
  problems: readonly string[],
): StageCondition {
  const failed = outcomes.filter(isFailure);
  if (failed.length > 0)
    return {
      type: ApplicationCondition.Applied,
      status: 'False',
      reason: failed.some((o) => o.reason === TargetReason.ClusterUnreachable)
        ? ApplicationReason.ClusterUnreachable
        : ApplicationReason.ApplyFailed,
      message: perTarget(failed),
    };
  const waiting = outcomes.filter((o) => o.reason === TargetReason.WaitingForDependencies);
  if (waiting.length > 0)
    return {
      type: ApplicationCondition.Applied,
      status: 'False',
      reason: ApplicationReason.WaitingForDependencies,
      message: perTarget(waiting),
    };
  const clusters = outcomes.map((o: { target: Target }) => o.target.cluster).join(', ');
  return {
    type: ApplicationCondition.Applied,
    status: 'True',
    reason: ApplicationReason.Applied,
    message: `revision ${revision} applied to ${clusters}${problems.length > 0 ? ` (${problems.join('; ')})` : ''}`,
  };
}
