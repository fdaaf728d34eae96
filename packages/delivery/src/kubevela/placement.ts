import { isPlainObject, type OverrideSpec, type TopologySpec } from '@gantry/model';
import {
  convertComponentProperties,
  type ComponentTypeResolution,
  type DefinitionNames,
} from './components.ts';
import { pointer, type ConversionProblems } from './problems.ts';
import { convertTrait, type ConvertedTrait } from './traits.ts';

/**
 * Where a KubeVela application goes, from its policies and workflow: `topology` policies become Gantry's
 * topology, `override` policies Gantry's overrides, scoped to the clusters of the deploy steps that name
 * them. KubeVela without a workflow makes one deploy step per topology with every override
 * (pkg/workflow/step/generator.go), which is what unscoped Gantry overrides do.
 */

/** A component of the KubeVela document, as overrides need it. */
export interface DocumentComponent {
  readonly name: string;
  readonly type: string;
  /** Undefined when the type has no Gantry equivalent (reported with the component). */
  readonly resolved: ComponentTypeResolution | undefined;
  readonly properties: Readonly<Record<string, unknown>>;
  /** KubeVela trait types the component has: an override patches those and adds the others. */
  readonly traitTypes: ReadonlySet<string>;
  /** Whether the component has a Service of its own, named after it. */
  readonly ownService: boolean;
}

export interface PlacementInput {
  readonly policies: unknown;
  readonly workflow: unknown;
  /** `metadata.namespace`, or `default`: a topology policy without a namespace inherits it. */
  readonly namespace: string;
  readonly components: readonly DocumentComponent[];
  readonly problems: ConversionProblems;
  readonly catalog: DefinitionNames | undefined;
}

export interface Placement {
  topology: TopologySpec;
  overrides: OverrideSpec[];
}

interface Topology {
  readonly name: string;
  readonly path: string;
  readonly clusters: readonly string[];
  readonly matchLabels: Readonly<Record<string, string>> | undefined;
  readonly namespace: string;
  /** Where the namespace comes from, for a message about two that differ. */
  readonly namespacePath: string;
  readonly selectorPath: string;
}

interface Override {
  readonly name: string;
  readonly components: OverrideSpec['components'];
}

type Policy =
  | { kind: 'topology'; topology: Topology }
  | { kind: 'override'; override: Override | undefined }
  | { kind: 'refused' };

interface DeployStep {
  readonly path: string;
  readonly topologies: readonly Topology[];
  readonly overrides: readonly Override[];
}

/** Policy types with no Gantry equivalent, and what Gantry does instead. */
const REFUSED_POLICIES: Readonly<Record<string, string>> = {
  'garbage-collect': "Gantry prunes what a revision no longer renders (the application's prune options)",
  'apply-once': 'Gantry keeps every object as rendered and corrects drift',
  'shared-resource': 'an object belongs to one Gantry application',
  'read-only': 'Gantry applies every object it renders',
  'take-over': "set the application's prune.adoptUnowned",
  'resource-update': 'Gantry applies every change with server-side apply',
  replication: 'list the components once per copy',
  'env-binding': 'use topology and override policies (or Gantry Environments)',
};

const NEEDS_CLUSTERS = 'Gantry needs target clusters';

