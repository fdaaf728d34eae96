import type { ComponentSpec } from '@gantry/model';
import type { AppliedObject } from '@gantry/store';
import type { AppliedRecords } from './term-records.ts';
import type { Composer, DefinitionSet, RenderedObject } from '../compose/compose.ts';
import type { ClusterApplier } from '../kube/applier.ts';
import type { Target } from '../targets.ts';
import { applyComponent, isUnreachable, type ApplyFailure } from './claimed-apply.ts';
import { componentHealth, type ComponentHealth, type HealthSource } from './component-health.ts';
import { inDependencyOrder } from './dependency-order.ts';
import { placeAll } from './object-keys.ts';
import { prune, type PruneOptions } from './prune.ts';
import { watchedObjectsOf, type RenderCache } from './render-cache.ts';
import { TargetReason, targetOutcome, type TargetOutcome } from './target-outcome.ts';

export type { PruneOptions } from './prune.ts';

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
  /** The revision's hash (spec and definitions): with the components and target it keys the render cache. */
  revisionHash?: string;
  /** What is recorded for this target, when the caller has read it already (read here otherwise). */
  recorded?: readonly AppliedObject[];
}

export interface DeployDeps extends HealthSource {
  composer: Composer;
  applier: ClusterApplier;
  records: AppliedRecords;
  /** Namespaces known to exist on the cluster (checked once, forgotten when an apply fails). */
  namespaces?: Set<string>;
  /** What the last clean pass over each target rendered; lets a health-only reconcile skip rendering. */
  delivered?: RenderCache;
}

/**
 * Delivers one application revision to one target: renders every component, applies them in dependsOn
 * order (a component waits until what it depends on is healthy here), records what was applied, prunes
 * what the revision no longer renders, and reports each component's health.
 */
