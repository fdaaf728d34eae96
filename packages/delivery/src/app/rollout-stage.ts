import type { ConditionUpdate } from '@gantry/controllers';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import {
  ConflictError,
  ErrorCodes,
  isGantryError,
  type ChangeSpec,
  type ClusterRevisionPins,
} from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { ResourceRepository, WriteFence } from '@gantry/store';
import { ApplicationCondition, ApplicationReason } from './application-conditions.ts';
import { ApplicationEventReason, CONTROLLER_ACTOR, type ApplicationEvents } from './application-events.ts';
import { pinnedRevision, readPins, rolloutChangeName, withPins } from './cluster-pins.ts';
import { APP_LABEL, type ApplicationObject, type RevisionManager, type RevisionObject } from './revisions.ts';

const CALLER = { principal: SYSTEM_PRINCIPAL, source: CONTROLLER_ACTOR };

export interface RolloutStageDeps {
  resources: Pick<ResourceService, 'replace' | 'create'>;
  revisions: Pick<RevisionManager, 'list'>;
  repository: Pick<ResourceRepository, 'list'>;
}

const ENDED = new Set(['Succeeded', 'Aborted', 'Failed', 'RolledBack']);
/** Phases in which a joining cluster follows the change's revision (ADR 0039), once its first wave completed. */
const FOLLOWED = new Set(['Progressing', 'Observing', 'Waiting', 'Paused', 'Succeeded']);

type ChangeObject = {
  metadata: { name: string };
  spec: ChangeSpec;
  status?: {
    phase?: string;
    completedAt?: string;
    batches?: { phase: string; entities: string[] }[];
  };
};

/** A Change that moves this application's clusters: its phase, the clusters it holds, where it moves them. */
interface MovingChange {
  name: string;
  phase: string;
  ended: boolean;
  completedAt: string;
  /** The clusters among its entities (`cluster/app`). */
  clusters: Set<string>;
  firstWaveDone: boolean;
  /** applicationRevision: its revision; definitionUpgrade: the one it recorded for the application, if any yet. */
  revision: number | undefined;
}

/**
 * The Changes of the team that move this application (ADR 0036, 0039): its applicationRevision changes,
 * and the definitionUpgrade changes whose entities include it (known once they started).
 */
async function movingChanges(
  deps: RolloutStageDeps,
  app: ApplicationObject,
  recorded?: ReadonlyMap<number, RevisionObject>,
): Promise<MovingChange[]> {
  const page = await deps.repository.list({
    kind: 'Change',
    teams: [app.metadata.team ?? ''],
    limit: 100_000,
  });
  const suffix = `/${app.metadata.name}`;
  const out: MovingChange[] = [];
  for (const item of page.items) {
    const change = JSON.parse(item.json) as ChangeObject;
    const mine = (change.status?.batches ?? [])
      .flatMap((batch) => batch.entities)
      .filter((entity) => entity.endsWith(suffix));
    const byRevision = change.spec.applicationRevision?.application === app.metadata.name;
    if (!byRevision && !(change.spec.definitionUpgrade && mine.length > 0)) continue;
    const phase = change.status?.phase ?? 'Pending';
    const revision = byRevision
      ? change.spec.applicationRevision!.revision
      : [...(recorded?.values() ?? [])].find((r) => r.spec.upgrade?.change === change.metadata.name)?.spec
          .revision;
    out.push({
      name: change.metadata.name,
      phase,
      ended: ENDED.has(phase),
      completedAt: change.status?.completedAt ?? '',
      clusters: new Set(mine.map((entity) => entity.slice(0, entity.length - suffix.length))),
      firstWaveDone: change.status?.batches?.[0]?.phase === 'Completed',
      revision,
    });
  }
  return out;
}

/** A Change that moves this application's clusters and has not ended (its undo needs the pins' history). */
async function changeRunning(deps: RolloutStageDeps, app: ApplicationObject): Promise<string | undefined> {
  return (await movingChanges(deps, app)).find((change) => !change.ended)?.name;
}

/**
 * Where a cluster that joined the application's targets while a Change moves it goes (ADR 0039): the
 * revision of the running Change (or, once it succeeded, of the last one) when its first wave has
 * completed — the revision has proven itself on a wave, and the joiner runs nothing yet — else nowhere
 * special (`base`). A rollback, a failure or an abort sends it back to `base` with the rest.
 */