export function convertPlacement(input: PlacementInput): Placement {
  const { problems } = input;
  const policies = readPolicies(input);
  const workflow = readWorkflow(input, policies);
  const topologies = [...policies.values()].flatMap((p) => (p.kind === 'topology' ? [p.topology] : []));
  const overrides = [...policies.values()].flatMap((p) =>
    p.kind === 'override' && p.override !== undefined ? [p.override] : [],
  );

  let reachable: readonly Topology[] = topologies;
  const entries: OverrideSpec[] = [];
  if (workflow.steps === undefined) {
    for (const override of overrides) entries.push({ components: override.components });
  } else {
    const { steps } = workflow;
    const named = new Set(
      steps.flatMap((step) => [...step.topologies.map((t) => t.name), ...step.overrides.map((o) => o.name)]),
    );
    reachable = topologies.filter((topology) => named.has(topology.name));
    for (const topology of topologies.filter((t) => !named.has(t.name))) {
      problems.note(
        `topology policy ${topology.name} is named by no deploy step, so KubeVela delivers nothing through it: its clusters are not targets`,
      );
    }
    // Applied first everywhere, so that what a step's own overrides say wins on its clusters.
    for (const override of overrides.filter((o) => !named.has(o.name))) {
      problems.note(`override policy ${override.name} is named by no deploy step: applied on every target`);
      entries.push({ components: override.components });
    }
    for (const step of steps.filter((s) => s.topologies.length > 0)) {
      for (const override of step.overrides) {
        for (const scope of scopesOf(step.topologies))
          entries.push({ ...scope, components: override.components });
      }
    }
    if (steps.length > 1)
      problems.note(
        `KubeVela runs the ${steps.length} deploy steps one after another; Gantry delivers to every target at once`,
      );
  }
  // Policies that are not a list are reported as such; a missing topology would only repeat it.
  const declaresTopology = Array.isArray(input.policies)
    ? input.policies.some((p: unknown) => isPlainObject(p) && p['type'] === 'topology')
    : input.policies !== undefined;
  if (!declaresTopology && !workflow.namesUnknownPolicy)
    problems.error('/spec/policies', `${NEEDS_CLUSTERS}: add a topology policy naming clusters`);
  return { topology: mergeTopologies(reachable, input), overrides: unique(entries) };
}

function readPolicies(input: PlacementInput): Map<string, Policy> {
  const { problems } = input;
  const policies = new Map<string, Policy>();
  if (input.policies === undefined) return policies;
  if (!Array.isArray(input.policies)) {
    problems.error('/spec/policies', 'must be a list');
    return policies;
  }
  input.policies.forEach((policy: unknown, index) => {
    const path = pointer('/spec/policies', index);
    if (!isPlainObject(policy)) {
      problems.error(path, 'a KubeVela policy must be an object with name, type and properties');
      return;
    }
    for (const key of Object.keys(policy).filter((k) => !['name', 'type', 'properties'].includes(k)))
      problems.error(pointer(path, key), `KubeVela policy field ${key} has no Gantry equivalent`);
    const { name, type } = policy;
    if (typeof name !== 'string' || name === '')
      return problems.error(pointer(path, 'name'), 'a KubeVela policy needs a name');
    if (policies.has(name)) return problems.error(pointer(path, 'name'), `policy ${name} is named twice`);
    const properties = policy['properties'] ?? {};
    const propertiesPath = pointer(path, 'properties');
    if (type === 'topology') {
      const topology = readTopology(name, properties, propertiesPath, input);
      policies.set(name, topology === undefined ? { kind: 'refused' } : { kind: 'topology', topology });
    } else if (type === 'override') {
      policies.set(name, {
        kind: 'override',
        override: readOverride(name, properties, propertiesPath, input),
      });
    } else {
      const reason =
        typeof type === 'string' && Object.hasOwn(REFUSED_POLICIES, type)
          ? `: ${REFUSED_POLICIES[type]}`
          : '';
      problems.error(path, `KubeVela policy type ${String(type)} has no Gantry equivalent${reason}`);
      policies.set(name, { kind: 'refused' });
    }
  });
  return policies;
}

