import {
  DIAGNOSIS_RESERVED_ACTIONS,
  parseLabelSelector,
  type DiagnosisConclusion,
  type DiagnosisEvidence,
  type DiagnosisOutcome,
  type DiagnosisSubject,
  type DiagnosisTreeSpec,
  type ErrorDetail,
  type HealingAction,
  type HealingPolicySpec,
  type LabelSelector,
} from '@gantry/model';
import type { CelEngine, CelProgram } from '@gantry/delivery';
import { celReferences } from './cel-references.ts';
import { matchGuards, type MatchGuard } from './match-guards.ts';
import { durationMs } from './duration.ts';
import { checkKubernetesJobTemplate } from './kubernetes-job-template.ts';
import { unknownPlaceholders } from './template.ts';

/** The variables a tree's branch may read. */
const TREE_VARIABLES = new Set(['evidence', 'entity', 'trigger']);

export type CompiledOutcome = { next: string } | { conclude: DiagnosisConclusion; path: string };

export interface CompiledBranch {
  when: CelProgram;
  /** The evidence (declared names) the expression reads, collected before it is evaluated. */
  evidence: string[];
  outcome: CompiledOutcome;
}

export interface CompiledStep {
  name: string;
  branches: CompiledBranch[];
  otherwise: CompiledOutcome;
}

export interface CompiledEvidence {
  name: string;
  /** The key CEL reads it under: dashes become underscores. */
  key: string;
  spec: DiagnosisEvidence;
}

export interface CompiledTree {
  name: string;
  subject: DiagnosisSubject;
  root: string;
  evidence: Map<string, CompiledEvidence>;
  steps: Map<string, CompiledStep>;
  /** Every conclusion, with its path: a policy checks their actions. */
  conclusions: { path: string; conclusion: DiagnosisConclusion }[];
}

export type Compiled<T> = { ok: true; value: T } | { ok: false; errors: ErrorDetail[] };

/**
 * Checks what a DiagnosisTree's schema cannot, with the path of each problem: exactly one source per
 * evidence step, known placeholders, unique names; exactly one of next and conclude per branch; CEL that
 * compiles and reads only `evidence`, `entity` and `trigger`, and only declared evidence; a root and
 * `next`s that name steps; no cycle; no step the root cannot reach; no branch after one that is always
 * true. Compiles every expression once.
 */
