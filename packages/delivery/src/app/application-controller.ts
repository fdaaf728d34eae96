import {
  setCondition,
  type ConditionUpdate,
  type Controller,
  type EventRecorder,
  type LeadingTerm,
  type ObjectKey,
  type ReconcileContext,
  type ReconcileResult,
} from '@gantry/controllers';
import type { ClusterClients } from '@gantry/fleet';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import type { ApplicationStatus, Condition } from '@gantry/model';
import type { ChangeFeed, ResourceService } from '@gantry/resources';
import type { AppliedObjectRepository, ResourceRepository } from '@gantry/store';
import type { CelEngine } from '../cel-environment.ts';
import type { Composer } from '../compose/compose.ts';
import { definitionsUsed } from '../check/trait-check.ts';
import { ApiTimer } from './api-timer.ts';
import { ApplicationEventReason, ApplicationEvents, CONTROLLER_ACTOR } from './application-events.ts';
import { ClusterSessions } from './cluster-sessions.ts';
import { ProgressTracker } from './component-health.ts';
import { appliedCondition, deployStage, renderedCondition } from './deploy-stage.ts';
import { DriftDetector } from './drift.ts';
import { healthStage, healthyCondition } from './health-stage.ts';
import { placementOf, type Placement } from './placement-source.ts';
import { removeEverywhere } from './removal.ts';
import { RenderCache } from './render-cache.ts';
import { revisionStage } from './revision-stage.ts';
import type { ApplicationObject, RevisionManager } from './revisions.ts';
import { allApplied, applicationStatus, readyCondition, requeueAfter } from './status-stage.ts';
import { noTargetsCondition, targetsStage } from './targets-stage.ts';

export interface ApplicationControllerDeps {
  resources: ResourceService;
  repository: ResourceRepository;
  records: AppliedObjectRepository;
  revisions: RevisionManager;
  clients: Pick<ClusterClients, 'get'>;
  composer: Composer;
  engine: CelEngine;
  feed: Pick<ChangeFeed, 'subscribe'>;
  /** Where the controller's events go (revisions, applies, prunes, failures, health changes, deletions). */
  events: EventRecorder;
  /** Every object is sent again this often, to put back what someone changed by hand. Default 10 minutes. */
  driftResyncMs?: number;
  /** How soon an application that is not yet healthy is looked at again (watches also wake it). Default 5 s. */
  progressPollMs?: number;
  /** How long a workload may fail its health policy after a change before it reads Unhealthy rather than Progressing. Default 60 s. */
  progressGraceMs?: number;
  /** Told each reconcile's duration, split into waiting for API servers and everything else. */
  observeReconcile?: (seconds: { own: number; api: number }) => void;
  /**
   * Whether an application's drift may be restored now (policy Restore): its `spec.drift.windows` and the
   * team's windows that apply to every change, as the change engine reads them. Absent: at any time.
   */
  restoreWindow?: (team: string, windows: readonly string[], now: number) => Promise<RestoreVerdict>;
}

/** A restore may act now, or waits (`until` the next opening when known) for the reason `message`. */
export type RestoreVerdict = { open: true } | { open: false; message: string; until?: number };

const CALLER = { principal: SYSTEM_PRINCIPAL, source: CONTROLLER_ACTOR };
const FAILED_RETRY_MS = 10_000;

/**
 * Delivers applications in five stages, one file each: revision (record an ApplicationRevision for every
 * change), targets (topology → clusters; clusters left lose what was applied), deploy (render, apply with
 * server-side apply, prune, per target), health (the components × clusters matrix) and status (Ready, and
 * the status write). Each stage concludes typed outcomes and conditions with reason constants, and
 * records events for what it did. Deleting an application deletes what it applied.
 */
