import {
  setCondition,
  type Controller,
  type LeadingTerm,
  type ObjectKey,
  type ReconcileContext,
  type ReconcileResult,
} from '@gantry/controllers';
import { ClusterClientError, type ClusterClients, type KubeClient, type KubeObject } from '@gantry/fleet';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import type { ApplicationStatus, Condition } from '@gantry/model';
import type { ChangeFeed, ResourceService } from '@gantry/resources';
import type { AppliedObject, AppliedObjectRepository, ResourceRepository } from '@gantry/store';
import type { CelEngine } from '../cel-environment.ts';
import type { Composer } from '../compose/compose.ts';
import { ClusterApplier, describeRef, type ObjectRef } from '../kube/applier.ts';
import { ResourceDiscovery } from '../kube/discovery.ts';
import { ApiTimer } from './api-timer.ts';
import { WorkloadWatcher } from '../kube/workload-watcher.ts';
import { componentsForTarget, resolveTargets, type Target } from '../targets.ts';
import { definitionsUsed } from '../check/trait-check.ts';
import { fromSnapshot } from './definitions.ts';
import { placementOf, type Placement } from './placement-source.ts';
import {
  ProgressTracker,
  deployTarget,
  worstHealth,
  type ComponentHealth,
  type DeliveredTargets,
  type TargetOutcome,
} from './deploy.ts';
import { APP_LABEL, TEAM_LABEL, type ApplicationObject, type RevisionManager } from './revisions.ts';

export const ApplicationCondition = {
  Rendered: 'Rendered',
  Applied: 'Applied',
  Healthy: 'Healthy',
  Ready: 'Ready',
} as const;

export interface ApplicationControllerDeps {
  resources: ResourceService;
  repository: ResourceRepository;
  records: AppliedObjectRepository;
  revisions: RevisionManager;
  clients: ClusterClients;
  composer: Composer;
  engine: CelEngine;
  feed: Pick<ChangeFeed, 'subscribe'>;
  /** Every object is sent again this often, to put back what someone changed by hand. Default 10 minutes. */
  driftResyncMs?: number;
  /** How soon an application that is not yet healthy is looked at again (watches also wake it). Default 5 s. */
  progressPollMs?: number;
  /** How long a workload may fail its health policy after a change before it reads Unhealthy rather than Progressing. Default 60 s. */
  progressGraceMs?: number;
  /** Told each reconcile's duration, split into waiting for API servers and everything else. */
  observeReconcile?: (seconds: { own: number; api: number }) => void;
}

const CALLER = { principal: SYSTEM_PRINCIPAL, source: 'controller/application' };

/** What this server keeps per cluster while it leads: one applier and one workload watch, on one client. */
interface ClusterSession {
  client: KubeClient;
  discovery: ResourceDiscovery;
  watcher: WorkloadWatcher;
  namespaces: Set<string>;
}

/**
 * Delivers applications: records a revision for every change, renders it per target cluster, applies it
 * with server-side apply, prunes what it no longer renders, and reports health as conditions and a
 * components × clusters matrix. Deleting an application deletes what it applied.
 */
