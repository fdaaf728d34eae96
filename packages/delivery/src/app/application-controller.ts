import {
  setCondition,
  termEventRecorder,
  type ConditionUpdate,
  type Controller,
  type EventRecorder,
  type LeadingTerm,
  type ObjectKey,
  type ReconcileContext,
  type ReconcileResult,
  type TermScope,
} from '@gantry/controllers';
import type { ClusterClients } from '@gantry/fleet';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import type { ApplicationStatus, Condition, FleetChangeGate } from '@gantry/model';
import { ApplicationCondition, ApplicationReason } from './application-conditions.ts';
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
import { dropPins, revisionPlanStage, rolloutStage } from './rollout-stage.ts';
import { RevisionCache, type ApplicationObject, type RevisionManager } from './revisions.ts';
import { allApplied, applicationStatus, readyCondition, requeueAfter } from './status-stage.ts';
import { noTargetsCondition, targetsStage } from './targets-stage.ts';
import { termRecords, type AppliedRecords } from './term-records.ts';

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
  /**
   * The fleet gate (ADR 0033): a new revision is not deployed while it is closed for `applications` (a
   * stopped line, a ChangeWindow that lists them); the application waits with `Applied` False, reason
   * `WindowClosed` or `LineStopped`, and is looked at again when it opens. Absent: always open.
   */
  fleetGate?: FleetChangeGate;
}

