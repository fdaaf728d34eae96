import type { KubeObject } from '@gantry/fleet';
import { ConflictError, type ComponentSpec, type HealthState } from '@gantry/model';
import type { AppliedObject, AppliedObjectRepository } from '@gantry/store';
import type { CelEngine } from '../cel-environment.ts';
import type { Composer, DefinitionSet, RenderedObject } from '../compose/compose.ts';
import { evaluateHealthPolicy } from '../health-policy.ts';
import {
  describeRef,
  objectRef,
  refKey,
  type ClusterApplier,
  type KubeManifest,
  type ObjectRef,
} from '../kube/applier.ts';
import type { Target } from '../targets.ts';
import { DEFAULT_WORKLOAD_KINDS } from '../kube/workload-watcher.ts';
import { APP_LABEL, REVISION_ANNOTATION } from './revisions.ts';
import { sha256 } from './hash.ts';

export interface ComponentHealth {
  name: string;
  cluster: string;
  health: HealthState;
  message?: string;
  workload?: string;
  /** Not applied yet on this target: a component it depends on is not healthy there. */
  blocked?: boolean;
}

export interface TargetOutcome {
  target: Target;
  phase: 'Applied' | 'Waiting' | 'Failed' | 'Unreachable';
  message?: string;
  cells: ComponentHealth[];
  /** Objects sent to the API server in this pass (unchanged ones are not sent). */
  sent: number;
  pruned: number;
}

export interface PruneOptions {
  enabled: boolean;
  persistentVolumeClaims: boolean;
  adoptUnowned: boolean;
}

export interface DeployRequest {
  team: string;
  app: string;
  revision: number;
  target: Target;
  components: readonly ComponentSpec[];
  definitions: DefinitionSet;
  prune: PruneOptions;
  /** Send every object again even when its record says it is unchanged (drift correction). */
  resync: boolean;
  /** Render and compare only: nothing is applied, recorded or pruned. */
  dryRun?: boolean;
  /** The revision's hash (spec and definitions): with the components and target it keys the render cache. */
  revisionHash?: string;
  /** What is recorded for this target, when the caller has read it already (read here otherwise). */
  recorded?: readonly AppliedObject[];
}

export interface DeployDeps {
  composer: Composer;
  engine: CelEngine;
  applier: ClusterApplier;
  records: AppliedObjectRepository;
  /** The live object as the cluster's workload watch last saw it, if it has. */
  live(ref: ObjectRef): KubeObject | undefined;
  /** Has the cluster's watch follow a kind whose objects a health policy reads (workload kinds always are). */
  watch?(kind: { apiVersion: string; kind: string }): void;
  progress: ProgressTracker;
  /** Namespaces known to exist on the cluster (checked once, forgotten when an apply fails). */
  namespaces?: Set<string>;
  /** What the last clean pass over each target rendered; lets a health-only reconcile skip rendering. */
  delivered?: DeliveredTargets;
  now(): number;
}

/** Objects applied at once per target: enough to keep a cluster's API server busy, few enough to be fair. */
const PARALLEL_APPLIES = 8;

/**
 * Delivers one application revision to one target: renders every component, applies them in dependsOn
 * order (a component waits until what it depends on is healthy here), records what was applied, prunes
 * what the revision no longer renders, and reports each component's health.
 */
