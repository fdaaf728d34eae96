import {
  CLUSTER_DOMAIN_LABEL,
  matchesSelector,
  parseLabelSelector,
  type DisruptionBudgetSpec,
  type Resource,
} from '@gantry/model';
import type { ResourceRepository } from '@gantry/store';

/** An entity some holder (a change, later a drain or a healing action) has out now. */
export interface DisruptionHolding {
  /** `Node`, `Host`: a budget counts the holdings of its kind only. */
  entityKind: string;
  entity: string;
  /** `change/<name>` for changes. */
  holder: string;
}

export type BudgetAnswer =
  { ok: true } | { ok: false; budget: string; domain: string; held: number; max: number; message: string };

/**
 * The shared disruption budget (ADR 0030): before an actuator takes an entity out, it asks; the answer
 * counts every entity of the same failure domain that any holder has out now. Implementations must
 * serialize `acquire` per team with the writes that make a holding visible (the engine's journal step).
 */
export interface DisruptionBudgets {
  acquire(request: {
    team: string;
    entityKind: string;
    entity: string;
    holder: string;
    /** Entities held now, by every holder of the team (the caller's own included). */
    holdings: readonly DisruptionHolding[];
  }): Promise<BudgetAnswer>;
  /** Whether any budget of the team counts entities of this kind; absent, every take is counted. */
  governs?(team: string, entityKind: string): Promise<boolean>;
}

/** The labels of every entity of a kind in a team (with `gantry.dev/cluster`), for domains and percentages. */
export type EntityLabels = (team: string, entityKind: string) => Promise<Map<string, Record<string, string>>>;

/** The largest number out at once `maxUnavailable` allows in a domain of `members` entities. */
export function allowedUnavailable(maxUnavailable: string, members: number): number {
  if (!maxUnavailable.endsWith('%')) return Number(maxUnavailable);
  const percent = Number(maxUnavailable.slice(0, -1));
  if (percent === 0) return 0;
  return Math.max(1, Math.floor((percent * members) / 100));
}

/**
 * DisruptionBudgets read from the team's `DisruptionBudget` resources and the entities' labels. Holdings
 * are the caller's (the change engine passes what its journals hold), so the count is as durable and as
 * fenced as those journals.
 */
export class ResourceDisruptionBudgets implements DisruptionBudgets {
  constructor(
    private readonly deps: {
      repository: Pick<ResourceRepository, 'list'>;
      labels: EntityLabels;
    },
  ) {}

  async governs(team: string, entityKind: string): Promise<boolean> {
    return (await this.#budgets(team, entityKind)).length > 0;
  }

  async #budgets(team: string, entityKind: string): Promise<Resource<DisruptionBudgetSpec>[]> {
    const page = await this.deps.repository.list({ kind: 'DisruptionBudget', teams: [team], limit: 10_000 });
    return page.items
      .map((item) => JSON.parse(item.json) as Resource<DisruptionBudgetSpec>)
      .filter((budget) => (budget.spec.entityKind ?? 'Node') === entityKind);
  }

  async acquire(request: Parameters<DisruptionBudgets['acquire']>[0]): Promise<BudgetAnswer> {
    const budgets = await this.#budgets(request.team, request.entityKind);
    if (budgets.length === 0) return { ok: true };
    const labels = await this.deps.labels(request.team, request.entityKind);
    const own = labels.get(request.entity) ?? {};
    const others = new Set(
      request.holdings
        .filter((holding) => holding.entityKind === request.entityKind && holding.entity !== request.entity)
        .map((holding) => holding.entity),
    );
    for (const budget of budgets) {
      const selector =
        budget.spec.selector !== undefined && budget.spec.selector !== ''
          ? parseLabelSelector(budget.spec.selector)
          : undefined;
      const covers = (entityLabels: Record<string, string>) =>
        !selector || matchesSelector(selector, entityLabels);
      if (!covers(own)) continue;
      const domainLabel = budget.spec.domainLabel ?? CLUSTER_DOMAIN_LABEL;
      const domain = own[domainLabel] ?? '';
      const inDomain = (entityLabels: Record<string, string>) =>
        (entityLabels[domainLabel] ?? '') === domain && covers(entityLabels);
      // Held: every holding of the domain, known to the inventory or not (unknown ones have no labels).
      let held = 0;
      for (const entity of others) if (inDomain(labels.get(entity) ?? {})) held += 1;
      let members = 0;
      for (const entityLabels of labels.values()) if (inDomain(entityLabels)) members += 1;
      members = Math.max(members, held + 1);
      const max = allowedUnavailable(budget.spec.maxUnavailable, members);
      if (held + 1 > max)
        return {
          ok: false,
          budget: budget.metadata.name,
          domain,
          held,
          max,
          message: `DisruptionBudget ${budget.metadata.name}: ${held} of ${members} entit${members === 1 ? 'y' : 'ies'} in ${domainLabel}=${domain || '""'} out already, at most ${max} (${budget.spec.maxUnavailable})`,
        };
    }
    return { ok: true };
  }
}