/** How soon an application held by a stopped line looks again (a person releases it; no time is known). */
export const LINE_STOP_RECHECK_MS = 30_000;

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
  const driftResyncMs = deps.driftResyncMs ?? 600_000;
  const progressPollMs = deps.progressPollMs ?? 5000;
  const progressGraceMs = deps.progressGraceMs ?? 60_000;

  /** Everything the controller keeps, in the term's scope: made on first use, dropped when the term ends. */
  class ApplicationTerm {
    /** When each application was last sent whole, to put back drift every driftResyncMs. */
    readonly lastFullApply = new Map<string, { revision: number; at: number }>();
    readonly progress = new ProgressTracker(progressGraceMs);
    readonly delivered = new RenderCache();
    readonly revisions = new RevisionCache();
    /** Labels of each cluster as last seen on the feed, to tell label changes from status updates. */
    readonly clusterLabels = new Map<string, string>();
    /**
     * Each team's clusters (names, labels) and environments, read once and dropped whenever the feed
     * reports one appearing, going, or changing labels or spec: topology is resolved on every reconcile,
     * and cluster status changes (most writes to Clusters) do not move it.
     */
    readonly placements = new Map<string, Promise<Placement>>();
    readonly records: AppliedRecords;
    readonly sessions: ClusterSessions;
    /** What Gantry applied and owns, to tell others' edits from defaults (change detection, ADR 0031). */
    readonly drift: DriftDetector;
    /** The recorder of the term: its events carry the fence, refused once the term is over (ADR 0028). */
    readonly events: EventRecorder;
    /** The last hold of a new revision by the fleet gate, per application, so that it is recorded once. */
    readonly deployWaits = new Map<string, string>();
    /** The last wait a restore was told, per application, so that it is recorded once. */
    readonly restoreWaits = new Map<string, string>();
    enqueue: ((key: ObjectKey) => void) | undefined;

    constructor(readonly scope: TermScope) {
      this.events = termEventRecorder(deps.events, scope);
      this.drift = new DriftDetector({ events: this.events });
      this.records = termRecords(deps.records, scope.fence);
      this.sessions = new ClusterSessions(
        deps.clients,
        (key) => this.enqueue?.(key),
        (team, cluster, raw, deleted) => this.drift.observe(team, cluster, raw, deleted),
      );
      scope.onEnd(() => {
        this.sessions.stopAll();
        this.enqueue = undefined;
      });
    }

    placement(team: string): Promise<Placement> {
      let found = this.placements.get(team);
      if (!found) {
        const reading = placementOf(deps.repository, team);
        this.placements.set(team, reading);
        reading.catch(() => this.placements.get(team) === reading && this.placements.delete(team));
        found = reading;
      }
      return found;
    }
  }
  const termOf = (scope: TermScope) => scope.cache('application', () => new ApplicationTerm(scope));

  /** The application is gone: delete what it applied, then its revisions. */
  async function cleanUp(term: ApplicationTerm, key: ObjectKey): Promise<ReconcileResult> {
    const events = new ApplicationEvents(term.events, key.team, key.name);
    const records = await deps.records.list(key.team, key.name);
    if (records.length > 0) await term.scope.confirm();
    const removal = await removeEverywhere(
      { ...deps, records: term.records, sessions: term.sessions },
      events,
      key.team,
      key.name,
      records,
    );
    term.lastFullApply.delete(`${key.team}/${key.name}`);
    term.delivered.forgetApplication(key.team, key.name);
    if (removal.problems.length > 0)
      throw new Error(`removing application ${key.team}/${key.name}: ${removal.problems.join(' | ')}`);
    const revisions = await deps.revisions.deleteAll(key.team, key.name, term.revisions, term.scope.fence);
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
      const term = termOf(ctx.term);
      return app ? await reconcileStages(ctx, term, key, app, timer) : await cleanUp(term, key);
    } finally {
      const totalMs = performance.now() - started;
      deps.observeReconcile?.({ own: Math.max(0, totalMs - timer.busyMs) / 1000, api: timer.busyMs / 1000 });
    }
  }

  async function reconcileStages(
    ctx: ReconcileContext,
    term: ApplicationTerm,
    { team, name }: ObjectKey,
    app: ApplicationObject,
    timer: ApiTimer,
  ): Promise<ReconcileResult> {
    const now = ctx.now();
    const generation = app.metadata.generation;
    const events = new ApplicationEvents(term.events, team, name);
    let conditions: Condition[] = app.status?.conditions ?? [];
    const set = (update: Omit<ConditionUpdate, 'observedGeneration'>) =>
      (conditions = setCondition(conditions, { ...update, observedGeneration: generation }, now));

    const revision = await revisionStage(deps.revisions, app, events, {
      cache: term.revisions,
      fence: ctx.term.fence,
    });
    const plan = await revisionPlanStage(deps, app, revision.revision, ctx.term.fence);
    // A rollout's Change honours its windows before it pins a cluster (ADR 0036): the gate is for plain applies.
    const held = plan.held
      ? undefined
      : await deployGateStage(term, team, name, app, revision.revision.spec.revision, now);
    if (held) {
      set(held.condition);
      await deps.resources.replaceStatus(
        CALLER,
        'Application',
        team,
        name,
        {
          metadata: { name },
          status: {
            ...app.status,
            observedGeneration: generation,
            conditions,
            latestRevision: revision.latest,
          } as ApplicationStatus,
        },
        ctx.term.fence ? { fence: ctx.term.fence } : {},
      );
      return { requeueAfterMs: held.requeueAfterMs };
    }
    const spec = revision.revision.spec.applicationSpec;
    const records = await deps.records.list(team, name);
    const { sessions, progress, delivered, lastFullApply, drift } = term;
    // The store fences what the controller records; what it does to clusters (removing from clusters no
    // longer targeted, applying) it cannot: confirm the term first, so a deposed leader stops here (ADR 0028).
    await ctx.term.confirm();
    const targets = await targetsStage(
      { ...deps, records: term.records, sessions },
      events,
      { team, name, spec },
      await term.placement(team),
      records,
    );

    // Everything is sent again once after this server starts leading and then every driftResyncMs; in
    // between, a new revision sends only the objects whose content changed.
    const appKey = `${team}/${name}`;
    const previous = lastFullApply.get(appKey);
    const restore = await restoreStage(term, team, name, app, now);
    const resync = !previous || now - previous.at > driftResyncMs || restore.now;
    const outcomes = await deployStage(
      { ...deps, records: term.records, sessions, progress, delivered, timer, now: ctx.now, drift },
      events,
      {
        team,
        app: name,
        revision: revision.revision,
        revisionFor: plan.revisionFor,
        targets,
        records,
        resync,
      },
    );
    if (ctx.signal.aborted) return {};
    const number = revision.revision.spec.revision;
    set(renderedCondition(outcomes, number));
    const problems = [...targets.problems, ...plan.problems];
    set(noTargetsCondition(targets) ?? appliedCondition(outcomes, number, problems));
    const rollout = await rolloutStage(
      deps,
      events,
      app,
      revision.revision,
      plan,
      { clusters: targets.targets.map((target) => target.cluster), allApplied: allApplied(outcomes) },
      ctx.term.fence,
    );
    if (rollout.condition && allApplied(outcomes)) set(rollout.condition);

    const health = healthStage(spec, outcomes, app.status?.health, events);
    set(healthyCondition(health));

    set(readyCondition(conditions, number));
    if (allApplied(outcomes) && resync) {
      lastFullApply.set(appKey, { revision: number, at: now });
      // Everything was applied again: what had drifted is Gantry's again.
      drift.settled(team, name, restore.now ? 'policy' : 'resync');
      if (restore.now) term.restoreWaits.delete(appKey);
    }
    const status = applicationStatus({
      generation,
      conditions,
      revision,
      previousRevision: app.status?.revision,
      outcomes,
      health,
      revisionOf: (cluster) => plan.revisionFor(cluster).spec.revision,
    });
    await deps.resources.replaceStatus(
      CALLER,
      'Application',
      team,
      name,
      { metadata: { name }, status },
      ctx.term.fence ? { fence: ctx.term.fence } : {},
    );
    // Only once the status says the fleet runs the newest revision: without pins, the status decides.
    if (rollout.dropPins) await dropPins(deps, app, ctx.term.fence);
    const requeue = requeueAfter(outcomes, health, {
      failedRetryMs: FAILED_RETRY_MS,
      progressPollMs,
      driftResyncMs,
    });
    const waitMs = restore.until !== undefined ? Math.max(1000, restore.until - now) : undefined;
    const rolloutMs = rollout.recheck ? progressPollMs : undefined;
    const sooner = Math.min(waitMs ?? requeue, rolloutMs ?? requeue);
    return {
      requeueAfterMs: Math.min(sooner, requeue),
    };
  }

  /**
   * The fleet gate's part of a reconcile (ADR 0033): a revision other than the one the application has
   * deployed waits while the gate is closed for applications — with a condition, an event once per wait,
   * and a requeue at the opening, so the deploy fires by itself when the window lifts.
   */
  async function deployGateStage(
    term: ApplicationTerm,
    team: string,
    name: string,
    app: ApplicationObject,
    number: number,
    now: number,
  ): Promise<{ condition: Omit<ConditionUpdate, 'observedGeneration'>; requeueAfterMs: number } | undefined> {
    const appKey = `${team}/${name}`;
    const deployed = app.status?.revision;
    if (!deps.fleetGate || deployed === undefined || deployed === number) {
      term.deployWaits.delete(appKey);
      return undefined;
    }
    const verdict = await deps.fleetGate.check(team, 'applications', now);
    if (verdict.open) {
      term.deployWaits.delete(appKey);
      return undefined;
    }
    const until = verdict.until !== undefined ? ` until ${new Date(verdict.until).toISOString()}` : '';
    const message = `revision ${number} waits${until}: ${verdict.message}`;
    if (term.deployWaits.get(appKey) !== message) {
      term.deployWaits.set(appKey, message);
      new ApplicationEvents(term.events, team, name).normal(ApplicationEventReason.DeployWaiting, message);
    }
    return {
      condition: {
        type: ApplicationCondition.Applied,
        status: 'False',
        reason:
          verdict.reason === 'LineStopped' ? ApplicationReason.LineStopped : ApplicationReason.WindowClosed,
        message,
      },
      requeueAfterMs:
        verdict.until !== undefined ? Math.max(1000, verdict.until - now) : LINE_STOP_RECHECK_MS,
    };
  }

  /**
   * Change detection's part of a reconcile (ADR 0031): with policy Restore and drifted objects, whether
   * to apply everything again now — inside the application's windows — or when to look again.
   */
  async function restoreStage(
    term: ApplicationTerm,
    team: string,
    name: string,
    app: ApplicationObject,
    now: number,
  ): Promise<{ now: boolean; until?: number }> {
    const policy = app.spec.drift?.policy ?? 'Report';
    const pending = term.drift.pending(team, name);
    if (policy !== 'Restore' || pending.length === 0) return { now: false };
    const verdict = deps.restoreWindow
      ? await deps.restoreWindow(team, app.spec.drift?.windows ?? [], now)
      : ({ open: true } as const);
    if (verdict.open) return { now: true };
    const appKey = `${team}/${name}`;
    if (term.restoreWaits.get(appKey) !== verdict.message) {
      term.restoreWaits.set(appKey, verdict.message);
      new ApplicationEvents(term.events, team, name).normal(
        ApplicationEventReason.DriftRestoreWaiting,
        `restoring ${pending.length} drifted object(s) waits: ${verdict.message}`,
      );
    }
    return verdict.until !== undefined ? { now: false, until: verdict.until } : { now: false };
  }

  /** Applications of `team` (all teams when undefined) that a change to a cluster, environment or definition may concern. */
  async function enqueueApplications(
    enqueue: (key: ObjectKey) => void,
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
      enqueue({ team: item.team, name: item.name });
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
    onLeading(leading: LeadingTerm) {
      const term = termOf(leading.scope);
      const { clusterLabels, placements } = term;
      const enqueue = (term.enqueue = leading.enqueue);
      const unsubscribe = deps.feed.subscribe((change) => {
        const log = (error: unknown) =>
          leading.logger.warn({ err: error }, 'finding applications to reconcile failed');
        if (change.kind === 'Cluster') {
          // Cluster status changes all the time; only a cluster appearing, going or changing labels moves targets.
          const id = `${change.team}/${change.name}`;
          const labels =
            change.type === 'DELETED' ? undefined : JSON.stringify(change.object.metadata.labels ?? {});
          if (clusterLabels.has(id) && clusterLabels.get(id) === labels) return;
          if (labels === undefined) clusterLabels.delete(id);
          else clusterLabels.set(id, labels);
          placements.delete(change.team);
          void enqueueApplications(enqueue, change.team).catch(log);
        } else if (change.kind === 'Environment') {
          placements.delete(change.team);
          void enqueueApplications(enqueue, change.team).catch(log);
        } else if (change.kind === 'ComponentDefinition')
          void enqueueApplications(enqueue, undefined, (spec) =>
            definitionsUsed(spec).components.has(change.name),
          ).catch(log);
        else if (change.kind === 'TraitDefinition')
          void enqueueApplications(enqueue, undefined, (spec) =>
            definitionsUsed(spec).traits.has(change.name),
          ).catch(log);
      });
      leading.scope.onEnd(unsubscribe);
      // Applications deleted while no server led this controller still own objects: clean them up.
      void deps.records
        .applications()
        .then((apps) => apps.forEach(({ team, app }) => enqueue({ team, name: app })))
        .catch((error: unknown) => leading.logger.warn({ err: error }, 'listing applied objects failed'));
    },
  };
}