export function createApplicationController(deps: ApplicationControllerDeps): Controller {
  const sessions = new Map<string, ClusterSession>();
  const lastFullApply = new Map<string, { revision: number; at: number }>();
  const driftResyncMs = deps.driftResyncMs ?? 600_000;
  const progressPollMs = deps.progressPollMs ?? 5000;
  const progress = new ProgressTracker(deps.progressGraceMs ?? 60_000);
  const delivered: DeliveredTargets = new Map();
  let enqueue: ((key: ObjectKey) => void) | undefined;
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

  const stopSessions = () => {
    for (const session of sessions.values()) void session.watcher.stop();
    sessions.clear();
  };

  async function session(team: string, cluster: string): Promise<ClusterSession> {
    const id = `${team}/${cluster}`;
    const client = await deps.clients.get(team, cluster);
    const existing = sessions.get(id);
    if (existing?.client === client) return existing;
    if (existing) void existing.watcher.stop();
    const watcher = new WorkloadWatcher(client, {
      labelSelector: APP_LABEL,
      onChange: (object: KubeObject) => {
        const labels = object.metadata.labels ?? {};
        const app = labels[APP_LABEL];
        if (app && labels[TEAM_LABEL] === team) enqueue?.({ team, name: app });
      },
    });
    watcher.start();
    const created: ClusterSession = {
      client,
      discovery: new ResourceDiscovery(client),
      watcher,
      namespaces: new Set(),
    };
    sessions.set(id, created);
    return created;
  }

  /** Deletes everything recorded for `app` on `cluster` (the app is gone, or no longer targets it). */
  async function removeFromCluster(
    team: string,
    app: string,
    cluster: string,
    records: readonly AppliedObject[],
  ): Promise<string | undefined> {
    let applier: ClusterApplier;
    try {
      const found = await session(team, cluster);
      applier = new ClusterApplier(found.client, { discovery: found.discovery });
    } catch (error) {
      // A cluster no longer registered cannot be cleaned: what was recorded there is forgotten.
      if (error instanceof ClusterClientError && error.reason === 'ClusterNotFound') {
        await deps.records.forget(
          team,
          app,
          cluster,
          records.map((r) => r.ref),
        );
        return undefined;
      }
      return `cannot reach cluster ${cluster} to remove ${records.length} objects: ${(error as Error).message}`;
    }
    const done: string[] = [];
    const problems: string[] = [];
    for (const record of records) {
      const ref = record.object as ObjectRef;
      try {
        if (ref.kind === 'PersistentVolumeClaim' && ref.apiVersion === 'v1') {
          done.push(record.ref);
          continue;
        }
        const live = await applier.get(ref);
        if (live && live.metadata.labels?.[APP_LABEL] === app) await applier.delete(ref);
        done.push(record.ref);
      } catch (error) {
        problems.push(`${describeRef(ref)}: ${(error as Error).message}`);
      }
    }
    await deps.records.forget(team, app, cluster, done);
    return problems.length > 0 ? problems.join('; ') : undefined;
  }

  async function cleanUp(key: ObjectKey): Promise<ReconcileResult> {
    const records = await deps.records.list(key.team, key.name);
    const problems: string[] = [];
    for (const [cluster, objects] of groupBy(records, (r) => r.cluster)) {
      const problem = await removeFromCluster(key.team, key.name, cluster, objects);
      if (problem) problems.push(problem);
    }
    lastFullApply.delete(`${key.team}/${key.name}`);
    for (const id of [...delivered.keys()])
      if (id.startsWith(`${key.team}/${key.name}/`)) delivered.delete(id);
    if (problems.length > 0)
      throw new Error(`removing application ${key.team}/${key.name}: ${problems.join(' | ')}`);
    await deps.revisions.deleteAll(key.team, key.name);
    return {};
  }

  async function reconcile(ctx: ReconcileContext, key: ObjectKey): Promise<ReconcileResult> {
    const started = performance.now();
    const timer = new ApiTimer();
    try {
      return await reconcileTimed(ctx, key, timer);
    } finally {
      const totalMs = performance.now() - started;
      deps.observeReconcile?.({ own: Math.max(0, totalMs - timer.busyMs) / 1000, api: timer.busyMs / 1000 });
    }
  }

  async function reconcileTimed(
    ctx: ReconcileContext,
    key: ObjectKey,
    timer: ApiTimer,
  ): Promise<ReconcileResult> {
    const app = (await deps.repository.get({ kind: 'Application', team: key.team, name: key.name })) as
      ApplicationObject | undefined;
    if (!app) return cleanUp(key);
    const now = ctx.now();
    const generation = app.metadata.generation;
    let conditions: Condition[] = app.status?.conditions ?? [];
    const set = (type: string, status: Condition['status'], reason: string, message: string) =>
      (conditions = setCondition(
        conditions,
        { type, status, reason, message, observedGeneration: generation },
        now,
      ));

    const { revision, latest } = await deps.revisions.ensure(app);
    const spec = revision.spec.applicationSpec;
    const definitions = fromSnapshot(revision.spec.definitions);
    const { clusters, environments } = await placement(key.team);
    const resolution = resolveTargets(spec, clusters, environments);
    const appKey = `${key.team}/${key.name}`;
    const previous = lastFullApply.get(appKey);
    // Everything is sent again once after this server starts leading and then every driftResyncMs; in
    // between, a new revision sends only the objects whose content changed.
    const resync = !previous || now - previous.at > driftResyncMs;

    // Clusters the application no longer targets lose what it put there.
    const records = await deps.records.list(key.team, key.name);
    const targeted = new Set(resolution.targets.map((t) => t.cluster));
    const leaving: string[] = [];
    for (const [cluster, objects] of groupBy(records, (r) => r.cluster)) {
      if (targeted.has(cluster)) continue;
      const problem = await removeFromCluster(key.team, key.name, cluster, objects);
      if (problem) leaving.push(problem);
    }

    const prune = {
      enabled: spec.prune?.enabled ?? true,
      persistentVolumeClaims: spec.prune?.persistentVolumeClaims ?? false,
      adoptUnowned: spec.prune?.adoptUnowned ?? false,
    };
    const outcomes = await Promise.all(
      resolution.targets.map(async (target): Promise<TargetOutcome> => {
        let clusterSession: ClusterSession;
        try {
          clusterSession = await session(key.team, target.cluster);
        } catch (error) {
          return {
            target,
            phase: 'Unreachable',
            message: (error as Error).message,
            cells: [],
            sent: 0,
            pruned: 0,
          };
        }
        const info = clusters.find((c) => c.name === target.cluster);
        return deployTarget(
          {
            team: key.team,
            app: key.name,
            revision: revision.spec.revision,
            revisionHash: revision.spec.hash,
            target,
            components: componentsForTarget(spec, target, info),
            definitions,
            prune,
            resync,
            recorded: records.filter((r) => r.cluster === target.cluster),
          },
          {
            composer: deps.composer,
            engine: deps.engine,
            applier: new ClusterApplier(timer.wrap(clusterSession.client), {
              discovery: clusterSession.discovery,
            }),
            records: deps.records,
            live: (ref) => clusterSession.watcher.get(ref),
            watch: (kind) => clusterSession.watcher.watch(kind),
            progress,
            delivered,
            namespaces: clusterSession.namespaces,
            now: ctx.now,
          },
        );
      }),
    );
    if (ctx.signal.aborted) return {};

    const failed = outcomes.filter((o) => o.phase === 'Failed' || o.phase === 'Unreachable');
    const renderFailed = outcomes.filter((o) => o.message?.startsWith('rendering failed'));
    if (renderFailed.length > 0)
      set(
        ApplicationCondition.Rendered,
        'False',
        'RenderFailed',
        renderFailed.map((o) => `${o.target.cluster}: ${o.message}`).join(' | '),
      );
    else
      set(
        ApplicationCondition.Rendered,
        'True',
        'Rendered',
        `revision ${revision.spec.revision} renders on ${outcomes.length} target(s)`,
      );

    const problems = [...resolution.problems, ...leaving];
    if (resolution.targets.length === 0) {
      set(
        ApplicationCondition.Applied,
        'False',
        'NoTargets',
        problems.length > 0 ? problems.join('; ') : 'the topology selects no cluster',
      );
    } else if (failed.length > 0) {
      set(
        ApplicationCondition.Applied,
        'False',
        failed.some((o) => o.phase === 'Unreachable') ? 'ClusterUnreachable' : 'ApplyFailed',
        failed.map((o) => `${o.target.cluster}: ${o.message}`).join(' | '),
      );
    } else if (outcomes.some((o) => o.phase === 'Waiting')) {
      set(
        ApplicationCondition.Applied,
        'False',
        'WaitingForDependencies',
        outcomes
          .filter((o) => o.phase === 'Waiting')
          .map((o) => `${o.target.cluster}: ${o.message}`)
          .join(' | '),
      );
    } else {
      set(
        ApplicationCondition.Applied,
        'True',
        'Applied',
        `revision ${revision.spec.revision} applied to ${outcomes.map((o) => o.target.cluster).join(', ')}${problems.length > 0 ? ` (${problems.join('; ')})` : ''}`,
      );
    }

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
      resolution.targets.length === 0
        ? 'Unknown'
        : failed.length > 0
          ? worstHealth([...cells.map((c) => c.health), 'Unknown'])
          : worstHealth(cells.map((c) => c.health));
    const unhealthy = cells.filter((c) => c.health !== 'Healthy');
    if (health === 'Healthy')
      set(ApplicationCondition.Healthy, 'True', 'Healthy', `${cells.length} component(s) healthy`);
    else
      set(
        ApplicationCondition.Healthy,
        health === 'Progressing' ? 'Unknown' : 'False',
        health,
        unhealthy.map((c) => `${c.name}@${c.cluster}: ${c.message ?? c.health}`).join('; ') ||
          'no component reports health',
      );

    const notReady = conditions.find((c) => c.type !== ApplicationCondition.Ready && c.status !== 'True');
    if (notReady) set(ApplicationCondition.Ready, 'False', notReady.reason, notReady.message);
    else
      set(
        ApplicationCondition.Ready,
        'True',
        'Ready',
        `revision ${revision.spec.revision} applied and healthy`,
      );

    const allApplied = failed.length === 0 && outcomes.every((o) => o.phase === 'Applied');
    if (allApplied && resync) lastFullApply.set(appKey, { revision: revision.spec.revision, at: now });
    const status: ApplicationStatus = {
      observedGeneration: generation,
      conditions,
      revision: allApplied ? revision.spec.revision : (app.status?.revision ?? revision.spec.revision),
      latestRevision: latest,
      health,
      targets: outcomes.map((o) => ({
        cluster: o.target.cluster,
        namespace: o.target.namespace,
        ...(o.target.environment ? { environment: o.target.environment } : {}),
        phase: o.phase,
        ...(o.message ? { message: o.message.slice(0, 4000) } : {}),
        revision: revision.spec.revision,
      })),
      components: cells.map((c) => ({
        name: c.name,
        cluster: c.cluster,
        health: c.health,
        ...(c.message ? { message: c.message.slice(0, 1000) } : {}),
        ...(c.workload ? { workload: c.workload } : {}),
      })),
    };
    await deps.resources.replaceStatus(CALLER, 'Application', key.team, key.name, {
      metadata: { name: key.name },
      status,
    });
    if (failed.length > 0) return { requeueAfterMs: 10_000 };
    if (health !== 'Healthy') return { requeueAfterMs: progressPollMs };
    return { requeueAfterMs: driftResyncMs };
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
          stopSessions();
          lastFullApply.clear();
          clusterLabels.clear();
          placements.clear();
          delivered.clear();
          enqueue = undefined;
        },
        { once: true },
      );
    },
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item)) ?? [];
    group.push(item);
    groups.set(key(item), group);
  }
  return groups;
}

export type { Target };
