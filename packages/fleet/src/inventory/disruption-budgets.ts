import type {
  LabelSelectorSummary,
  PodDisruptionBudgetSummary,
  WorkloadKind,
  WorkloadSummary,
} from '@gantry/model';
import type { KubeObject } from '../kube/kube-client.ts';

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const strings = (value: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(value)).filter(([, v]) => typeof v === 'string')) as Record<
    string,
    string
  >;
/** An IntOrString as written (`2`, `50%`). */
const intOrString = (value: unknown): string | undefined =>
  typeof value === 'number' || typeof value === 'string' ? String(value) : undefined;

/** A Kubernetes LabelSelector, kept as written; null when the object has none. */
export function summarizeSelector(value: unknown): LabelSelectorSummary | null {
  if (typeof value !== 'object' || value === null) return null;
  const selector = value as Json;
  const matchLabels = strings(selector.matchLabels);
  const matchExpressions = (Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []).map(
    (raw) => {
      const expression = obj(raw);
      return {
        key: String(expression.key),
        operator: String(expression.operator),
        ...(Array.isArray(expression.values) ? { values: expression.values.map(String) } : {}),
      };
    },
  );
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
}

export function summarizePodDisruptionBudget(object: KubeObject): PodDisruptionBudgetSummary {
  const spec = obj(object.spec);
  const status = obj(object.status);
  const minAvailable = intOrString(spec.minAvailable);
  const maxUnavailable = intOrString(spec.maxUnavailable);
  return {
    selector: summarizeSelector(spec.selector),
    ...(minAvailable !== undefined ? { minAvailable } : {}),
    ...(maxUnavailable !== undefined ? { maxUnavailable } : {}),
    currentHealthy: num(status.currentHealthy),
    desiredHealthy: num(status.desiredHealthy),
    disruptionsAllowed: num(status.disruptionsAllowed),
    expectedPods: num(status.expectedPods),
    ...(object.metadata.creationTimestamp ? { createdAt: object.metadata.creationTimestamp } : {}),
  };
}

/**
 * Whether `selector` selects an object with `labels`, as Kubernetes' `metav1.LabelSelectorAsSelector`
 * does for policy/v1: null selects nothing, an empty selector everything; every `matchLabels` pair and
 * every expression (`In`, `NotIn`, `Exists`, `DoesNotExist`) must hold. An unknown operator selects
 * nothing (the API server refuses such a selector, so it is never seen in practice).
 */
export function selectorMatches(
  selector: LabelSelectorSummary | null,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (selector === null) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    switch (operator) {
      case 'In':
        if (!has || !values.includes(labels[key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The labels a workload gives its pods: what a PodDisruptionBudget's selector is matched against. */
export function podTemplateLabels(kind: WorkloadKind, object: KubeObject): Record<string, string> {
  const spec = obj(object.spec);
  const template = kind === 'CronJob' ? obj(obj(obj(spec.jobTemplate).spec).template) : obj(spec.template);
  return strings(obj(template.metadata).labels);
}

/**
 * The PodDisruptionBudgets of one cluster, by namespace, as the fleet's connection last listed and
 * watched them. `coverage` is undefined until a full list has been seen (`synced`): before that Gantry
 * cannot tell "no budget" from "not listed yet", and says nothing.
 */
export class DisruptionBudgetIndex {
  readonly #byNamespace = new Map<string, Map<string, LabelSelectorSummary | null>>();
  #synced = false;

  get synced(): boolean {
    return this.#synced;
  }

  /** Replaces everything with a complete list; from then on coverage is known. */
  replace(
    budgets: Iterable<{ namespace: string; name: string; selector: LabelSelectorSummary | null }>,
  ): void {
    this.#byNamespace.clear();
    for (const budget of budgets) this.set(budget.namespace, budget.name, budget.selector);
    this.#synced = true;
  }

  set(namespace: string, name: string, selector: LabelSelectorSummary | null): void {
    let budgets = this.#byNamespace.get(namespace);
    if (!budgets) this.#byNamespace.set(namespace, (budgets = new Map()));
    budgets.set(name, selector);
  }

  delete(namespace: string, name: string): void {
    const budgets = this.#byNamespace.get(namespace);
    budgets?.delete(name);
    if (budgets?.size === 0) this.#byNamespace.delete(namespace);
  }

  /** Whether a budget of `namespace` selects pods labelled `podLabels`; undefined before the first list. */
  coverage(
    namespace: string,
    podLabels: Readonly<Record<string, string>>,
  ): WorkloadSummary['podDisruptionBudget'] {
    if (!this.#synced) return undefined;
    for (const selector of this.#byNamespace.get(namespace)?.values() ?? [])
      if (selectorMatches(selector, podLabels)) return 'covered';
    return 'uncovered';
  }
}