export async function deployTarget(request: DeployRequest, deps: DeployDeps): Promise<TargetOutcome> {
  const { target } = request;
  const outcome = (
    phase: TargetOutcome['phase'],
    message: string | undefined,
    cells: ComponentHealth[],
    sent = 0,
    pruned = 0,
  ): TargetOutcome => ({
    target,
    phase,
    ...(message ? { message } : {}),
    cells,
    sent,
    pruned,
  });

  // 0. Nothing changed since the last clean pass here: only health is left to look at.
  const fingerprint =
    request.revisionHash && deps.delivered
      ? sha256({ revision: request.revisionHash, components: request.components, target })
      : undefined;
  const cacheKey = `${request.team}/${request.app}/${target.cluster}`;
  const recorded = request.recorded ?? (await deps.records.list(request.team, request.app, target.cluster));
  if (fingerprint && !request.resync && !request.dryRun) {
    const known = deps.delivered!.get(cacheKey);
    if (known?.fingerprint === fingerprint) {
      const records = recorded;
      const unchanged =
        records.length === known.hashes.size && records.every((r) => known.hashes.get(r.ref) === r.hash);
      if (unchanged) {
        const cells = request.components.map((component) =>
          componentHealth(
            deps,
            component.name,
            target.cluster,
            known.workloads.get(component.name),
            known.checks.get(component.name),
          ),
        );
        return outcome('Applied', undefined, cells);
      }
    }
  }

  // 1. Render everything first: a target gets nothing until all of it renders.
  const rendered = new Map<string, RenderedObject[]>();
  const renderErrors: string[] = [];
  for (const component of request.components) {
    const context = {
      app: request.app,
      team: request.team,
      component: component.name,
      revision: request.revision,
      cluster: target.cluster,
      namespace: target.namespace,
      environment: target.environment,
    };
    const result = await deps.composer.compose(request.definitions, component, context);
    if (result.ok) rendered.set(component.name, result.objects);
    else
      renderErrors.push(
        `${component.name}: ${result.errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`,
      );
  }
  if (renderErrors.length > 0) {
    const cells = request.components.map((c) => ({
      name: c.name,
      cluster: target.cluster,
      health: 'Unknown' as const,
      message: 'not rendered',
    }));
    return outcome('Failed', `rendering failed: ${renderErrors.join(' | ')}`, cells);
  }

  const records = new Map(recorded.map((r) => [r.ref, r]));
  // Objects this application has not applied yet may belong to another one: never take them over.
  const fresh = [...rendered.values()]
    .flat()
    .map((o) => renderedKey(o, target.namespace))
    .filter((key) => !records.has(key));
  const claims =
    fresh.length > 0
      ? await deps.records.claimedByOthers(request.team, request.app, target.cluster, fresh)
      : new Map<string, string>();
  try {
    if (!request.dryRun && !deps.namespaces?.has(target.namespace)) {
      const namespace = await deps.applier.ensureNamespace(target.namespace);
      if (namespace === 'terminating')
        return outcome('Failed', `namespace ${target.namespace} is being deleted`, []);
      deps.namespaces?.add(target.namespace);
    }
  } catch (error) {
    return outcome(isUnreachable(error) ? 'Unreachable' : 'Failed', (error as Error).message, []);
  }

  // 2. Apply in dependsOn order.
  const cells = new Map<string, ComponentHealth>();
  const appliedRecords: Omit<AppliedObject, 'appliedAt'>[] = [];
  const failures: string[] = [];
  let sent = 0;
  const pending = new Set(request.components.map((c) => c.name));
  const byName = new Map(request.components.map((c) => [c.name, c]));
  while (pending.size > 0) {
    const ready = [...pending].filter((name) =>
      (byName.get(name)!.dependsOn ?? []).every((d) => !pending.has(d)),
    );
    if (ready.length === 0) break; // a cycle: the trait check refuses these, so only a stale revision gets here
    for (const name of ready) pending.delete(name);
    await Promise.all(
      ready.map(async (name) => {
        const component = byName.get(name)!;
        const blocking = (component.dependsOn ?? []).filter((d) => cells.get(d)?.health !== 'Healthy');
        if (blocking.length > 0) {
          cells.set(name, {
            name,
            cluster: target.cluster,
            health: 'Progressing',
            message: `waiting for ${blocking.join(', ')} to be healthy`,
            blocked: true,
          });
          // Keep what was applied before: a waiting component's objects are not pruned.
          for (const record of records.values()) if (record.component === name) appliedRecords.push(record);
          return;
        }
        const result = await applyComponent(request, deps, name, rendered.get(name)!, records, claims);
        sent += result.sent;
        appliedRecords.push(...result.records);
        if (result.error) {
          failures.push(`${name}: ${result.error}`);
          deps.namespaces?.delete(target.namespace); // it may be what went missing
        }
        cells.set(name, result.cell);
      }),
    );
  }

  if (request.dryRun) return outcome('Applied', undefined, [...cells.values()]);
  await deps.records.record(appliedRecords, new Date(deps.now()).toISOString());

  // 3. Prune what no component renders any more (only once everything rendered and applied cleanly).
  let pruned = 0;
  const pruneProblems: string[] = [];
  if (failures.length === 0 && request.prune.enabled) {
    const keep = new Set(appliedRecords.map((r) => r.ref));
    for (const component of request.components)
      for (const object of rendered.get(component.name) ?? [])
        keep.add(renderedKey(object, target.namespace));
    const stale = [...records.values()].filter((r) => !keep.has(r.ref));
    const result = await prune(request, deps, stale);
    pruned = result.deleted;
    pruneProblems.push(...result.problems);
  }

  const ordered = request.components.map((c) => cells.get(c.name)!).filter(Boolean);
  const clean = failures.length === 0 && pruneProblems.length === 0 && ordered.every((c) => !c.blocked);
  if (fingerprint && clean) {
    deps.delivered!.set(cacheKey, {
      fingerprint,
      hashes: new Map(appliedRecords.map((r) => [r.ref, r.hash])),
      ...watchedObjectsOf(rendered, appliedRecords, target.namespace),
    });
  } else deps.delivered?.delete(cacheKey);
  if (failures.length > 0)
    return outcome(
      failures.some((f) => f.includes('unreachable')) ? 'Unreachable' : 'Failed',
      failures.join(' | '),
      ordered,
      sent,
      pruned,
    );
  const waiting = ordered.filter((c) => c.blocked);
  if (waiting.length > 0)
    return outcome('Waiting', waiting.map((c) => `${c.name} ${c.message}`).join('; '), ordered, sent, pruned);
  return outcome(
    'Applied',
    pruneProblems.length > 0 ? `prune: ${pruneProblems.join('; ')}` : undefined,
    ordered,
    sent,
    pruned,
  );
}

