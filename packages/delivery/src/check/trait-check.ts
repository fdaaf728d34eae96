import type { ApplicationSpec, ComponentSpec, ErrorDetail } from '@gantry/model';
import type { Composer, DefinitionSet, RenderContext } from '../compose/compose.ts';
import { applyOverride } from '../overrides.ts';
import { workloadName } from '../workload-name.ts';

export interface CheckOptions {
  team: string;
  app: string;
}

/**
 * The trait check: everything that can be known about an application before anything is composed or
 * sent to a cluster. Returns every violation, each with its path in the Application (`/spec/...`).
 */
export async function checkApplication(
  spec: ApplicationSpec,
  definitions: DefinitionSet,
  composer: Composer,
  options: CheckOptions,
): Promise<ErrorDetail[]> {
  const errors: ErrorDetail[] = [];
  const names = new Map<string, number>();
  spec.components.forEach((component, index) => {
    const previous = names.get(component.name);
    if (previous !== undefined)
      errors.push({
        path: `/spec/components/${index}/name`,
        message: `component ${component.name} is defined twice (also /spec/components/${previous})`,
      });
    else names.set(component.name, index);
  });

  for (const [index, component] of spec.components.entries()) {
    errors.push(
      ...(await checkComponent(component, `/spec/components/${index}`, definitions, composer, spec, options)),
    );
    errors.push(...checkDependencies(component, index, names));
  }
  errors.push(...findCycles(spec.components));

  for (const [o, override] of (spec.overrides ?? []).entries()) {
    for (const [c, patch] of override.components.entries()) {
      const path = `/spec/overrides/${o}/components/${c}`;
      const index = names.get(patch.name);
      const base = index === undefined ? undefined : spec.components[index];
      if (!base) {
        errors.push({
          path: `${path}/name`,
          message: `no component named ${patch.name} (components: ${[...names.keys()].join(', ')})`,
        });
        continue;
      }
      // The component as the override makes it must pass the same check; errors point into the override.
      const merged = applyOverride(base, patch);
      const overridden = await checkComponent(merged, path, definitions, composer, spec, options);
      errors.push(
        ...overridden.filter(
          (error) =>
            !errors.some(
              (e) => e.message === error.message && e.path.startsWith(`/spec/components/${index}`),
            ),
        ),
      );
    }
  }
  return dedupe(errors);
}

