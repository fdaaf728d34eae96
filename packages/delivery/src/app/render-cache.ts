import type { ComponentSpec } from '@gantry/model';
import type { AppliedObject } from '@gantry/store';
import type { RenderedObject } from '../compose/compose.ts';
import type { ObjectRef } from '../kube/applier.ts';
import type { Target } from '../targets.ts';
import type { WatchedObject } from './component-health.ts';
import { sha256 } from './hash.ts';
import type { PlacedObject } from './object-keys.ts';

/** What the last clean pass over one target rendered and recorded. */
export interface DeliveredPass {
  /** Of the revision's hash, the target's components (overrides applied) and the target. */
  fingerprint: string;
  /** Record key → content hash, as recorded. */
  hashes: Map<string, string>;
  /** Per component: its workload, and its other objects with a health policy. */
  workloads: Map<string, WatchedObject>;
  checks: Map<string, WatchedObject[]>;
}

/** Which pass: one application on one target. */
export interface PassKey {
  team: string;
  app: string;
  revisionHash: string;
  target: Target;
  components: readonly ComponentSpec[];
}

/**
 * Lets a reconcile that changes nothing skip rendering: per target (`team/app/cluster`), the fingerprint
 * of the last clean pass and what it recorded. A pass whose fingerprint and records still match needs
 * only a health check. Held by the controller while it leads.
 */
export class RenderCache {
  readonly #passes = new Map<string, DeliveredPass>();

  fingerprint(pass: PassKey): string {
    return sha256({ revision: pass.revisionHash, components: pass.components, target: pass.target });
  }

  /** The last clean pass, when it had this fingerprint and the records are still what it recorded. */
  unchanged(
    pass: PassKey,
    fingerprint: string,
    recorded: readonly AppliedObject[],
  ): DeliveredPass | undefined {
    const known = this.#passes.get(idOf(pass));
    if (known?.fingerprint !== fingerprint) return undefined;
    const same =
      recorded.length === known.hashes.size && recorded.every((r) => known.hashes.get(r.ref) === r.hash);
    return same ? known : undefined;
  }

  remember(pass: PassKey, delivered: DeliveredPass): void {
    this.#passes.set(idOf(pass), delivered);
  }

  forget(pass: Pick<PassKey, 'team' | 'app' | 'target'>): void {
    this.#passes.delete(idOf(pass));
  }

  /** Every target of an application (it was deleted). */
  forgetApplication(team: string, app: string): void {
    for (const id of [...this.#passes.keys()]) if (id.startsWith(`${team}/${app}/`)) this.#passes.delete(id);
  }

  clear(): void {
    this.#passes.clear();
  }
}

function idOf(pass: Pick<PassKey, 'team' | 'app' | 'target'>): string {
  return `${pass.team}/${pass.app}/${pass.target.cluster}`;
}

/** Each component's workload and other objects with a health policy, by the refs they were recorded with. */
export function watchedObjectsOf(
  rendered: ReadonlyMap<string, readonly RenderedObject[]>,
  records: readonly Omit<AppliedObject, 'appliedAt'>[],
  placed: ReadonlyMap<RenderedObject, PlacedObject>,
): Pick<DeliveredPass, 'workloads' | 'checks'> {
  const byKey = new Map(records.map((r) => [r.ref, r.object as ObjectRef]));
  const workloads = new Map<string, WatchedObject>();
  const checks = new Map<string, WatchedObject[]>();
  for (const [component, objects] of rendered) {
    for (const object of objects) {
      const ref = byKey.get(placed.get(object)?.key ?? '');
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