function joinerFrontier(changes: readonly MovingChange[]): MovingChange | undefined {
  const running = changes.find((change) => !change.ended);
  const candidate =
    running ??
    changes
      .filter((change) => change.phase === 'Succeeded')
      .sort((a, b) => b.completedAt.localeCompare(a.completedAt))[0];
  if (!candidate || !FOLLOWED.has(candidate.phase) || !candidate.firstWaveDone) return undefined;
  return candidate.revision === undefined ? undefined : candidate;
}

/** Which revision each target gets in this reconcile (ADR 0036). */
export interface RevisionPlan {
  revisionFor(cluster: string): RevisionObject;
  /** Pins in force (after dropping stale ones). */
  pins: ClusterRevisionPins | undefined;
  /** Some target may get another revision than the newest: a rollout (or a Change) holds the fleet. */
  held: boolean;
  /** Revisions pinned but no longer recorded (pruned): those targets get the newest. */
  problems: string[];
}

/**
 * Stage 1b, rollout: the revision each target cluster gets. With no pins and no rollout policy, the
 * newest everywhere (as before). With a rollout policy and a fleet that runs an older revision, that
 * older revision everywhere until the rollout's Change moves clusters one by one by pinning them
 * (`app.gantry.dev/cluster-revisions`). Pins left without a rollout policy (a Change that rolled the
 * application to another revision) hold until a newer revision is recorded, which takes over at once.
 */
export async function revisionPlanStage(
  deps: RolloutStageDeps,
  app: ApplicationObject,
  latest: RevisionObject,
  fence: WriteFence | undefined,
): Promise<RevisionPlan> {
  const newest = latest.spec.revision;
  let pins = readPins(app);
  if (pins && !app.spec.rollout && newest > pins.latest) {
    await writePins(deps, app, undefined, fence);
    pins = undefined;
  }
  const deployed = app.status?.revision;
  const holdAt =
    !pins && app.spec.rollout && deployed !== undefined && deployed !== newest ? deployed : undefined;
  const held = pins !== undefined || holdAt !== undefined;
  if (!held) return { revisionFor: () => latest, pins, held, problems: [] };
  const recorded = new Map(
    (await deps.revisions.list(app.metadata.team ?? '', app.metadata.name)).map((r) => [r.spec.revision, r]),
  );
  recorded.set(newest, latest);
  // A cluster no pin and no Change names joined the targets meanwhile: it follows the Change (ADR 0039).
  const frontier = pins ? joinerFrontier(await movingChanges(deps, app, recorded)) : undefined;
  const wanted = (cluster: string) => {
    if (!pins) return holdAt ?? newest;
    if (frontier && pins.clusters[cluster] === undefined && !frontier.clusters.has(cluster))
      return frontier.revision!;
    return pinnedRevision(pins, cluster);
  };
  const problems = new Set<string>();
  return {
    revisionFor(cluster) {
      const number = wanted(cluster);
      const found = recorded.get(number);
      if (found) return found;
      problems.add(`revision ${number} pinned for ${cluster} is no longer recorded; applying ${newest}`);
      return latest;
    },
    pins,
    held,
    get problems() {
      return [...problems];
    },
  };
}

/**
 * After the deploy: the Change that rolls the newest revision out (rollout policy, the fleet behind), made
 * once per revision; and the pins dropped once every target runs the newest revision (they hold nothing).
 * Answers the Applied condition that replaces the deploy's while the fleet is held, and whether to drop the pins.
 */
export async function rolloutStage(
  deps: RolloutStageDeps,
  events: ApplicationEvents,
  app: ApplicationObject,
  latest: RevisionObject,
  plan: RevisionPlan,
  applied: { clusters: string[]; allApplied: boolean },
  fence: WriteFence | undefined,
): Promise<RolloutOutcome> {
  const newest = latest.spec.revision;
  const at = applied.clusters.map((cluster) => ({
    cluster,
    revision: plan.revisionFor(cluster).spec.revision,
  }));
  const behind = at.filter((target) => target.revision !== newest);
  if (plan.pins && behind.length === 0 && applied.allApplied) {
    // The pins hold nothing now, but a running Change may still undo: they go once it has ended.
    const running = await changeRunning(deps, app);
    return running ? { dropPins: false, recheck: true } : { dropPins: true };
  }
  if (!plan.held) return { dropPins: false };
  let change = '';
  // A definition upgrade's revision moves by its own Change, never by the rollout policy (ADR 0039).
  if (app.spec.rollout && behind.length > 0 && !latest.spec.upgrade) {
    const made = await ensureRolloutChange(deps, events, app, newest, applied.clusters, fence);
    if (!made.ok)
      return {
        dropPins: false,
        condition: {
          type: ApplicationCondition.Applied,
          status: 'False',
          reason: ApplicationReason.RolloutRefused,
          message: `the rollout of revision ${newest} was refused: ${made.message}`,
        },
      };
    change = ` (change ${made.name})`;
  }
  if (behind.length === 0) return { dropPins: false };
  const condition: Omit<ConditionUpdate, 'observedGeneration'> = {
    type: ApplicationCondition.Applied,
    status: 'False',
    reason: ApplicationReason.RevisionsPinned,
    message: `${at.length - behind.length} of ${at.length} cluster(s) at revision ${newest}${change}; held: ${behind
      .slice(0, 10)
      .map((target) => `${target.cluster}@${target.revision}`)
      .join(', ')}${behind.length > 10 ? ', ...' : ''}`,
  };
  return { dropPins: false, condition };
}