async function checkComponent(
  component: ComponentSpec,
  path: string,
  definitions: DefinitionSet,
  composer: Composer,
  spec: ApplicationSpec,
  options: CheckOptions,
): Promise<ErrorDetail[]> {
  const errors: ErrorDetail[] = [];
  const definition = definitions.components.get(component.type);
  if (!definition) {
    errors.push({
      path: `${path}/type`,
      message: `unknown component type ${component.type} (known: ${[...definitions.components.keys()].sort().join(', ') || 'none'})`,
    });
  }
  const traits = component.traits ?? [];
  const seen = new Map<string, number>();
  for (const [index, trait] of traits.entries()) {
    const at = `${path}/traits/${index}`;
    const traitDefinition = definitions.traits.get(trait.type);
    if (!traitDefinition) {
      errors.push({
        path: `${at}/type`,
        message: `unknown trait type ${trait.type} (known: ${[...definitions.traits.keys()].sort().join(', ') || 'none'})`,
      });
      continue;
    }
    const first = seen.get(trait.type);
    if (first !== undefined) {
      errors.push({
        path: `${at}/type`,
        message: `trait ${trait.type} is attached twice (also ${path}/traits/${first}); merge their properties`,
      });
      continue;
    }
    seen.set(trait.type, index);
    if (definition) {
      const workload = workloadName(definition.spec.workload);
      const applies = traitDefinition.spec.appliesToWorkloads;
      if (!applies.some((target) => target === '*' || target === workload || target === component.type)) {
        errors.push({
          path: `${at}/type`,
          message: `trait ${trait.type} applies to ${applies.join(', ')}, not to ${component.type} (${workload})`,
        });
      }
    }
  }
  // Conflicts, in either direction, reported once per pair at the later trait.
  for (const [index, trait] of traits.entries()) {
    const mine = definitions.traits.get(trait.type);
    if (!mine) continue;
    for (const [other, earlier] of traits.slice(0, index).entries()) {
      const theirs = definitions.traits.get(earlier.type);
      if (!theirs || earlier.type === trait.type) continue;
      if (mine.spec.conflictsWith.includes(earlier.type) || theirs.spec.conflictsWith.includes(trait.type)) {
        errors.push({
          path: `${path}/traits/${index}/type`,
          message: `trait ${trait.type} conflicts with trait ${earlier.type} (${path}/traits/${other})`,
        });
      }
    }
  }
  if (!definition) return errors;
  // Schemas and templates: compose once with a neutral target, so CEL errors surface before any cluster.
  // Traits already refused (unknown, repeated) are left out, so the rest are still checked.
  const kept = traits
    .map((trait, index) => ({ trait, index }))
    .filter(({ trait, index }) => definitions.traits.has(trait.type) && seen.get(trait.type) === index);
  const context: RenderContext = {
    app: options.app,
    team: options.team,
    component: component.name,
    revision: 0,
    cluster: '',
    namespace: spec.topology.namespace,
    environment: '',
  };
  const composed = await composer.compose(
    definitions,
    { ...component, traits: kept.map(({ trait }) => trait) },
    context,
  );
  if (!composed.ok) {
    for (const error of composed.errors) {
      const at = error.path.replace(
        /^\/traits\/(\d+)/,
        (_, n: string) => `/traits/${kept[Number(n)]?.index ?? n}`,
      );
      errors.push({ path: `${path}${at}`, message: error.message });
    }
  }
  return errors;
}

function checkDependencies(
  component: ComponentSpec,
  index: number,
  names: ReadonlyMap<string, number>,
): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  for (const [d, dependency] of (component.dependsOn ?? []).entries()) {
    const path = `/spec/components/${index}/dependsOn/${d}`;
    if (dependency === component.name)
      errors.push({ path, message: `component ${component.name} cannot depend on itself` });
    else if (!names.has(dependency)) errors.push({ path, message: `no component named ${dependency}` });
  }
  return errors;
}

/** Reports each dependency cycle once, at the first component on it. */
function findCycles(components: readonly ComponentSpec[]): ErrorDetail[] {
  const byName = new Map(components.map((component, index) => [component.name, { component, index }]));
  const state = new Map<string, 'visiting' | 'done'>();
  const errors: ErrorDetail[] = [];
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      const first = byName.get(cycle[0]!);
      errors.push({
        path: `/spec/components/${first?.index ?? 0}/dependsOn`,
        message: `dependency cycle: ${cycle.join(' → ')}`,
      });
      return;
    }
    state.set(name, 'visiting');
    for (const dependency of byName.get(name)?.component.dependsOn ?? []) {
      if (byName.has(dependency) && dependency !== name) visit(dependency, [...trail, name]);
    }
    state.set(name, 'done');
  };
  for (const component of components) visit(component.name, []);
  return errors;
}

function dedupe(errors: ErrorDetail[]): ErrorDetail[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${error.path}\u0000${error.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Definition names an application uses, in its components, traits and overrides. */
export function definitionsUsed(spec: ApplicationSpec): { components: Set<string>; traits: Set<string> } {
  const components = new Set<string>();
  const traits = new Set<string>();
  for (const component of spec.components) {
    components.add(component.type);
    for (const trait of component.traits ?? []) traits.add(trait.type);
  }
  for (const override of spec.overrides ?? []) {
    for (const component of override.components)
      for (const trait of component.traits ?? []) if (!trait.disable) traits.add(trait.type);
  }
  return { components, traits };
}