interface ComponentResult {
  cell: ComponentHealth;
  records: Omit<AppliedObject, 'appliedAt'>[];
  sent: number;
  error?: string;
}

const STAGES = ['pre', 'main', 'post'] as const;

async function applyComponent(
  request: DeployRequest,
  deps: DeployDeps,
  name: string,
  objects: readonly RenderedObject[],
  records: ReadonlyMap<string, AppliedObject>,
  claims: ReadonlyMap<string, string>,
): Promise<ComponentResult> {
  const { target } = request;
  const out: Omit<AppliedObject, 'appliedAt'>[] = [];
  let sent = 0;
  let workload: WorkloadRef | undefined;
  const checks: WorkloadRef[] = [];
  for (const stage of STAGES) {
    const batch = objects.filter((o) => o.stage === stage);
    const results = await mapLimit(batch, PARALLEL_APPLIES, async (rendered) => {
      const manifest = rendered.object as KubeManifest;
      const hash = contentHash(manifest);
      const key = renderedKey(rendered, target.namespace);
      const record = records.get(key);
      let live: KubeObject | undefined;
      const owner = claims.get(key);
      if (owner !== undefined)
        throw new ConflictError(
          `${describeRef(placed(manifest, target.namespace))} is applied by application ${owner}; two applications cannot own one object`,
        );
      if (record && record.hash === hash && !request.resync && !request.dryRun) {
        live = undefined;
      } else {
        live = record
          ? await deps.applier.apply(manifest, {
              defaultNamespace: target.namespace,
              ...(request.dryRun ? { dryRun: true } : {}),
            })
          : await firstApply(request, deps, manifest);
        sent += 1;
      }
      const ref = live ? objectRef(live) : refFromKey(record!);
      return { rendered, ref, live, hash };
    }).catch((error: unknown) => ({ error }));
    if ('error' in results) {
      return {
        cell: {
          name,
          cluster: target.cluster,
          health: 'Unhealthy',
          message: `apply failed: ${(results.error as Error).message}`,
        },
        records: [...records.values()].filter((r) => r.component === name),
        sent,
        error: isUnreachable(results.error)
          ? `unreachable: ${(results.error as Error).message}`
          : (results.error as Error).message,
      };
    }
    for (const result of results) {
      out.push({
        team: request.team,
        app: request.app,
        cluster: target.cluster,
        ref: refKey(result.ref),
        component: name,
        object: result.ref,
        hash: result.hash,
        revision: request.revision,
      });
      if (result.rendered.workload)
        workload = {
          ref: result.ref,
          live: result.live,
          ...(result.rendered.health ? { health: result.rendered.health } : {}),
        };
      else if (result.rendered.health)
        checks.push({ ref: result.ref, live: result.live, health: result.rendered.health });
    }
  }
  return { cell: componentHealth(deps, name, target.cluster, workload, checks), records: out, sent };
}

/**
 * The first apply of an object does not force: if fields of it belong to another manager (someone created
 * the object with kubectl, or another tool manages it) the server answers 409, and Gantry takes it over
 * only when it already carries this application's label or the application opts in (prune.adoptUnowned).
 */
async function firstApply(
  request: DeployRequest,
  deps: DeployDeps,
  manifest: KubeManifest,
): Promise<KubeObject> {
  const options = { defaultNamespace: request.target.namespace, ...(request.dryRun ? { dryRun: true } : {}) };
  try {
    return await deps.applier.apply(manifest, { ...options, force: false });
  } catch (error) {
    if ((error as { status?: unknown }).status !== 409) throw error;
    const ref = await deps.applier.placedRef(manifest, request.target.namespace);
    const live = await deps.applier.get(ref);
    if (live?.metadata.labels?.[APP_LABEL] === request.app || request.prune.adoptUnowned)
      return deps.applier.apply(manifest, options);
    throw new Error(
      `${describeRef(ref)} exists and other managers own its fields (${(error as Error).message}); set spec.prune.adoptUnowned to take it over`,
    );
  }
}