function readTopology(
  name: string,
  properties: unknown,
  path: string,
  input: PlacementInput,
): Topology | undefined {
  const { problems } = input;
  if (!isPlainObject(properties)) {
    problems.error(path, 'must be an object');
    return undefined;
  }
  let clusters: string[] = [];
  let matchLabels: Record<string, string> | undefined;
  let selectorPath = pointer(path, 'clusterLabelSelector');
  for (const [key, value] of Object.entries(properties)) {
    const at = pointer(path, key);
    if (key === 'clusters') {
      if (!Array.isArray(value) || !value.every((c) => typeof c === 'string'))
        problems.error(at, 'must be a list of cluster names');
      else clusters = value;
    } else if (key === 'clusterLabelSelector' || key === 'clusterSelector') {
      if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === 'string'))
        problems.error(at, 'must be a map of cluster labels');
      // KubeVela reads clusterSelector only when clusterLabelSelector is absent.
      else if (key === 'clusterLabelSelector' || properties['clusterLabelSelector'] === undefined) {
        matchLabels = value as Record<string, string>;
        selectorPath = at;
      }
    } else if (key === 'allowEmpty') {
      // Gantry never fails on a selection that is empty (missing clusters are reported in status).
    } else if (key !== 'namespace') {
      problems.error(at, `KubeVela topology property ${key} has no Gantry equivalent`);
    }
  }
  const namespace = properties['namespace'];
  if (namespace !== undefined && typeof namespace !== 'string')
    problems.error(pointer(path, 'namespace'), 'must be a string');
  if (clusters.length === 0 && matchLabels === undefined) {
    problems.error(
      path,
      `topology ${name} selects no cluster (KubeVela would deploy to its hub cluster): ${NEEDS_CLUSTERS}: add clusters or clusterLabelSelector`,
    );
    return undefined;
  }
  if (clusters.includes('local')) {
    problems.note(
      `topology ${name} names cluster local, KubeVela's hub: it is a target only if a Gantry cluster has that name`,
    );
  }
  return {
    name,
    path,
    clusters,
    matchLabels,
    selectorPath,
    namespace: typeof namespace === 'string' ? namespace : input.namespace,
    namespacePath: typeof namespace === 'string' ? pointer(path, 'namespace') : '/metadata/namespace',
  };
}

/** Gantry has one topology: the union of the clusters, with one selector and one namespace. */
function mergeTopologies(topologies: readonly Topology[], input: PlacementInput): TopologySpec {
  const { problems } = input;
  const clusters = [...new Set(topologies.flatMap((t) => t.clusters))];
  const withSelector = topologies.filter((t) => t.matchLabels !== undefined);
  for (const other of withSelector.slice(1)) {
    const first = withSelector[0]!;
    if (canonical(other.matchLabels) !== canonical(first.matchLabels)) {
      problems.error(
        other.selectorPath,
        `Gantry's topology has one cluster selector, and topologies ${first.name} and ${other.name} select differently: name their clusters instead`,
      );
    }
  }
  const namespace = topologies[0]?.namespace ?? input.namespace;
  for (const other of topologies.filter((t) => t.namespace !== namespace)) {
    problems.error(
      other.namespacePath,
      `Gantry delivers an application into one namespace, and topologies ${topologies[0]!.name} and ${other.name} use ${namespace} and ${other.namespace}`,
    );
  }
  const matchLabels = withSelector[0]?.matchLabels;
  return {
    ...(clusters.length > 0 ? { clusters } : {}),
    ...(matchLabels !== undefined ? { clusterSelector: { matchLabels: { ...matchLabels } } } : {}),
    namespace,
  };
}

/**
 * The override scopes of a deploy step: its topologies' clusters by name, and their selector. One
 * override can hold one selector, so topologies that select differently get an override each.
 */
function scopesOf(topologies: readonly Topology[]): Pick<OverrideSpec, 'clusters' | 'clusterSelector'>[] {
  const selectors = [
    ...new Map(
      topologies.flatMap((t) =>
        t.matchLabels === undefined ? [] : [[canonical(t.matchLabels), t.matchLabels] as const],
      ),
    ).values(),
  ];
  const clusters = [...new Set(topologies.flatMap((t) => t.clusters))];
  const named = clusters.length > 0 ? { clusters } : {};
  if (selectors.length === 0) return [named];
  return selectors.map((matchLabels, index) => ({
    ...(index === 0 ? named : {}),
    clusterSelector: { matchLabels: { ...matchLabels } },
  }));
}

