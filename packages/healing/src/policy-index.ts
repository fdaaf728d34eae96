import { matchesSelector } from '@gantry/model';
import type { CompiledPolicy } from './compile.ts';
import { passesGuards } from './match-guards.ts';
import type { HealingEntity, HealingTriggerView, TriggerInterest } from './ports.ts';

export interface PolicyMatch {
  policy: CompiledPolicy;
  entity: HealingEntity;
}

/**
 * The policies of every team, indexed by team and trigger kind, with their CEL compiled once: matching a
 * new exception, alert or risk evaluates only the team's policies of that kind, the cheap tests (the
 * match's string guards, subject, selector) before the CEL. A match CEL that errs on a trigger (a missing
 * key) does not match.
 */
export class PolicyIndex {
  readonly #byTeamKind = new Map<string, CompiledPolicy[]>();
  readonly #conditions: CompiledPolicy[] = [];
  /** The teams with policies of each trigger kind. */
  readonly interest: TriggerInterest;

  constructor(policies: readonly CompiledPolicy[]) {
    for (const policy of policies) {
      if (policy.spec.suspend) continue;
      if (policy.trigger.kind === 'condition') {
        this.#conditions.push(policy);
        continue;
      }
      const key = `${policy.team}/${policy.trigger.kind}`;
      const list = this.#byTeamKind.get(key) ?? [];
      list.push(policy);
      this.#byTeamKind.set(key, list);
    }
    const teams = (kind: string) =>
      new Set(
        [...this.#byTeamKind.keys()]
          .filter((key) => key.endsWith(`/${kind}`))
          .map((key) => key.slice(0, key.lastIndexOf('/'))),
      );
    this.interest = { exception: teams('exception'), alert: teams('alert'), risk: teams('risk') };
  }

  /** The policies (and, for each, the trigger's entities it heals) that a trigger matches. */
  match(trigger: HealingTriggerView): PolicyMatch[] {
    const candidates = this.#byTeamKind.get(`${trigger.team}/${trigger.kind}`);
    if (!candidates) return [];
    const matches: PolicyMatch[] = [];
    // One bindings object per trigger: the CEL engine converts it once for all the policies.
    const bindings = { [trigger.kind]: trigger.binding };
    for (const policy of candidates) {
      if (policy.trigger.kind === 'condition') continue;
      if (!passesGuards(policy.trigger.guards, trigger.binding)) continue;
      const entities = trigger.entities.filter(
        (entity) =>
          entity.kind === policy.spec.scope.subject &&
          (!policy.selector || matchesSelector(policy.selector, entity.labels)),
      );
      if (entities.length === 0) continue;
      const result = policy.trigger.match.evaluate(bindings);
      if (!result.ok || result.value !== true) continue;
      for (const entity of entities) matches.push({ policy, entity });
    }
    return matches;
  }

  /** The policies triggered by a lasting inventory condition. */
  get conditionPolicies(): readonly CompiledPolicy[] {
    return this.#conditions;
  }
}