/**
 * A component's health: its workload's health policy over the live object (the watch's copy, else the
 * apply's answer), and the policies of its other objects that have one (a trait's PodDisruptionBudget):
 * the worst of them, with the message of each one that is not healthy.
 */
function componentHealth(
  deps: DeployDeps,
  name: string,
  cluster: string,
  workload: WorkloadRef | undefined,
  checks: readonly WorkloadRef[] = [],
): ComponentHealth {
  const label = workload ? describeObject(workload.ref) : undefined;
  const main = !workload
    ? { health: 'Healthy' as const, message: 'applied' }
    : !workload.health
      ? { health: 'Healthy' as const, message: 'applied (no health policy)' }
      : objectHealth(deps, cluster, workload, workload.health, 'the workload');
  const others = checks.map((check) => ({
    check,
    verdict: objectHealth(deps, cluster, check, check.health!, 'it'),
  }));
  const health = worstHealth([main.health, ...others.map((o) => o.verdict.health)]);
  const troubles = others
    .filter((o) => o.verdict.health !== 'Healthy')
    .map((o) => `${describeObject(o.check.ref)}: ${o.verdict.message ?? o.verdict.health}`);
  const message =
    troubles.length === 0
      ? main.message
      : [...(main.health === 'Healthy' ? [] : [main.message ?? main.health]), ...troubles].join('; ');
  return { name, cluster, health, ...(message ? { message } : {}), ...(label ? { workload: label } : {}) };
}

/** One object's health by its policy: Progressing while its controller catches up or within the grace period, then Unhealthy. */
function objectHealth(
  deps: DeployDeps,
  cluster: string,
  object: WorkloadRef,
  policy: string,
  what: string,
): { health: HealthState; message?: string } {
  if (!DEFAULT_KINDS.has(`${object.ref.apiVersion}/${object.ref.kind}`)) deps.watch?.(object.ref);
  const live = newest(deps.live(object.ref), object.live);
  if (!live) return { health: 'Progressing', message: `waiting for the cluster to report ${what}` };
  const verdict = evaluateHealthPolicy(deps.engine, policy, live);
  if (!verdict.ok) return { health: 'Unknown', message: `health policy failed: ${verdict.error.message}` };
  const fresh = (live.metadata as { generation?: number }).generation ?? 0;
  const observed = (live.status as { observedGeneration?: number } | undefined)?.observedGeneration;
  const key = `${cluster}/${refKey(object.ref)}`;
  let health: HealthState;
  if (verdict.healthy) {
    deps.progress.healthy(key);
    health = 'Healthy';
  } else {
    // An object that has not yet converged on its latest generation is progressing: while its
    // controller has not observed it, and for a grace period after (a rollout replacing pods).
    const since = deps.progress.notHealthySince(key, fresh, deps.now());
    health =
      (observed !== undefined && observed < fresh) || deps.now() - since < deps.progress.graceMs
        ? 'Progressing'
        : 'Unhealthy';
  }
  return { health, ...(verdict.message ? { message: verdict.message } : {}) };
}