function readOverride(
  name: string,
  properties: unknown,
  path: string,
  input: PlacementInput,
): Override | undefined {
  const { problems } = input;
  if (!isPlainObject(properties)) {
    problems.error(path, 'must be an object');
    return undefined;
  }
  for (const key of Object.keys(properties).filter((k) => k !== 'components')) {
    const hint = key === 'selector' ? ': Gantry delivers every component to every target' : '';
    problems.error(pointer(path, key), `KubeVela override property ${key} has no Gantry equivalent${hint}`);
  }
  const patches = properties['components'];
  if (!Array.isArray(patches)) {
    problems.error(pointer(path, 'components'), 'must be a list');
    return undefined;
  }
  const byComponent = new Map<string, OverrideSpec['components'][number]>();
  patches.forEach((patch: unknown, index) => {
    for (const converted of readComponentPatch(patch, pointer(path, 'components', index), input)) {
      const earlier = byComponent.get(converted.name);
      byComponent.set(converted.name, earlier === undefined ? converted : combine(earlier, converted));
    }
  });
  if (byComponent.size === 0) {
    problems.note(`override policy ${name} changes no component`);
    return undefined;
  }
  return { name, components: [...byComponent.values()] };
}

/**
 * One entry of an override policy, for each component it selects: by name, a pattern as KubeVela reads
 * it (`*` is any text, and the match is not anchored), or every component (of `type`) when it has none.
 */
function readComponentPatch(patch: unknown, path: string, input: PlacementInput): OverrideSpec['components'] {
  const { problems } = input;
  if (!isPlainObject(patch)) {
    problems.error(path, 'must be an object');
    return [];
  }
  for (const key of Object.keys(patch).filter((k) => !['name', 'type', 'properties', 'traits'].includes(k)))
    problems.error(pointer(path, key), `KubeVela override field ${key} has no Gantry equivalent`);
  const { name, type } = patch;
  const targets = matchComponents(name, type, input.components);
  if (targets.length === 0) {
    if (typeof name === 'string' && name !== '') {
      problems.error(
        pointer(path, 'name'),
        `names no component of spec.components (KubeVela would add ${name} on these targets): Gantry overrides change existing components only`,
      );
    }
    return [];
  }
  if (typeof name === 'string' && name !== '' && targets.some((c) => c.name !== name)) {
    problems.note(
      `override ${path} named ${name} applies to components ${targets.map((c) => c.name).join(', ')}, as KubeVela matches the name as a pattern`,
    );
  }
  const properties = withoutNulls(patch['properties'], pointer(path, 'properties'), problems);
  const traits = patch['traits'];
  if (traits !== undefined && !Array.isArray(traits))
    problems.error(pointer(path, 'traits'), 'must be a list');
  return targets.flatMap((component) => {
    if (typeof type === 'string' && type !== '' && type !== component.type) {
      problems.error(
        pointer(path, 'type'),
        `replaces component ${component.name} (${component.type}) with a ${type}: Gantry overrides cannot change a component's type`,
      );
      return [];
    }
    const converted: OverrideSpec['components'][number] = { name: component.name };
    if (properties !== undefined && component.resolved !== undefined) {
      const context = {
        problems,
        mode: 'patch' as const,
        subject: `KubeVela ${component.type}`,
        component: component.name,
        base: component.properties,
      };
      const gantry = convertComponentProperties(
        component.resolved,
        properties,
        pointer(path, 'properties'),
        context,
      );
      if (gantry !== undefined && Object.keys(gantry).length > 0) converted.properties = gantry;
    }
    if (Array.isArray(traits)) {
      const convertedTraits = traits.flatMap((trait: unknown, index): ConvertedTrait[] => {
        const traitPath = pointer(path, 'traits', index);
        const kubevelaType = isPlainObject(trait) ? trait['type'] : undefined;
        const has = typeof kubevelaType === 'string' && component.traitTypes.has(kubevelaType);
        const cleaned =
          isPlainObject(trait) && trait['properties'] !== undefined
            ? {
                ...trait,
                properties: withoutNulls(trait['properties'], pointer(traitPath, 'properties'), problems),
              }
            : trait;
        const result = convertTrait(cleaned, traitPath, {
          problems,
          component: component.name,
          mode: has ? 'patch' : 'full',
          catalog: input.catalog,
          allowDisable: true,
          ownService: component.ownService,
        });
        return result === undefined ? [] : [result];
      });
      if (convertedTraits.length > 0) converted.traits = convertedTraits;
    }
    return [converted];
  });
}