export async function deployTarget(request: DeployRequest, deps: DeployDeps): Promise<TargetOutcome> {
  const { target } = request;
  const pass = request.revisionHash ? { ...request, revisionHash: request.revisionHash } : undefined;
  const fingerprint = pass && deps.delivered?.fingerprint(pass);
  const recorded = request.recorded ?? (await deps.records.list(request.team, request.app, target.cluster));

  // Nothing changed since the last clean pass here: only health is left to look at.
  if (pass && fingerprint && !request.resync) {
    const known = deps.delivered!.unchanged(pass, fingerprint, recorded);
    if (known) {
      const cells = request.components.map((c) =>
        componentHealth(deps, c.name, target.cluster, known.workloads.get(c.name), known.checks.get(c.name)),
      );
      return targetOutcome(TargetReason.Applied, target, undefined, cells);
    }
  }

  // A target gets nothing until all of it renders.
  const rendering = await renderAll(request, deps.composer);
  if (!rendering.ok) {
    const cells = request.components.map((c) => ({
      name: c.name,
      cluster: target.cluster,
      health: 'Unknown' as const,
      message: 'not rendered',
    }));
    return targetOutcome(TargetReason.RenderFailed, target, rendering.message, cells);
  }
  const { rendered } = rendering;

  const records = new Map(recorded.map((r) => [r.ref, r]));
  let placed: Awaited<ReturnType<typeof placeAll>>;
  try {
    placed = await placeAll(deps.applier, [...rendered.values()].flat(), target.namespace);
    if (!deps.namespaces?.has(target.namespace)) {
      const namespace = await deps.applier.ensureNamespace(target.namespace);
      if (namespace === 'terminating')
        return targetOutcome(
          TargetReason.NamespaceTerminating,
          target,
          `namespace ${target.namespace} is being deleted`,
          [],
        );
      deps.namespaces?.add(target.namespace);
    }
  } catch (error) {
    const reason = isUnreachable(error) ? TargetReason.ClusterUnreachable : TargetReason.ApplyFailed;
    return targetOutcome(reason, target, (error as Error).message, []);
  }
  // Objects this application has not applied yet may belong to another one: never take them over.
  const fresh = [...placed.values()].map((p) => p.key).filter((key) => !records.has(key));
  const claims =
    fresh.length > 0
      ? await deps.records.claimedByOthers(request.team, request.app, target.cluster, fresh)
      : new Map<string, string>();

  const cells = new Map<string, ComponentHealth>();
  const appliedRecords: Omit<AppliedObject, 'appliedAt'>[] = [];
  const failures: (ApplyFailure & { component: string })[] = [];
  let sent = 0;
  const applyRequest = { ...request, adoptUnowned: request.prune.adoptUnowned };
  await inDependencyOrder(request.components, async ({ name, dependsOn }) => {
    const blocking = (dependsOn ?? []).filter((d) => cells.get(d)?.health !== 'Healthy');
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
    const objects = rendered.get(name)!;
    const result = await applyComponent(applyRequest, deps.applier, deps, name, {
      objects,
      placed,
      records,
      claims,
    });
    sent += result.sent;
    appliedRecords.push(...result.records);
    if (result.failure) {
      failures.push({ ...result.failure, component: name });
      deps.namespaces?.delete(target.namespace); // it may be what went missing
    }
    cells.set(name, result.cell);
  });
  await deps.records.record(appliedRecords, new Date(deps.now()).toISOString());

  // Prune what no component renders any more (only once everything rendered and applied cleanly).
  let pruned = 0;
  const pruneProblems: string[] = [];
  if (failures.length === 0 && request.prune.enabled) {
    const keep = new Set([...appliedRecords.map((r) => r.ref), ...[...placed.values()].map((p) => p.key)]);
    const stale = [...records.values()].filter((r) => !keep.has(r.ref));
    const result = await prune({ ...request, cluster: target.cluster }, deps.applier, deps.records, stale);
    pruned = result.deleted;
    pruneProblems.push(...result.problems);
  }

  const ordered = request.components.map((c) => cells.get(c.name)!).filter(Boolean);
  const clean = failures.length === 0 && pruneProblems.length === 0 && ordered.every((c) => !c.blocked);
  if (pass && fingerprint && clean)
    deps.delivered!.remember(pass, {
      fingerprint,
      hashes: new Map(appliedRecords.map((r) => [r.ref, r.hash])),
      ...watchedObjectsOf(rendered, appliedRecords, placed),
    });
  else deps.delivered?.forget(request);

  const counts = { sent, pruned };
  if (failures.length > 0) {
    const reason = failures.some((f) => f.reason === TargetReason.ClusterUnreachable)
      ? TargetReason.ClusterUnreachable
      : TargetReason.ApplyFailed;
    const message = failures.map((f) => `${f.component}: ${f.message}`).join(' | ');
    return targetOutcome(reason, target, message, ordered, counts);
  }
  const waiting = ordered.filter((c) => c.blocked);
  if (waiting.length > 0) {
    const message = waiting.map((c) => `${c.name} ${c.message}`).join('; ');
    return targetOutcome(TargetReason.WaitingForDependencies, target, message, ordered, counts);
  }
  const message = pruneProblems.length > 0 ? `prune: ${pruneProblems.join('; ')}` : undefined;
  return targetOutcome(TargetReason.Applied, target, message, ordered, counts);
}

type Rendering = { ok: true; rendered: Map<string, RenderedObject[]> } | { ok: false; message: string };

/** Every component of the target rendered, or what failed to render in each that did not. */
async function renderAll(request: DeployRequest, composer: Composer): Promise<Rendering> {
  const { target } = request;
  const rendered = new Map<string, RenderedObject[]>();
  const errors: string[] = [];
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
    const result = await composer.compose(request.definitions, component, context);
    if (result.ok) rendered.set(component.name, result.objects);
    else
      errors.push(
        `${component.name}: ${result.errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`,
      );
  }
  return errors.length > 0
    ? { ok: false, message: `rendering failed: ${errors.join(' | ')}` }
    : { ok: true, rendered };
}
