import type { KubeObject } from '@gantry/fleet';
import { ConflictError } from '@gantry/model';
import type { AppliedObject } from '@gantry/store';
import type { RenderedObject } from '../compose/compose.ts';
import { describeRef, objectRef, refKey, type ClusterApplier, type KubeManifest } from '../kube/applier.ts';
import type { Target } from '../targets.ts';
import {
  componentHealth,
  type ComponentHealth,
  type HealthSource,
  type WatchedObject,
} from './component-health.ts';
import { mapLimit } from './map-limit.ts';
import { contentHash, type PlacedObject } from './object-keys.ts';
import { APP_LABEL } from './revisions.ts';
import { TargetReason } from './target-outcome.ts';

/** Objects applied at once per target: enough to keep a cluster's API server busy, few enough to be fair. */
const PARALLEL_APPLIES = 8;

const STAGES = ['pre', 'main', 'post'] as const;

/** What one component's apply is about: the application, the target, and how to send. */
export interface ComponentApplyRequest {
  team: string;
  app: string;
  revision: number;
  target: Target;
  resync: boolean;
  /** Take over objects that exist on the cluster without this application's label (spec.prune.adoptUnowned). */
  adoptUnowned: boolean;
}

/** The typed failure of a component's apply: the reason decides the target's phase. */
export interface ApplyFailure {
  reason: typeof TargetReason.ApplyFailed | typeof TargetReason.ClusterUnreachable;
  message: string;
}

export interface ComponentApply {
  cell: ComponentHealth;
  /** Records of what is applied now (on failure: what was recorded before, kept). */
  records: Omit<AppliedObject, 'appliedAt'>[];
  sent: number;
  failure?: ApplyFailure;
}

/** What applying reads: the placed objects, the records, and who else claims them. */
export interface ApplyInputs {
  objects: readonly RenderedObject[];
  placed: ReadonlyMap<RenderedObject, PlacedObject>;
  /** This application's records on the target, by key. */
  records: ReadonlyMap<string, AppliedObject>;
  /** Keys of objects not yet recorded here that another application has applied: key → its name. */
  claims: ReadonlyMap<string, string>;
}

/**
 * Applies one component's objects, `pre` → main → `post`, 8 at a time. An object whose content hash
 * matches its record is not sent (unless resyncing); an object another application claims is never
 * taken over. Returns the component's health over what was applied.
 */
export async function applyComponent(
  request: ComponentApplyRequest,
  applier: ClusterApplier,
  health: HealthSource,
  name: string,
  inputs: ApplyInputs,
): Promise<ComponentApply> {
  const { target } = request;
  const out: Omit<AppliedObject, 'appliedAt'>[] = [];
  let sent = 0;
  let workload: WatchedObject | undefined;
  const checks: WatchedObject[] = [];
  for (const stage of STAGES) {
    const batch = inputs.objects.filter((o) => o.stage === stage);
    const results = await mapLimit(batch, PARALLEL_APPLIES, async (rendered) => {
      const manifest = rendered.object as KubeManifest;
      const hash = contentHash(manifest);
      const { ref: placedRef, key } = inputs.placed.get(rendered)!;
      const record = inputs.records.get(key);
      let live: KubeObject | undefined;
      const owner = inputs.claims.get(key);
      if (owner !== undefined)
        throw new ConflictError(
          `${describeRef(placedRef)} is applied by application ${owner}; two applications cannot own one object`,
        );
      if (record && record.hash === hash && !request.resync) {
        live = undefined;
      } else {
        live = record
          ? await applier.apply(manifest, { defaultNamespace: target.namespace })
          : await firstApply(request, applier, manifest);
        sent += 1;
      }
      const ref = live ? objectRef(live) : record!.object;
      return { rendered, ref, live, hash };
    }).catch((error: unknown) => ({ error }));
    if ('error' in results) {
      const message = (results.error as Error).message;
      const unreachable = isUnreachable(results.error);
      return {
        cell: { name, cluster: target.cluster, health: 'Unhealthy', message: `apply failed: ${message}` },
        records: [...inputs.records.values()].filter((r) => r.component === name),
        sent,
        failure: unreachable
          ? { reason: TargetReason.ClusterUnreachable, message: `unreachable: ${message}` }
          : { reason: TargetReason.ApplyFailed, message },
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
  return { cell: componentHealth(health, name, target.cluster, workload, checks), records: out, sent };
}

/**
 * The first apply of an object does not force: if fields of it belong to another manager (someone created
 * the object with kubectl, or another tool manages it) the server answers 409, and Gantry takes it over
 * only when it already carries this application's label or the application opts in (prune.adoptUnowned).
 */
async function firstApply(
  request: ComponentApplyRequest,
  applier: ClusterApplier,
  manifest: KubeManifest,
): Promise<KubeObject> {
  const options = { defaultNamespace: request.target.namespace };
  try {
    return await applier.apply(manifest, { ...options, force: false });
  } catch (error) {
    if ((error as { status?: unknown }).status !== 409) throw error;
    const ref = await applier.placedRef(manifest, request.target.namespace);
    const live = await applier.get(ref);
    if (live?.metadata.labels?.[APP_LABEL] === request.app || request.adoptUnowned)
      return applier.apply(manifest, options);
    throw new ConflictError(
      `${describeRef(ref)} exists and other managers own its fields (${(error as Error).message}); set spec.prune.adoptUnowned to take it over`,
    );
  }
}

/** A network failure (the client reports status 0), as opposed to an answer from the API server. */
export function isUnreachable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 0;
}