function matchComponents(
  name: unknown,
  type: unknown,
  components: readonly DocumentComponent[],
): DocumentComponent[] {
  if (typeof name !== 'string' || name === '')
    return components.filter((c) => typeof type !== 'string' || type === '' || c.type === type);
  let pattern: RegExp;
  try {
    pattern = new RegExp(name.replaceAll('*', '.*'));
  } catch {
    return components.filter((c) => c.name === name);
  }
  return components.filter((c) => pattern.test(c.name));
}

/** KubeVela's override merge skips nulls, where Gantry's (a JSON merge patch) would delete the field. */
function withoutNulls(value: unknown, path: string, problems: ConversionProblems): unknown {
  if (Array.isArray(value))
    return value.map((item, index) => withoutNulls(item, pointer(path, index), problems));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null)
      problems.note(`${pointer(path, key)} is null, which KubeVela's override ignores: dropped`);
    else out[key] = withoutNulls(item, pointer(path, key), problems);
  }
  return out;
}

/** Two entries of one override for the same component, as one: the later patch on top, traits in order. */
function combine(
  first: OverrideSpec['components'][number],
  second: OverrideSpec['components'][number],
): OverrideSpec['components'][number] {
  const properties =
    first.properties === undefined
      ? second.properties
      : second.properties === undefined
        ? first.properties
        : (composePatches(first.properties, second.properties) as Record<string, unknown>);
  const traits = [...(first.traits ?? []), ...(second.traits ?? [])];
  return {
    name: first.name,
    ...(properties !== undefined ? { properties } : {}),
    ...(traits.length > 0 ? { traits } : {}),
  };
}

/** The merge patch that does what applying `first` then `second` does (objects merge, a null stays a deletion). */
function composePatches(first: unknown, second: unknown): unknown {
  if (!isPlainObject(first) || !isPlainObject(second)) return structuredClone(second);
  const out: Record<string, unknown> = { ...first };
  for (const [key, value] of Object.entries(second))
    out[key] = Object.hasOwn(first, key) ? composePatches(first[key], value) : structuredClone(value);
  return out;
}

interface Workflow {
  /** Undefined when the workflow has no steps: KubeVela then makes its own deploy steps. */
  steps: DeployStep[] | undefined;
  /** A deploy step names a policy the document lacks (its clusters may come from there). */
  namesUnknownPolicy: boolean;
}