export function compileTree(
  engine: CelEngine,
  name: string,
  spec: DiagnosisTreeSpec,
): Compiled<CompiledTree> {
  const errors: ErrorDetail[] = [];
  const evidence = new Map<string, CompiledEvidence>();
  const byKey = new Map<string, string>();
  spec.evidence.forEach((item, index) => {
    const path = `/spec/evidence/${index}`;
    const sources = [
      item.promql,
      item.inventory,
      item.events,
      item.changes,
      item.heartbeat,
      item.job,
      item.alerts,
    ];
    if (sources.filter((source) => source !== undefined).length !== 1)
      errors.push({
        path,
        message: 'set exactly one of promql, inventory, events, changes, heartbeat, job and alerts',
      });
    if (evidence.has(item.name)) errors.push({ path: `${path}/name`, message: `${item.name} is used twice` });
    const key = item.name.replaceAll('-', '_');
    const clash = byKey.get(key);
    if (clash !== undefined && clash !== item.name)
      errors.push({
        path: `${path}/name`,
        message: `${item.name} and ${clash} are both evidence.${key} in CEL`,
      });
    byKey.set(key, item.name);
    evidence.set(item.name, { name: item.name, key, spec: item });
    const texts: [string, string][] = [];
    if (item.promql) texts.push([`${path}/promql/query`, item.promql.query]);
    if (item.job)
      for (const [parameter, value] of Object.entries(item.job.parameters))
        if (typeof value === 'string') texts.push([`${path}/job/parameters/${parameter}`, value]);
    for (const [where, text] of texts)
      for (const unknown of unknownPlaceholders(text))
        errors.push({ path: where, message: `unknown placeholder \${${unknown}}` });
  });

  const stepNames = new Set<string>();
  spec.steps.forEach((step, index) => {
    if (stepNames.has(step.name))
      errors.push({ path: `/spec/steps/${index}/name`, message: `${step.name} is used twice` });
    stepNames.add(step.name);
  });
  if (!stepNames.has(spec.root)) errors.push({ path: '/spec/root', message: `no step ${spec.root}` });

  const conclusions: CompiledTree['conclusions'] = [];
  const outcome = (value: DiagnosisOutcome, path: string): CompiledOutcome | undefined => {
    if ((value.next === undefined) === (value.conclude === undefined)) {
      errors.push({ path, message: 'set exactly one of next and conclude' });
      return undefined;
    }
    if (value.next !== undefined) {
      if (!stepNames.has(value.next)) {
        errors.push({ path: `${path}/next`, message: `no step ${value.next}` });
        return undefined;
      }
      return { next: value.next };
    }
    const conclude = value.conclude!;
    conclude.supporting.forEach((item, index) => {
      if (!evidence.has(item))
        errors.push({ path: `${path}/conclude/supporting/${index}`, message: `no evidence ${item}` });
    });
    conclusions.push({ path: `${path}/conclude`, conclusion: conclude });
    return { conclude, path: `${path}/conclude` };
  };

  const steps = new Map<string, CompiledStep>();
  spec.steps.forEach((step, index) => {
    const path = `/spec/steps/${index}`;
    const branches: CompiledBranch[] = [];
    let alwaysTrueAt: number | undefined;
    step.branches.forEach((branch, at) => {
      const where = `${path}/branches/${at}`;
      if (alwaysTrueAt !== undefined)
        errors.push({
          path: where,
          message: `unreachable: branch ${alwaysTrueAt} is always true`,
        });
      const compiled = engine.compile(branch.when);
      const target = outcome(branch, where);
      if (!compiled.ok) {
        errors.push({ path: `${where}/when`, message: compiled.message });
        return;
      }
      const references = celReferences(branch.when);
      for (const variable of references.variables)
        if (!TREE_VARIABLES.has(variable))
          errors.push({
            path: `${where}/when`,
            message: `unknown variable ${variable} (a branch reads evidence, entity and trigger)`,
          });
      const names: string[] = [];
      for (const key of references.evidence) {
        const declared = byKey.get(key);
        if (declared === undefined) errors.push({ path: `${where}/when`, message: `no evidence ${key}` });
        else names.push(declared);
      }
      if (references.alwaysTrue) alwaysTrueAt ??= at;
      if (target) branches.push({ when: compiled.program, evidence: names, outcome: target });
    });
    const otherwise = outcome(step.otherwise, `${path}/otherwise`);
    if (otherwise) steps.set(step.name, { name: step.name, branches, otherwise });
  });

  if (errors.length === 0) {
    // Reachability from the root, then cycles among what is reachable (every step is, by then).
    const edges = (step: CompiledStep) =>
      [...step.branches.map((branch) => branch.outcome), step.otherwise].flatMap((o) =>
        'next' in o ? [o.next] : [],
      );
    const reached = new Set<string>([spec.root]);
    const queue = [spec.root];
    while (queue.length > 0) {
      const step = steps.get(queue.shift()!)!;
      for (const next of edges(step))
        if (!reached.has(next)) {
          reached.add(next);
          queue.push(next);
        }
    }
    spec.steps.forEach((step, index) => {
      if (!reached.has(step.name))
        errors.push({
          path: `/spec/steps/${index}`,
          message: `unreachable: no path from ${spec.root} leads to ${step.name}`,
        });
    });
    const state = new Map<string, 'visiting' | 'done'>();
    const indexOf = new Map(spec.steps.map((step, index) => [step.name, index]));
    const visit = (name: string, trail: string[]): void => {
      state.set(name, 'visiting');
      for (const next of edges(steps.get(name)!)) {
        if (state.get(next) === 'visiting') {
          const cycle = [...trail.slice(trail.indexOf(next)), name, next];
          errors.push({ path: `/spec/steps/${indexOf.get(name)}`, message: `cycle: ${cycle.join(' → ')}` });
        } else if (!state.has(next)) visit(next, [...trail, name]);
      }
      state.set(name, 'done');
    };
    visit(spec.root, []);
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { name, subject: spec.subject, root: spec.root, evidence, steps, conclusions } };
}

