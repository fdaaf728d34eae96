import {
  ErrorCodes,
  UnprocessableError,
  type DiagnosisTreeSpec,
  type HealingPolicySpec,
  type Resource,
} from '@gantry/model';
import type { CelEngine } from '@gantry/delivery';
import type { ResourceService } from '@gantry/resources';
import type { ResourceRepository } from '@gantry/store';
import { BUILTIN_TREES } from './builtin/trees.ts';
import { compilePolicy, compileTree, type CompiledPolicy, type CompiledTree } from './compile.ts';
import type { PolicySource } from './healing-controller.ts';

const BUILTIN_PREFIX = 'builtin/';

/** The built-in trees compiled once per engine; a defect in one is a programming error (tests compile them). */
export function compileBuiltinTrees(engine: CelEngine): Map<string, CompiledTree> {
  const trees = new Map<string, CompiledTree>();
  for (const [name, spec] of Object.entries(BUILTIN_TREES)) {
    const compiled = compileTree(engine, `${BUILTIN_PREFIX}${name}`, spec);
    if (!compiled.ok) throw new Error(`built-in tree ${name}: ${JSON.stringify(compiled.errors)}`);
    trees.set(`${BUILTIN_PREFIX}${name}`, compiled.value);
  }
  return trees;
}

export interface HealingAdmissionDeps {
  resources: Pick<ResourceService, 'admit'>;
  repository: Pick<ResourceRepository, 'get'>;
  engine: CelEngine;
}

/**
 * Refuses at apply time, with field paths: a DiagnosisTree that cannot be walked (GANTRY_E_DIAGNOSIS_TREE:
 * a cycle, an unreachable step or branch, invalid CEL, unknown evidence) and a HealingPolicy that cannot
 * run (GANTRY_E_HEALING_POLICY: its trigger, CEL, actions, ladder, or a tree that concludes with an action
 * the policy does not allow). A tree is checked against the policies that use it when the policy is
 * applied; a tree edited later is checked again by the controller, which escalates instead of acting.
 */
export function registerHealingAdmission(deps: HealingAdmissionDeps): void {
  const builtins = compileBuiltinTrees(deps.engine);
  deps.resources.admit('DiagnosisTree', (request) => {
    if (request.operation === 'delete' || !request.object) return Promise.resolve();
    const compiled = compileTree(deps.engine, request.name, request.object.spec as DiagnosisTreeSpec);
    if (!compiled.ok)
      throw new UnprocessableError(
        'the diagnosis tree cannot be walked',
        compiled.errors,
        ErrorCodes.diagnosisTree,
      );
    return Promise.resolve();
  });
  deps.resources.admit('HealingPolicy', async (request) => {
    if (request.operation === 'delete' || !request.object) return;
    const spec = request.object.spec as HealingPolicySpec;
    let tree = builtins.get(spec.diagnosis.tree);
    if (!tree && !spec.diagnosis.tree.startsWith(BUILTIN_PREFIX)) {
      const stored = await deps.repository.get({
        kind: 'DiagnosisTree',
        team: request.team,
        name: spec.diagnosis.tree,
      });
      if (stored) {
        const compiled = compileTree(
          deps.engine,
          stored.metadata.name,
          (stored as Resource<DiagnosisTreeSpec>).spec,
        );
        if (compiled.ok) tree = compiled.value;
      }
    }
    const compiled = compilePolicy(deps.engine, request.team, request.name, spec, () => tree);
    if (!compiled.ok)
      throw new UnprocessableError(
        'the healing policy cannot run',
        compiled.errors,
        ErrorCodes.healingPolicy,
      );
  });
}

/**
 * Every team's HealingPolicies and DiagnosisTrees from the resources, compiled once per resource version
 * (the list is a new array only when something changed, so the controller's index is rebuilt only then).
 * A policy that no longer compiles (its tree was edited) is left out and named by `invalid`.
 */
export function createResourcePolicySource(deps: {
  repository: Pick<ResourceRepository, 'list'>;
  engine: CelEngine;
}): PolicySource & { refresh(): Promise<void>; invalid: ReadonlyMap<string, string> } {
  const builtins = compileBuiltinTrees(deps.engine);
  let trees = new Map<string, CompiledTree>();
  let policies: readonly CompiledPolicy[] = [];
  let version = -1;
  let signature = '';
  const invalid = new Map<string, string>();
  const readAll = async <T>(kind: string): Promise<Resource<T>[]> => {
    const items: Resource<T>[] = [];
    let after: { team: string; name: string } | undefined;
    do {
      const page = await deps.repository.list({ kind, limit: 1000, ...(after ? { after } : {}) });
      items.push(...page.items.map((item) => JSON.parse(item.json) as Resource<T>));
      after = page.next;
    } while (after);
    return items;
  };
  const refresh = async () => {
    const first = await deps.repository.list({ kind: 'HealingPolicy', limit: 1 });
    if (first.resourceVersion === version) return;
    version = first.resourceVersion;
    const treeItems = await readAll<DiagnosisTreeSpec>('DiagnosisTree');
    const policyItems = await readAll<HealingPolicySpec>('HealingPolicy');
    // Any write moves the resource version; only a change of these kinds' objects compiles again (and
    // gives the controller a new list, so it rebuilds its index).
    const next = [...treeItems, ...policyItems]
      .map(
        (item) => `${item.kind}/${item.metadata.team}/${item.metadata.name}@${item.metadata.resourceVersion}`,
      )
      .join(',');
    if (next === signature) return;
    signature = next;
    const nextTrees = new Map<string, CompiledTree>();
    for (const item of treeItems) {
      const compiled = compileTree(deps.engine, item.metadata.name, item.spec);
      if (compiled.ok) nextTrees.set(`${item.metadata.team}/${item.metadata.name}`, compiled.value);
    }
    invalid.clear();
    const nextPolicies: CompiledPolicy[] = [];
    for (const item of policyItems) {
      const team = item.metadata.team ?? '';
      const lookup = (name: string) => builtins.get(name) ?? nextTrees.get(`${team}/${name}`);
      const compiled = compilePolicy(deps.engine, team, item.metadata.name, item.spec, lookup);
      if (compiled.ok) nextPolicies.push(compiled.value);
      else
        invalid.set(
          `${team}/${item.metadata.name}`,
          compiled.errors.map((e) => `${e.path}: ${e.message}`).join('; '),
        );
    }
    trees = nextTrees;
    policies = nextPolicies;
  };
  return {
    invalid,
    refresh,
    async policies() {
      await refresh();
      return policies;
    },
    tree(team, name) {
      return builtins.get(name) ?? trees.get(`${team}/${name}`);
    },
  };
}