function readWorkflow(input: PlacementInput, policies: ReadonlyMap<string, Policy>): Workflow {
  const { problems, workflow } = input;
  const none: Workflow = { steps: undefined, namesUnknownPolicy: false };
  if (workflow === undefined) return none;
  if (!isPlainObject(workflow)) {
    problems.error('/spec/workflow', 'must be an object');
    return none;
  }
  for (const key of Object.keys(workflow)) {
    if (key === 'mode') problems.note('spec.workflow.mode dropped: Gantry delivers to every target at once');
    else if (key === 'ref')
      problems.error(
        '/spec/workflow/ref',
        'a KubeVela WorkflowTemplate has no Gantry equivalent: write its deploy steps in the application',
      );
    else if (key !== 'steps')
      problems.error(
        pointer('/spec/workflow', key),
        `KubeVela workflow field ${key} has no Gantry equivalent`,
      );
  }
  const steps = workflow['steps'];
  if (steps === undefined) return none;
  if (!Array.isArray(steps)) {
    problems.error('/spec/workflow/steps', 'must be a list');
    return none;
  }
  if (steps.length === 0) return none;
  const hasTopology = [...policies.values()].some((p) => p.kind === 'topology');
  const deploySteps: DeployStep[] = [];
  const result: Workflow = { steps: deploySteps, namesUnknownPolicy: false };
  steps.forEach((step: unknown, index) => {
    const path = pointer('/spec/workflow/steps', index);
    if (!isPlainObject(step)) return problems.error(path, 'a KubeVela workflow step must be an object');
    if (step['type'] !== 'deploy') {
      return problems.error(
        path,
        `KubeVela workflow step type ${String(step['type'])} has no Gantry equivalent: Gantry delivers without a workflow, and converts deploy steps only`,
      );
    }
    deploySteps.push(readDeployStep(step, path, policies, hasTopology, result, problems));
  });
  return result;
}

function readDeployStep(
  step: Record<string, unknown>,
  path: string,
  policies: ReadonlyMap<string, Policy>,
  hasTopology: boolean,
  workflow: Workflow,
  problems: ConversionProblems,
): DeployStep {
  for (const key of Object.keys(step)) {
    const at = pointer(path, key);
    if (key === 'timeout')
      problems.note(`${at} dropped: Gantry keeps delivering until the targets are healthy`);
    else if (key === 'dependsOn') problems.note(`${at} dropped: Gantry delivers to every target at once`);
    else if (!['name', 'type', 'properties', 'meta'].includes(key))
      problems.error(at, `KubeVela workflow step field ${key} has no Gantry equivalent`);
  }
  const properties = step['properties'] ?? {};
  const propertiesPath = pointer(path, 'properties');
  const topologies: Topology[] = [];
  const overrides: Override[] = [];
  if (!isPlainObject(properties)) {
    problems.error(propertiesPath, 'must be an object');
    return { path, topologies, overrides };
  }
  for (const [key, value] of Object.entries(properties)) {
    const at = pointer(propertiesPath, key);
    if (key === 'auto') {
      if (value !== true)
        problems.error(at, 'KubeVela waits for an approval before this step: Gantry has no approval step');
    } else if (key === 'parallelism') {
      problems.note(`${at} dropped: Gantry applies a target's components in dependsOn order`);
    } else if (key !== 'policies' && key !== 'ignoreTerraformComponent') {
      problems.error(at, `KubeVela deploy property ${key} has no Gantry equivalent`);
    }
  }
  const names = properties['policies'] ?? [];
  if (!Array.isArray(names)) {
    problems.error(pointer(propertiesPath, 'policies'), 'must be a list of policy names');
    return { path, topologies, overrides };
  }
  names.forEach((name: unknown, index) => {
    const policy = typeof name === 'string' ? policies.get(name) : undefined;
    if (policy === undefined) {
      workflow.namesUnknownPolicy = true;
      problems.error(
        pointer(propertiesPath, 'policies', index),
        `names no policy of spec.policies: KubeVela's external Policy objects are not converted, so write ${String(name)} in the application`,
      );
    } else if (policy.kind === 'topology') {
      topologies.push(policy.topology);
    } else if (policy.kind === 'override' && policy.override !== undefined) {
      overrides.push(policy.override);
    }
  });
  const namesRefused = names.some(
    (name) => typeof name === 'string' && policies.get(name)?.kind === 'refused',
  );
  if (topologies.length === 0 && hasTopology && !namesRefused) {
    problems.error(
      pointer(propertiesPath, 'policies'),
      `names no topology policy, so KubeVela would deploy to its hub cluster: ${NEEDS_CLUSTERS}`,
    );
  }
  return { path, topologies, overrides };
}

function unique(entries: OverrideSpec[]): OverrideSpec[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = canonical(entry);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** JSON with sorted keys, to compare selectors and overrides whatever order their fields were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isPlainObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}
