import type { KubeObject } from '@gantry/fleet';
import type { HealthState } from '@gantry/model';
import type { CelEngine } from '../cel-environment.ts';
import { evaluateHealthPolicy } from '../health-policy.ts';
import { refKey, type ObjectRef } from '../kube/applier.ts';
import { DEFAULT_WORKLOAD_KINDS } from '../kube/workload-watcher.ts';

/** One cell of the components × clusters matrix. */
export interface ComponentHealth {
  name: string;
  cluster: string;
  health: HealthState;
  message?: string;
  workload?: string;
  /** Not applied yet on this target: a component it depends on is not healthy there. */
  blocked?: boolean;
}

/** An applied object whose health a policy tells: the component's workload, or another with `health`. */
export interface WatchedObject {
  ref: ObjectRef;
  /** What the apply answered, when this pass sent it. */
  live: KubeObject | undefined;
  health?: string;
}

/** What health is read with: the cluster's workload watch, the CEL engine, and the progress clock. */
export interface HealthSource {
  engine: CelEngine;
  /** The live object as the cluster's workload watch last saw it, if it has. */
  live(ref: ObjectRef): KubeObject | undefined;
  /** Has the cluster's watch follow a kind whose objects a health policy reads (workload kinds always are). */
  watch?(kind: { apiVersion: string; kind: string }): void;
  progress: ProgressTracker;
  now(): number;
}

/**
 * A component's health: its workload's health policy over the live object (the watch's copy, else the
 * apply's answer), and the policies of its other objects that have one (a trait's PodDisruptionBudget):
 * the worst of them, with the message of each one that is not healthy.
 */
export function componentHealth(
  source: HealthSource,
  name: string,
  cluster: string,
  workload: WatchedObject | undefined,
  checks: readonly WatchedObject[] = [],
): ComponentHealth {
  const label = workload ? describeObject(workload.ref) : undefined;
  const main = !workload
    ? { health: 'Healthy' as const, message: 'applied' }
    : !workload.health
      ? { health: 'Healthy' as const, message: 'applied (no health policy)' }
      : objectHealth(source, cluster, workload, workload.health, 'the workload');
  const others = checks.map((check) => ({
    check,
    verdict: objectHealth(source, cluster, check, check.health!, 'it'),
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
  source: HealthSource,
  cluster: string,
  object: WatchedObject,
  policy: string,
  what: string,
): { health: HealthState; message?: string } {
  if (!DEFAULT_KINDS.has(`${object.ref.apiVersion}/${object.ref.kind}`)) source.watch?.(object.ref);
  const live = newest(source.live(object.ref), object.live);
  if (!live) return { health: 'Progressing', message: `waiting for the cluster to report ${what}` };
  const verdict = evaluateHealthPolicy(source.engine, policy, live);
  if (!verdict.ok) return { health: 'Unknown', message: `health policy failed: ${verdict.error.message}` };
  const fresh = (live.metadata as { generation?: number }).generation ?? 0;
  const observed = (live.status as { observedGeneration?: number } | undefined)?.observedGeneration;
  const key = `${cluster}/${refKey(object.ref)}`;
  let health: HealthState;
  if (verdict.healthy) {
    source.progress.healthy(key);
    health = 'Healthy';
  } else {
    // An object that has not yet converged on its latest generation is progressing: while its
    // controller has not observed it, and for a grace period after (a rollout replacing pods).
    const since = source.progress.notHealthySince(key, fresh, source.now());
    health =
      (observed !== undefined && observed < fresh) || source.now() - since < source.progress.graceMs
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
