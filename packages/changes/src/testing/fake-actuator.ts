import type { ChangeSpec, ChangeTargets } from '@gantry/model';
import type { ActuatorOutcome, ApplyRequest, ChangeActuator, TargetResolution } from '../actuator.ts';

/**
 * An actuator for tests: a fixed set of entities; applying records the effect once per idempotency key
 * (as a real actuator must), and can be told to fail an entity or to hang (a server killed mid-call).
 */
export class FakeActuator implements ChangeActuator {
  readonly entityKind = 'Node';
  /** Every call, in order. */
  readonly calls: ApplyRequest[] = [];
  /** Effects by idempotency key: a key applied twice still counts once. */
  readonly effects = new Map<string, string>();
  /** Entities that fail (each attempt, until removed). */
  readonly failing = new Map<string, string>();
  /** Entities whose next call takes effect, then never answers. */
  readonly hanging = new Set<string>();
  /** Set by a test to make `apply` answer Running and be followed. */
  progress?: ChangeActuator['progress'];
  /** Undo calls in order, and their effects by idempotency key (an entity undone twice counts twice). */
  readonly undoCalls: ApplyRequest[] = [];
  readonly undone = new Map<string, string>();
  /** Entities whose undo fails (until removed). */
  readonly failingUndo = new Map<string, string>();
  /** Labels of entities (the cluster is added from the name), for disruption budgets. */
  readonly entityLabels = new Map<string, Record<string, string>>();

  constructor(readonly entities: string[]) {}

  canUndo(): boolean {
    return true;
  }

  undo(request: ApplyRequest): Promise<ActuatorOutcome> {
    this.undoCalls.push(request);
    const failure = this.failingUndo.get(request.entity);
    if (failure !== undefined)
      return Promise.resolve({ status: 'Failed', reason: 'Injected', message: failure });
    if (!this.undone.has(request.key)) this.undone.set(request.key, request.entity);
    return Promise.resolve({ status: 'Succeeded', message: 'undone' });
  }

  labels(): Promise<Map<string, Record<string, string>>> {
    return Promise.resolve(
      new Map(
        this.entities.map((entity) => [
          entity,
          { ...this.entityLabels.get(entity), 'gantry.dev/cluster': entity.slice(0, entity.indexOf('/')) },
        ]),
      ),
    );
  }

  /** The entities undone, in the order their undo took effect. */
  undoOrder(): string[] {
    return [...this.undone.values()];
  }

  resolve(_team: string, _spec: ChangeSpec, targets: ChangeTargets): Promise<TargetResolution> {
    if (targets.names) {
      const unknown = targets.names.filter((name) => !this.entities.includes(name));
      if (unknown.length > 0)
        return Promise.resolve({ ok: false, reason: 'NodeNotFound', message: unknown.join(', ') });
      return Promise.resolve({ ok: true, entities: [...targets.names] });
    }
    return Promise.resolve({ ok: true, entities: [...this.entities].sort() });
  }

  apply(request: ApplyRequest): Promise<ActuatorOutcome> {
    this.calls.push(request);
    const failure = this.failing.get(request.entity);
    if (failure !== undefined)
      return Promise.resolve({ status: 'Failed', reason: 'Injected', message: failure });
    if (!this.effects.has(request.key)) this.effects.set(request.key, request.entity);
    if (this.hanging.delete(request.entity)) return new Promise<ActuatorOutcome>(() => undefined);
    return Promise.resolve({ status: 'Succeeded', message: 'done' });
  }

  /** How many times each entity was changed (effects, not calls). */
  effectCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const entity of this.effects.values()) counts.set(entity, (counts.get(entity) ?? 0) + 1);
    return counts;
  }

  subject(team: string, entity: string) {
    const slash = entity.indexOf('/');
    return { kind: 'Node', team, cluster: entity.slice(0, slash), name: entity.slice(slash + 1) };
  }
}