/** `Kind/namespace/name`, as the matrix names a component's objects. */
function describeObject(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** Kinds every cluster's watch follows from the start (the workload kinds). */
const DEFAULT_KINDS = new Set(DEFAULT_WORKLOAD_KINDS.map((k) => `${k.apiVersion}/${k.kind}`));

const WORST: readonly HealthState[] = ['Unhealthy', 'Unknown', 'Progressing', 'Healthy'];

export function worstHealth(states: Iterable<HealthState>): HealthState {
  let worst: HealthState = 'Healthy';
  for (const state of states) if (WORST.indexOf(state) < WORST.indexOf(worst)) worst = state;
  return worst;
}

/**
 * Per target (`team/app/cluster`): the fingerprint of the last clean pass, what it recorded, and each
 * component's workload and other objects with a health policy.
 */
export type DeliveredTargets = Map<
  string,
  {
    fingerprint: string;
    hashes: Map<string, string>;
    workloads: Map<string, WorkloadRef>;
    checks: Map<string, WorkloadRef[]>;
  }
>;

interface WorkloadRef {
  ref: ObjectRef;
  live: KubeObject | undefined;
  health?: string;
}

function watchedObjectsOf(
  rendered: ReadonlyMap<string, RenderedObject[]>,
  records: readonly Omit<AppliedObject, 'appliedAt'>[],
  namespace: string,
): { workloads: Map<string, WorkloadRef>; checks: Map<string, WorkloadRef[]> } {
  const byKey = new Map(records.map((r) => [r.ref, r.object as ObjectRef]));
  const workloads = new Map<string, WorkloadRef>();
  const checks = new Map<string, WorkloadRef[]>();
  for (const [component, objects] of rendered) {
    for (const object of objects) {
      const ref = byKey.get(renderedKey(object, namespace));
      if (!ref) continue;
      if (object.workload)
        workloads.set(component, {
          ref,
          live: undefined,
          ...(object.health ? { health: object.health } : {}),
        });
      else if (object.health)
        checks.set(component, [
          ...(checks.get(component) ?? []),
          { ref, live: undefined, health: object.health },
        ]);
    }
  }
  return { workloads, checks };
}

/** The more recent of two copies of an object: the watch's may lag behind what an apply just answered. */
function newest(watched: KubeObject | undefined, applied: KubeObject | undefined): KubeObject | undefined {
  if (!watched || !applied) return watched ?? applied;
  const generation = (o: KubeObject) => (o.metadata as { generation?: number }).generation ?? 0;
  return generation(applied) > generation(watched) ? applied : watched;
}

/**
 * Remembers since when each workload has been failing its health policy at its current generation, so
 * that a rollout in progress reads Progressing and only one that does not converge within the grace
 * period reads Unhealthy.
 */
export class ProgressTracker {
  readonly #since = new Map<string, { generation: number; since: number }>();

  constructor(readonly graceMs: number) {}

  notHealthySince(key: string, generation: number, now: number): number {
    const known = this.#since.get(key);
    if (known?.generation === generation) return known.since;
    this.#since.set(key, { generation, since: now });
    return now;
  }

  healthy(key: string): void {
    this.#since.delete(key);
  }
}

/** Deletes stale objects this application owns; leaves PVCs and objects it does not own (unless told otherwise). */
async function prune(
  request: DeployRequest,
  deps: DeployDeps,
  stale: readonly AppliedObject[],
): Promise<{ deleted: number; problems: string[] }> {
  let deleted = 0;
  const problems: string[] = [];
  const forget: string[] = [];
  for (const record of stale) {
    const ref = record.object as ObjectRef;
    try {
      if (
        ref.kind === 'PersistentVolumeClaim' &&
        ref.apiVersion === 'v1' &&
        !request.prune.persistentVolumeClaims
      ) {
        forget.push(record.ref); // kept on the cluster with its data; no longer tracked
        continue;
      }
      const live = await deps.applier.get(ref);
      if (live && live.metadata.labels?.[APP_LABEL] !== request.app && !request.prune.adoptUnowned) {
        forget.push(record.ref);
        problems.push(`${describeRef(ref)} is no longer labelled as this application's; left in place`);
        continue;
      }
      if (live && (await deps.applier.delete(ref)) === 'deleted') deleted += 1;
      forget.push(record.ref);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  await deps.records.forget(request.team, request.app, request.target.cluster, forget);
  return { deleted, problems };
}

/**
 * What decides whether an object must be sent again: the manifest without the revision annotation, so a
 * new revision that leaves an object as it was does not touch it (its annotation keeps naming the revision
 * that last changed it).
 */
export function contentHash(manifest: KubeManifest): string {
  const { [REVISION_ANNOTATION]: _revision, ...annotations } = manifest.metadata.annotations ?? {};
  return sha256({ ...manifest, metadata: { ...manifest.metadata, annotations } });
}

/** The record key of a rendered object, with the namespace it will be applied in. */
export function renderedKey(rendered: RenderedObject, namespace: string): string {
  return refKey(placed(rendered.object as KubeManifest, namespace));
}

/** An object's identity once placed in `namespace` (unless it names its own or its kind has none). */
function placed(manifest: KubeManifest, namespace: string): ObjectRef {
  const ref = objectRef(manifest);
  return ref.namespace || !isLikelyNamespaced(ref) ? ref : { ...ref, namespace };
}

/** Cluster-scoped kinds Gantry's catalog can render; everything else is placed in the target namespace. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
]);

function isLikelyNamespaced(ref: ObjectRef): boolean {
  return !CLUSTER_SCOPED.has(ref.kind);
}

function refFromKey(record: AppliedObject): ObjectRef {
  return record.object as ObjectRef;
}

function isUnreachable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 0;
}

/** Runs `fn` over `items` with at most `limit` at once; rejects with the first error after all settle. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