export interface RolloutOutcome {
  /** Every target runs the newest revision: the pins hold nothing and go (after the status is written). */
  dropPins: boolean;
  /** Look again soon: the pins wait for a Change to end. */
  recheck?: boolean;
  /** Replaces the deploy's Applied while the fleet is held or the rollout was refused. */
  condition?: Omit<ConditionUpdate, 'observedGeneration'>;
}

/** Removes the application's pins (they hold nothing any more). */
export function dropPins(
  deps: RolloutStageDeps,
  app: ApplicationObject,
  fence: WriteFence | undefined,
): Promise<void> {
  return writePins(deps, app, undefined, fence);
}

/** The rollout Change of a revision: created from the policy when absent; an existing one (any phase) is left. */
async function ensureRolloutChange(
  deps: RolloutStageDeps,
  events: ApplicationEvents,
  app: ApplicationObject,
  revision: number,
  clusters: readonly string[],
  fence: WriteFence | undefined,
): Promise<{ ok: true; name: string } | { ok: false; message: string }> {
  const policy = app.spec.rollout!;
  const name = rolloutChangeName(app.metadata.name, revision);
  const spec: ChangeSpec = {
    description: `rollout of application ${app.metadata.name} revision ${revision} (its rollout policy)`,
    applicationRevision: {
      application: app.metadata.name,
      revision,
      progressDeadlineSeconds: policy.progressDeadlineSeconds,
      onlyIfLatest: true,
      ...(policy.partitionStep !== undefined ? { partitionStep: policy.partitionStep } : {}),
    },
    targets: { names: [...clusters].sort() },
    plan: policy.plan,
    gates: policy.gates,
    failurePolicy: policy.onFailure,
    windows: policy.windows,
  };
  try {
    await deps.resources.create(
      CALLER,
      'Change',
      app.metadata.team,
      {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Change',
        metadata: { name, team: app.metadata.team, labels: { [APP_LABEL]: app.metadata.name } },
        spec,
      },
      fence ? { fence } : {},
    );
    events.normal(
      ApplicationEventReason.RolloutStarted,
      `revision ${revision} rolls out to ${clusters.length} cluster(s) by change ${name}`,
    );
    return { ok: true, name };
  } catch (error) {
    if (isGantryError(error) && error.code === ErrorCodes.alreadyExists) return { ok: true, name };
    if (isGantryError(error) && error.status >= 400 && error.status < 500) {
      const message = `${error.message}${error.details.length > 0 ? `: ${error.details.map((d) => `${d.path} ${d.message}`).join('; ')}` : ''}`;
      events.warning(ApplicationEventReason.RolloutRefused, message);
      return { ok: false, message };
    }
    throw error;
  }
}

/** Writes (or removes) the pins annotation; a conflict is left to the next reconcile, which the write wakes. */
async function writePins(
  deps: RolloutStageDeps,
  app: ApplicationObject,
  pins: ClusterRevisionPins | undefined,
  fence: WriteFence | undefined,
): Promise<void> {
  try {
    await deps.resources.replace(
      CALLER,
      'Application',
      app.metadata.team,
      app.metadata.name,
      {
        apiVersion: app.apiVersion,
        kind: app.kind,
        metadata: {
          name: app.metadata.name,
          team: app.metadata.team,
          resourceVersion: app.metadata.resourceVersion,
          ...(app.metadata.labels ? { labels: app.metadata.labels } : {}),
          annotations: withPins(app.metadata.annotations, pins),
        },
        spec: app.spec,
      },
      fence ? { fence } : {},
    );
  } catch (error) {
    if (error instanceof ConflictError || (isGantryError(error) && error.code === ErrorCodes.conflict))
      return;
    throw error;
  }
}
