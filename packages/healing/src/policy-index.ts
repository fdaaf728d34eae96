import { matchesSelector } from '@gantry/model';
import type { CompiledPolicy } from './compile.ts';
import { passesGuards, type MatchGuard } from './match-guards.ts';
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

  /**
   * Evaluates every policy's match CEL `rounds` times over a trigger of its kind with empty fields, so that
   * the first real triggers after a (re)build do not pay for the engine's cold code: measured, the first
   * dozen matches after a build were each 5-50 times slower than the median (bench/README.md). The answers
   * are thrown away; a CEL that errs on empty fields warms as well.
   */
  warm(rounds = 5): void {
    for (let round = 0; round < rounds; round++)
      for (const policies of this.#byTeamKind.values())
        for (const policy of policies) {
          if (policy.trigger.kind === 'condition') continue;
          // A new bindings object each round, as each real trigger brings (its conversion is warmed too),
          // that passes the policy's guards, so the CEL runs past its first operands as a real match does.
          const binding = emptyBinding(policy.trigger.kind);
          for (const guard of policy.trigger.guards) setPath(binding, guard.path, guardExample(guard));
          policy.trigger.match.evaluate({ [policy.trigger.kind]: binding });
        }
  }

  /** The policies triggered by a lasting inventory condition. */
  get conditionPolicies(): readonly CompiledPolicy[] {
    return this.#conditions;
  }
}

/** A string that passes a guard. */
function guardExample(guard: MatchGuard): string {
  const test = guard.test;
  if ('equals' in test) return test.equals.values().next().value ?? '';
  return 'prefix' in test ? test.prefix : test.contains;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: string): void {
  let node = target;
  path.forEach((field, i) => {
    if (i === path.length - 1) node[field] = value;
    else {
      const next = node[field];
      node = (node[field] =
        typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {}) as Record<
        string,
        unknown
      >;
    }
  });
}

/** A trigger's binding of each kind with its fields empty (the shapes the trigger sources give). */
function emptyBinding(kind: 'exception' | 'alert' | 'risk'): Record<string, unknown> {
  switch (kind) {
    case 'exception':
      return { id: '', title: '', severity: '', state: '', entities: [], correlationKey: '', level: '' };
    case 'alert':
      return { fingerprint: '', labels: {}, annotations: {}, state: '' };
    case 'risk':
      return { id: '', title: '', score: 0, source: '', sourceKind: '', check: '', entities: [] };
  }
}