export function createApplicationController(deps: ApplicationControllerDeps): Controller {
  const lastFullApply = new Map<string, { revision: number; at: number }>();
  const driftResyncMs = deps.driftResyncMs ?? 600_000;
  const progressPollMs = deps.progressPollMs ?? 5000;
  const progress = new ProgressTracker(deps.progressGraceMs ?? 60_000);
  const delivered = new RenderCache();
  let enqueue: ((key: ObjectKey) => void) | undefined;
  const drift = new DriftDetector({ events: deps.events });
  const sessions = new ClusterSessions(
    deps.clients,
    (key) => enqueue?.(key),
    (team, cluster, raw, deleted) => drift.observe(team, cluster, raw, deleted),
  );
  /** The last wait a restore was told, per application, so that it is recorded once. */
  const restoreWaits = new Map<string, string>();
  /** Labels of each cluster as last seen on the feed, to tell label changes from status updates. */
  const clusterLabels = new Map<string, string>();

  /**
   * Each team's clusters (names, labels) and environments while this server leads, read once and dropped
   * whenever the feed reports one appearing, going, or changing labels or spec: topology is resolved on
   * every reconcile, and cluster status changes (most writes to Clusters) do not move it.
   */
  const placements = new Map<string, Promise<Placement>>();
  function placement(team: string): Promise<Placement> {
    let found = placements.get(team);
    if (!found) {
      const reading = placementOf(deps.repository, team);
      placements.set(team, reading);
      reading.catch(() => placements.get(team) === reading && placements.delete(team));
      found = reading;
    }
    return found;
  }

  /** The application is gone: delete what it applied, then its revisions. */
  async function cleanUp(key: ObjectKey): Promise<ReconcileResult> {
    const events = new ApplicationEvents(deps.events, key.team, key.name);
    const records = await deps.records.list(key.team, key.name);
    const removal = await removeEverywhere({ ...deps, sessions }, events, key.team, key.name, records);
    lastFullApply.delete(`${key.team}/${key.name}`);
    delivered.forgetApplication(key.team, key.name);
    if (removal.problems.length > 0)
      throw new Error(`removing application ${key.team}/${key.name}: ${removal.problems.join(' | ')}`);
    const revisions = await deps.revisions.deleteAll(key.team, key.name);
    if (records.length > 0 || revisions > 0)
      events.normal(
        ApplicationEventReason.ApplicationDeleted,
        `deleted ${removal.removed} object(s) it applied and ${revisions} revision(s)`,
      );
    return {};
  }

  async function reconcile(ctx: ReconcileContext, key: ObjectKey): Promise<ReconcileResult> {
    const started = performance.now();
    const timer = new ApiTimer();
    try {
      const app = (await deps.repository.get({ kind: 'Application', team: key.team, name: key.name })) as
        ApplicationObject | undefined;
      return app ? await reconcileStages(ctx, key, app, timer) : await cleanUp(key);
    } finally {
      const totalMs = performance.now() - started;
      deps.observeReconcile?.({ own: Math.max(0, totalMs - timer.busyMs) / 1000, api: timer.busyMs / 1000 });
    }
  }

  async function reconcileStages(
    ctx: ReconcileContext,
    { team, name }: ObjectKey,
    app: ApplicationObject,
    timer: ApiTimer,
  ): Promise<ReconcileResult> {
    const now = ctx.now();
    const generation = app.metadata.generation;
    const events = new ApplicationEvents(deps.events, team, name);
    let conditions: Condition[] = app.status?.conditions ?? [];
    const set = (update: Omit<ConditionUpdate, 'observedGeneration'>) =>
      (conditions = setCondition(conditions, { ...update, observedGeneration: generation }, now));

    const revision = await revisionStage(deps.revisions, app, events);
    const spec = revision.revision.spec.applicationSpec;
    const records = await deps.records.list(team, name);
    const targets = await targetsStage(
      { ...deps, sessions },
      events,
      { team, name, spec },
      await placement(team),
      records,
    );

    // Everything is sent again once after this server starts leading and then every driftResyncMs; in
    // between, a new revision sends only the objects whose content changed.
    const appKey = `${team}/${name}`;
    const previous = lastFullApply.get(appKey);
    const restore = await restoreStage(team, name, app, now);
    const resync = !previous || now - previous.at > driftResyncMs || restore.now;
    const outcomes = await deployStage(
      { ...deps, sessions, progress, delivered, timer, now: ctx.now, drift },
      events,
      { team, app: name, revision: revision.revision, targets, records, resync },
    );
    if (ctx.signal.aborted) return {};
    const number = revision.revision.spec.revision;
    set(renderedCondition(outcomes, number));
    set(noTargetsCondition(targets) ?? appliedCondition(outcomes, number, targets.problems));

    const health = healthStage(spec, outcomes, app.status?.health, events);
    set(healthyCondition(health));

    set(readyCondition(conditions, number));
    if (allApplied(outcomes) && resync) {
      lastFullApply.set(appKey, { revision: number, at: now });
      // Everything was applied again: what had drifted is Gantry's again.
      drift.settled(team, name, restore.now ? 'policy' : 'resync');
      if (restore.now) restoreWaits.delete(appKey);
    }
    const status = applicationStatus({
      generation,
      conditions,
      revision,
      previousRevision: app.status?.revision,
      outcomes,
      health,
    });
    await deps.resources.replaceStatus(CALLER, 'Application', team, name, { metadata: { name }, status });
    const requeue = requeueAfter(outcomes, health, {
      failedRetryMs: FAILED_RETRY_MS,
      progressPollMs,
      driftResyncMs,
    });
    const waitMs = restore.until !== undefined ? Math.max(1000, restore.until - now) : undefined;
    return {
      requeueAfterMs: waitMs !== undefined ? Math.min(waitMs, requeue) : requeue,
    };
  }

  /**
   * Change detection's part of a reconcile (ADR 0031): with policy Restore and drifted objects, whether
   * to apply everything again now — inside the application's windows — or when to look again.
   */
  async function restoreStage(
    team: string,
    name: string,
    app: ApplicationObject,
    now: number,
  ): Promise<{ now: boolean; until?: number }> {
    const policy = app.spec.drift?.policy ?? 'Report';
    const pending = drift.pending(team, name);
    if (policy !== 'Restore' || pending.length === 0) return { now: false };
    const verdict = deps.restoreWindow
      ? await deps.restoreWindow(team, app.spec.drift?.windows ?? [], now)
      : ({ open: true } as const);
    if (verdict.open) return { now: true };
    const appKey = `${team}/${name}`;
    if (restoreWaits.get(appKey) !== verdict.message) {
      restoreWaits.set(appKey, verdict.message);
      new ApplicationEvents(deps.events, team, name).normal(
        ApplicationEventReason.DriftRestoreWaiting,
        `restoring ${pending.length} drifted object(s) waits: ${verdict.message}`,
      );
    }
    return verdict.until !== undefined ? { now: false, until: verdict.until } : { now: false };
  }

  /** Applications of `team` (all teams when undefined) that a change to a cluster, environment or definition may concern. */
  async function enqueueApplications(
    team: string | undefined,
    uses?: (spec: ApplicationObject['spec']) => boolean,
  ): Promise<void> {
    const page = await deps.repository.list({
      kind: 'Application',
      ...(team !== undefined ? { teams: [team] } : {}),
      limit: 100_000,
    });
    for (const item of page.items) {
      if (uses && !uses((JSON.parse(item.json) as ApplicationObject).spec)) continue;
      enqueue?.({ team: item.team, name: item.name });
    }
  }

  return {
    name: 'application',
    kind: 'Application',
    concurrency: 8,
    reconcile,
    // Its own status writes (the generation already observed) need no second look.
    ignore: ({ type, object }) =>
      type === 'MODIFIED' &&
      (object.status as ApplicationStatus | undefined)?.observedGeneration === object.metadata.generation,
    onLeading(term: LeadingTerm) {
      enqueue = term.enqueue;
      const unsubscribe = deps.feed.subscribe((change) => {
        const log = (error: unknown) =>
          term.logger.warn({ err: error }, 'finding applications to reconcile failed');
        if (change.kind === 'Cluster') {
          // Cluster status changes all the time; only a cluster appearing, going or changing labels moves targets.
          const id = `${change.team}/${change.name}`;
          const labels =
            change.type === 'DELETED' ? undefined : JSON.stringify(change.object.metadata.labels ?? {});
          if (clusterLabels.has(id) && clusterLabels.get(id) === labels) return;
          if (labels === undefined) clusterLabels.delete(id);
          else clusterLabels.set(id, labels);
          placements.delete(change.team);
          void enqueueApplications(change.team).catch(log);
        } else if (change.kind === 'Environment') {
          placements.delete(change.team);
          void enqueueApplications(change.team).catch(log);
        } else if (change.kind === 'ComponentDefinition')
          void enqueueApplications(undefined, (spec) =>
            definitionsUsed(spec).components.has(change.name),
          ).catch(log);
        else if (change.kind === 'TraitDefinition')
          void enqueueApplications(undefined, (spec) => definitionsUsed(spec).traits.has(change.name)).catch(
            log,
          );
      });
      // Applications deleted while no server led this controller still own objects: clean them up.
      void deps.records
        .applications()
        .then((apps) => apps.forEach(({ team, app }) => term.enqueue({ team, name: app })))
        .catch((error: unknown) => term.logger.warn({ err: error }, 'listing applied objects failed'));
      term.signal.addEventListener(
        'abort',
        () => {
          unsubscribe();
          sessions.stopAll();
          lastFullApply.clear();
          clusterLabels.clear();
          placements.clear();
          delivered.clear();
          drift.clear();
          restoreWaits.clear();
          enqueue = undefined;
        },
        { once: true },
      );
    },
  };
}