/** A HealingPolicy as the controller uses it: every expression compiled once per generation. */
export interface CompiledPolicy {
  team: string;
  name: string;
  spec: HealingPolicySpec;
  trigger:
    | { kind: 'exception' | 'alert' | 'risk'; match: CelProgram; guards: MatchGuard[] }
    | { kind: 'condition'; over: 'nodes' | 'hosts'; condition: CelProgram; forMs: number };
  selector?: LabelSelector;
  actions: Map<string, HealingAction>;
  verification: {
    bakeMs: number;
    condition?: CelProgram;
    promql?: { source: string; query: string; condition: CelProgram };
  };
  rungs: { action: string; timeoutMs: number }[];
  windows: { rateMs: number; retryMs: number; flappingMs: number; approvalMs: number };
}

/** Finds a tree by the name a policy gives (`builtin/...` or the team's own). */
export type TreeLookup = (name: string) => CompiledTree | undefined;

/**
 * Checks what a HealingPolicy's schema cannot: exactly one trigger, CEL that compiles, a selector that
 * parses, unique actions each of exactly one kind, rungs naming its actions and ending in a page, a tree
 * that exists, diagnoses the policy's subject and concludes only with actions the policy allows.
 */
export function compilePolicy(
  engine: CelEngine,
  team: string,
  name: string,
  spec: HealingPolicySpec,
  tree: TreeLookup,
): Compiled<CompiledPolicy> {
  const errors: ErrorDetail[] = [];
  const program = (source: string, path: string): CelProgram | undefined => {
    const compiled = engine.compile(source);
    if (compiled.ok) return compiled.program;
    errors.push({ path, message: compiled.message });
    return undefined;
  };
  const { exceptions, alerts, risks, condition } = spec.trigger;
  let trigger: CompiledPolicy['trigger'] | undefined;
  if ([exceptions, alerts, risks, condition].filter((t) => t !== undefined).length !== 1)
    errors.push({
      path: '/spec/trigger',
      message: 'set exactly one of exceptions, alerts, risks and condition',
    });
  else if (condition) {
    const compiled = program(condition.condition, '/spec/trigger/condition/condition');
    if (compiled)
      trigger = {
        kind: 'condition',
        over: condition.over,
        condition: compiled,
        forMs: durationMs(condition.for),
      };
  } else {
    const [kind, match] = exceptions
      ? (['exception', exceptions.match] as const)
      : alerts
        ? (['alert', alerts.match] as const)
        : (['risk', risks!.match] as const);
    const compiled = program(
      match,
      `/spec/trigger/${kind === 'exception' ? 'exceptions' : `${kind}s`}/match`,
    );
    if (compiled) trigger = { kind, match: compiled, guards: matchGuards(match, kind) };
  }

  let selector: LabelSelector | undefined;
  if (spec.scope.selector !== undefined) {
    try {
      selector = parseLabelSelector(spec.scope.selector);
    } catch (error) {
      errors.push({
        path: '/spec/scope/selector',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }

  const actions = new Map<string, HealingAction>();
  spec.actions.forEach((action, index) => {
    const path = `/spec/actions/${index}`;
    if (actions.has(action.name))
      errors.push({ path: `${path}/name`, message: `${action.name} is used twice` });
    if ((DIAGNOSIS_RESERVED_ACTIONS as readonly string[]).includes(action.name))
      errors.push({ path: `${path}/name`, message: `${action.name} is reserved` });
    const kinds = [
      action.nodeOperation,
      action.workloadOperation,
      action.applicationRollback,
      action.pauseChanges,
      action.jobRun,
      action.kubernetesJob,
      action.notify,
      action.silence,
    ].filter((k) => k !== undefined);
    if (kinds.length !== 1)
      errors.push({
        path,
        message:
          'set exactly one of nodeOperation, workloadOperation, applicationRollback, pauseChanges, jobRun, kubernetesJob, notify and silence',
      });
    if (action.kubernetesJob)
      errors.push(...checkKubernetesJobTemplate(action.kubernetesJob, `${path}/kubernetesJob`));
    // A host's node is the node of the same name, or the one its `hosts.gantry.dev/node-name` label names.
    if (action.nodeOperation && spec.scope.subject !== 'Node' && spec.scope.subject !== 'Host')
      errors.push({
        path: `${path}/nodeOperation`,
        message: "only for policies whose subject is Node or Host (the host's node)",
      });
    if (
      action.applicationRollback &&
      spec.scope.subject !== 'Workload' &&
      spec.scope.subject !== 'Application'
    )
      errors.push({
        path: `${path}/applicationRollback`,
        message: 'only for policies whose subject is Workload or Application',
      });
    if (action.workloadOperation) {
      const operation = action.workloadOperation.operation;
      if (spec.scope.subject !== 'Workload')
        errors.push({
          path: `${path}/workloadOperation`,
          message: 'only for policies whose subject is Workload',
        });
      if (operation === 'deletePod')
        errors.push({
          path: `${path}/workloadOperation/operation`,
          message: 'a policy acts on a workload, not one of its pods: restart its rollout instead',
        });
      if (operation === 'scale' && action.workloadOperation.replicas === undefined)
        errors.push({ path: `${path}/workloadOperation/replicas`, message: 'scale needs replicas' });
    }
    actions.set(action.name, action);
  });

  spec.escalation.rungs.forEach((rung, index) => {
    if (!actions.has(rung.action))
      errors.push({
        path: `/spec/escalation/rungs/${index}/action`,
        message: `no action ${rung.action} in the policy`,
      });
  });
  const last = spec.escalation.rungs.at(-1);
  const lastAction = last ? actions.get(last.action) : undefined;
  if (last && lastAction && !lastAction.notify?.page)
    errors.push({
      path: `/spec/escalation/rungs/${spec.escalation.rungs.length - 1}`,
      message: 'the last rung must page a person (a notify action with page: true)',
    });

  const found = tree(spec.diagnosis.tree);
  if (!found)
    errors.push({ path: '/spec/diagnosis/tree', message: `no DiagnosisTree ${spec.diagnosis.tree}` });
  else {
    if (found.subject !== spec.scope.subject)
      errors.push({
        path: '/spec/diagnosis/tree',
        message: `the tree diagnoses ${found.subject}, the policy heals ${spec.scope.subject}`,
      });
    for (const { path, conclusion } of found.conclusions)
      if (
        !(DIAGNOSIS_RESERVED_ACTIONS as readonly string[]).includes(conclusion.action) &&
        !actions.has(conclusion.action)
      )
        errors.push({
          path: '/spec/diagnosis/tree',
          message: `the tree's conclusion at ${path} takes action ${conclusion.action}, which the policy does not allow`,
        });
  }

  const { verification } = spec;
  if (verification.condition !== undefined && verification.promql !== undefined)
    errors.push({ path: '/spec/verification', message: 'set at most one of condition and promql' });
  const verifyCondition =
    verification.condition !== undefined
      ? program(verification.condition, '/spec/verification/condition')
      : undefined;
  const verifyPromql = verification.promql
    ? program(verification.promql.condition, '/spec/verification/promql/condition')
    : undefined;

  if (errors.length > 0 || !trigger) return { ok: false, errors };
  const g = spec.guardrails;
  return {
    ok: true,
    value: {
      team,
      name,
      spec,
      trigger,
      ...(selector ? { selector } : {}),
      actions,
      verification: {
        bakeMs: durationMs(verification.bake),
        ...(verifyCondition ? { condition: verifyCondition } : {}),
        ...(verifyPromql && verification.promql
          ? {
              promql: {
                source: verification.promql.source,
                query: verification.promql.query,
                condition: verifyPromql,
              },
            }
          : {}),
      },
      rungs: spec.escalation.rungs.map((rung) => ({
        action: rung.action,
        timeoutMs: durationMs(rung.timeout),
      })),
      windows: {
        rateMs: durationMs(g.rateLimit.window),
        retryMs: durationMs(g.retryBudget.window),
        flappingMs: durationMs(g.flapping.window),
        approvalMs: durationMs(g.approval.expiry),
      },
    },
  };
}
