import type {
  ComponentDefinitionSpec,
  ComponentSpec,
  OutputTemplate,
  TraitDefinitionSpec,
} from '@gantry/model';
import { deliveryAnnotations, deliveryLabels } from '@gantry/model';
import { standardHealthPolicy } from '../catalog/health-policies.ts';
import type { CelEngine } from '../cel-environment.ts';
import type { JsonValue } from '../cel-json.ts';
import { HelmError, type HelmRenderer, type HelmRenderInput } from '../helm/helm-renderer.ts';
import { TemplateRenderer, type TemplateVariables } from '../template-renderer.ts';
import { getAtPointer, setAtPointer } from './json-pointer.ts';
import { checkManifest, objectIdentity } from './manifest-check.ts';
import type { Manifest } from './manifest.ts';
import { mergePatch } from './merge.ts';
import { PropertyValidators } from './property-validators.ts';

/**
 * Composes one component of an application into Kubernetes objects (ADR 0007): its definition's templates
 * (or Helm chart), its traits' patches merged into the workload and their extra objects, Gantry's labels
 * stamped on everything. Every expected failure (unknown type, bad property, CEL error, invalid object)
 * comes back as a value with a JSON pointer into the component spec, all of them together.
 */

export interface DefinitionRef<S> {
  name: string;
  spec: S;
}

export interface DefinitionSet {
  components: ReadonlyMap<string, DefinitionRef<ComponentDefinitionSpec>>;
  traits: ReadonlyMap<string, DefinitionRef<TraitDefinitionSpec>>;
}

export interface RenderContext {
  app: string;
  team: string;
  component: string;
  revision: number;
  cluster: string;
  namespace: string;
  /** `''` when the target belongs to no environment. */
  environment: string;
}

export type { Manifest } from './manifest.ts';

export type RenderStage = 'pre' | 'main' | 'post';

export interface RenderedObject {
  /** `workload`, the template's name (`<name>/<i>` for the items of a `List`), `trait/<type>/<output name>`, or `helm/<Kind>/<name>`. */
  output: string;
  stage: RenderStage;
  workload: boolean;
  object: Manifest;
  /** CEL health policy for this object, if any. */
  health?: string;
}

export interface ComposeError {
  /** JSON pointer relative to the component spec: `/properties/replicas`, `/traits/1/properties/port`, `/type`, `/traits/0`, or `''`. */
  path: string;
  message: string;
  /** The CEL expression at fault, for template errors. */
  expression?: string;
}

export type ComposeResult = { ok: true; objects: RenderedObject[] } | { ok: false; errors: ComposeError[] };

/** Labels Gantry stamps on every object it renders and on pod templates. */
export const gantryLabelKeys = {
  team: deliveryLabels.team,
  app: deliveryLabels.application,
  component: deliveryLabels.component,
} as const;

/** Annotation Gantry stamps on every object (not on pod templates, so a new revision restarts no pod). */
export const revisionAnnotation = deliveryAnnotations.revision;

/** The labels Gantry stamps for a component, as templates see them in `context.labels`. */
export function gantryLabels(
  context: Pick<RenderContext, 'team' | 'app' | 'component'>,
): Record<string, string> {
  return {
    [gantryLabelKeys.team]: context.team,
    [gantryLabelKeys.app]: context.app,
    [gantryLabelKeys.component]: context.component,
  };
}

/** Pod templates of the standard workload kinds: stamped on any such object, unless its definition names the path. */
const POD_TEMPLATE_PATHS: Readonly<Record<string, string>> = {
  'apps/v1/Deployment': '/spec/template',
  'apps/v1/StatefulSet': '/spec/template',
  'apps/v1/DaemonSet': '/spec/template',
  'apps/v1/ReplicaSet': '/spec/template',
  'batch/v1/Job': '/spec/template',
  'batch/v1/CronJob': '/spec/jobTemplate/spec/template',
};

/** Kinds whose first instance in a chart is the component's workload. */
const PRIMARY_CHART_WORKLOADS: ReadonlySet<string> = new Set([
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'apps/v1/DaemonSet',
]);

const STAGE_ORDER: Readonly<Record<RenderStage, number>> = { pre: 0, main: 1, post: 2 };

/** Who rendered an object or failed: where in the component spec, and how messages name it. */
interface Owner {
  readonly path: string;
  readonly name: string;
}

interface Draft {
  output: string;
  stage: RenderStage;
  workload: boolean;
  object: unknown;
  health: string | undefined;
  owner: Owner;
}

interface ResolvedTrait {
  readonly index: number;
  readonly type: string;
  readonly definition: DefinitionRef<TraitDefinitionSpec>;
  readonly parameter: Record<string, unknown>;
}

/** An object the templates rendered, before it is checked and stamped; `fromList` when it was a `List` item. */
interface Piece {
  readonly output: string;
  readonly object: unknown;
  readonly fromList: boolean;
}

type HelmTemplate = Pick<HelmRenderer, 'render'>;

export interface ComposerOptions {
  engine: CelEngine;
  /** Renders `helm` components; without it, a helm component is an error. */
  helm?: HelmTemplate;
  /** Compiled property schemas kept (1,000 by default). */
  schemaCacheSize?: number;
}

export class Composer {
  readonly #renderer: TemplateRenderer;
  readonly #helm: HelmTemplate | undefined;
  readonly #validators: PropertyValidators;

  constructor(options: ComposerOptions) {
    this.#renderer = new TemplateRenderer(options.engine);
    this.#helm = options.helm;
    this.#validators = new PropertyValidators({ cacheSize: options.schemaCacheSize });
  }

  /** Property schemas compiled so far (the rest came from the cache). */
  get schemaCompilations(): number {
    return this.#validators.compilations;
  }

  async compose(
    definitions: DefinitionSet,
    component: ComponentSpec,
    context: RenderContext,
  ): Promise<ComposeResult> {
    const errors: ComposeError[] = [];
    const definition = definitions.components.get(component.type);
    if (definition === undefined)
      errors.push({ path: '/type', message: `unknown component type "${component.type}"` });
    const parameter =
      definition &&
      this.#properties('component', definition, component.properties, '/properties', '/type', errors);
    const traits = this.#resolveTraits(definitions, component, errors);
    if (errors.length > 0 || definition === undefined || parameter === undefined)
      return { ok: false, errors };

    const templateContext = { ...context, labels: gantryLabels(context) };
    const owner: Owner = { path: '', name: `component type "${definition.name}"` };
    const variables: TemplateVariables = { parameter, context: templateContext };
    const spec = definition.spec;
    const drafts: Draft[] = [];
    if (spec.helm) drafts.push(...(await this.#renderHelm(spec, variables, context, owner, errors)));
    drafts.push(...this.#renderComponentTemplates(spec, variables, owner, errors));

    // A chart's workload is reported for health, but traits do not patch what a chart renders.
    const workload = spec.helm ? undefined : drafts.find((draft) => draft.workload);
    for (const trait of traits) {
      const traitOwner: Owner = { path: `/traits/${trait.index}`, name: `trait "${trait.type}"` };
      const traitVariables: TemplateVariables = { parameter: trait.parameter, context: templateContext };
      this.#applyTraitPatches(trait, definition, workload, traitVariables, traitOwner, errors);
      drafts.push(...this.#renderTraitOutputs(trait, traitVariables, traitOwner, errors));
    }
    if (errors.length > 0) return { ok: false, errors };

    const objects = this.#finish(drafts, spec, context, errors);
    if (errors.length > 0) return { ok: false, errors };
    return { ok: true, objects };
  }

  #resolveTraits(
    definitions: DefinitionSet,
    component: ComponentSpec,
    errors: ComposeError[],
  ): ResolvedTrait[] {
    const resolved: ResolvedTrait[] = [];
    (component.traits ?? []).forEach((trait, index) => {
      const definition = definitions.traits.get(trait.type);
      if (definition === undefined) {
        errors.push({ path: `/traits/${index}/type`, message: `unknown trait type "${trait.type}"` });
        return;
      }
      const parameter = this.#properties(
        'trait',
        definition,
        trait.properties,
        `/traits/${index}/properties`,
        `/traits/${index}/type`,
        errors,
      );
      if (parameter !== undefined) resolved.push({ index, type: trait.type, definition, parameter });
    });
    return resolved;
  }

  /** The properties with their schema's defaults, or undefined after recording what is wrong. */
  #properties(
    kind: 'component' | 'trait',
    definition: DefinitionRef<ComponentDefinitionSpec | TraitDefinitionSpec>,
    properties: unknown,
    propertiesPath: string,
    typePath: string,
    errors: ComposeError[],
  ): Record<string, unknown> | undefined {
    const { version, schema } = definition.spec;
    const result = this.#validators.validate(
      { id: `${kind}/${definition.name}`, version, schema },
      properties,
    );
    if (result.ok) return result.value;
    if ('schemaError' in result) {
      const what = kind === 'component' ? 'component type' : 'trait';
      errors.push({
        path: typePath,
        message: `${what} "${definition.name}" (${version}) has a properties schema that does not compile: ${result.schemaError}`,
      });
    } else {
      for (const detail of result.errors)
        errors.push({ path: `${propertiesPath}${detail.path}`, message: detail.message });
    }
    return undefined;
  }

  #renderComponentTemplates(
    spec: ComponentDefinitionSpec,
    variables: TemplateVariables,
    owner: Owner,
    errors: ComposeError[],
  ): Draft[] {
    const drafts: Draft[] = [];
    spec.templates.forEach((template, index) => {
      // The first template is the workload, except for a chart's component (the chart renders its objects).
      const isWorkload = index === 0 && spec.helm === undefined;
      if (isWorkload && template.includeWhen !== undefined) {
        errors.push({
          path: owner.path,
          message: `${owner.name}, template "${template.name}": the workload template (the first) cannot have includeWhen`,
        });
        return;
      }
      const pieces = this.#renderOutput(template, template.name, variables, owner, errors);
      if (isWorkload && pieces?.length === 0) {
        errors.push({
          path: owner.path,
          message: `${owner.name}, template "${template.name}": the workload template rendered an empty List`,
        });
      }
      pieces?.forEach((piece, position) => {
        const workload = isWorkload && position === 0;
        const standard = piece.fromList ? standardHealthFor(piece.object) : undefined;
        drafts.push({
          output: workload ? 'workload' : piece.output,
          stage: 'main',
          workload,
          object: piece.object,
          health: workload ? (spec.health?.policy ?? standard) : standard,
          owner,
        });
      });
    });
    return drafts;
  }

  #applyTraitPatches(
    trait: ResolvedTrait,
    component: DefinitionRef<ComponentDefinitionSpec>,
    workload: Draft | undefined,
    variables: TemplateVariables,
    owner: Owner,
    errors: ComposeError[],
  ): void {
    const { patch, podPatch } = trait.definition.spec;
    if (patch === undefined && podPatch === undefined) return;
    if (workload === undefined) {
      errors.push({
        path: owner.path,
        message: `${owner.name} patches the workload, but component type "${component.name}" renders a Helm chart and has no workload to patch`,
      });
      return;
    }
    if (patch !== undefined) {
      const rendered = this.#render(patch, variables, owner, 'patch', errors);
      if (rendered !== undefined) workload.object = mergePatch(workload.object, rendered);
    }
    if (podPatch === undefined) return;
    const podTemplatePath = component.spec.workload.podTemplatePath;
    if (podTemplatePath === undefined) {
      errors.push({
        path: owner.path,
        message: `${owner.name} patches the pod template, but component type "${component.name}" (${component.spec.workload.kind}) has no podTemplatePath`,
      });
      return;
    }
    const rendered = this.#render(podPatch, variables, owner, 'podPatch', errors);
    if (rendered === undefined) return;
    const podTemplate = getAtPointer(workload.object, podTemplatePath);
    if (!isObject(podTemplate)) {
      errors.push({
        path: owner.path,
        message: `${owner.name} patches the pod template, but the workload of component type "${component.name}" has no object at ${podTemplatePath}`,
      });
      return;
    }
    const patched = mergePatch(podTemplate, rendered, podTemplatePath);
    for (const name of containersWithoutImage(podTemplate, patched)) {
      errors.push({
        path: owner.path,
        message: `${owner.name}: podPatch adds container "${name}" without an image (the workload has no container of that name)`,
      });
    }
    setAtPointer(workload.object, podTemplatePath, patched);
  }

  #renderTraitOutputs(
    trait: ResolvedTrait,
    variables: TemplateVariables,
    owner: Owner,
    errors: ComposeError[],
  ): Draft[] {
    const spec = trait.definition.spec;
    const drafts: Draft[] = [];
    for (const template of spec.outputs ?? []) {
      const pieces = this.#renderOutput(
        template,
        `trait/${trait.type}/${template.name}`,
        variables,
        owner,
        errors,
      );
      for (const piece of pieces ?? []) {
        drafts.push({
          output: piece.output,
          stage: spec.stage ?? 'post',
          workload: false,
          object: piece.object,
          health: spec.health?.policy ?? (piece.fromList ? standardHealthFor(piece.object) : undefined),
          owner,
        });
      }
    }
    return drafts;
  }

  /**
   * One output template: nothing when `includeWhen` is false, one object, or the items of a `v1` `List`
   * (`<output>/<i>`), which is how a definition renders a variable number of objects. Undefined on error.
   */
  #renderOutput(
    template: OutputTemplate,
    output: string,
    variables: TemplateVariables,
    owner: Owner,
    errors: ComposeError[],
  ): Piece[] | undefined {
    if (template.includeWhen !== undefined) {
      const part = `includeWhen of template "${template.name}"`;
      const include = this.#render(template.includeWhen, variables, owner, part, errors);
      if (include === undefined) return undefined;
      if (typeof include !== 'boolean') {
        errors.push({
          path: owner.path,
          message: `${owner.name}, ${part}: must give a bool, not ${JSON.stringify(include)}`,
        });
        return undefined;
      }
      if (!include) return [];
    }
    const value = this.#render(template.template, variables, owner, `template "${template.name}"`, errors);
    if (value === undefined) return undefined;
    return expandList(value, output, (message) =>
      errors.push({ path: owner.path, message: `${owner.name}, template "${template.name}": ${message}` }),
    );
  }

  /** A rendered template, or undefined after recording its errors with the template path and expression. */
  #render(
    template: unknown,
    variables: TemplateVariables,
    owner: Owner,
    part: string,
    errors: ComposeError[],
  ): JsonValue | undefined {
    const result = this.#renderer.render(template, variables);
    if (result.ok) return result.value;
    for (const error of result.errors) {
      const where = error.path === '' ? '' : ` at ${error.path}`;
      const expression = error.expression === '' ? '' : ` in \${${error.expression}}`;
      errors.push({
        path: owner.path,
        message: `${owner.name}, ${part}${where}${expression}: ${error.message}`,
        ...(error.expression === '' ? {} : { expression: error.expression }),
      });
    }
    return undefined;
  }

  async #renderHelm(
    spec: ComponentDefinitionSpec,
    variables: TemplateVariables,
    context: RenderContext,
    owner: Owner,
    errors: ComposeError[],
  ): Promise<Draft[]> {
    const block = this.#render(spec.helm, variables, owner, 'helm block', errors);
    if (block === undefined) return [];
    const input = helmInput(block, context, (message) =>
      errors.push({ path: owner.path, message: `${owner.name}, helm block: ${message}` }),
    );
    if (input === undefined) return [];
    if (this.#helm === undefined) {
      errors.push({
        path: owner.path,
        message: `${owner.name} renders a Helm chart, but no helm binary is configured`,
      });
      return [];
    }
    let manifests: unknown[];
    try {
      manifests = await this.#helm.render(input);
    } catch (error) {
      if (!(error instanceof HelmError)) throw error;
      errors.push({
        path: owner.path,
        message: `${owner.name}: helm could not render chart "${input.chart}": ${error.message}`,
      });
      return [];
    }
    const drafts: Draft[] = [];
    const taken = new Set<string>();
    manifests.forEach((manifest, index) => {
      const report = (message: string) =>
        errors.push({ path: owner.path, message: `${owner.name}, chart "${input.chart}": ${message}` });
      for (const piece of expandList(manifest as JsonValue, `helm/${index}`, report) ?? []) {
        let output = helmOutputName(piece.object) ?? piece.output;
        if (taken.has(output)) output = `${output}/${index}`;
        taken.add(output);
        drafts.push({
          output,
          stage: 'main',
          workload: false,
          object: piece.object,
          health: standardHealthFor(piece.object),
          owner,
        });
      }
    });
    // The chart's first Deployment, StatefulSet or DaemonSet stands for the component's health.
    const primary = drafts.find(
      (draft) =>
        isObject(draft.object) &&
        PRIMARY_CHART_WORKLOADS.has(`${String(draft.object.apiVersion)}/${String(draft.object.kind)}`),
    );
    if (primary) primary.workload = true;
    return drafts;
  }

  /** Checks every object, stamps Gantry's labels, and orders the objects by stage. */
  #finish(
    drafts: Draft[],
    spec: ComponentDefinitionSpec,
    context: RenderContext,
    errors: ComposeError[],
  ): RenderedObject[] {
    const labels = gantryLabels(context);
    const seen = new Map<string, string>();
    const objects: RenderedObject[] = [];
    for (const draft of drafts) {
      const problem = checkManifest(draft.object);
      if (problem !== undefined) {
        errors.push({
          path: draft.owner.path,
          message: `${draft.owner.name}, output "${draft.output}": ${problem}`,
        });
        continue;
      }
      const object = draft.object as Manifest;
      const identity = objectIdentity(object);
      const first = seen.get(identity.key);
      if (first !== undefined) {
        errors.push({
          path: draft.owner.path,
          message: `${draft.owner.name}, output "${draft.output}": renders ${identity.text}, which output "${first}" renders too`,
        });
        continue;
      }
      seen.set(identity.key, draft.output);
      object.metadata.labels = { ...object.metadata.labels, ...labels };
      object.metadata.annotations = {
        ...object.metadata.annotations,
        [revisionAnnotation]: String(context.revision),
      };
      const podTemplatePath =
        (draft.workload && spec.helm === undefined ? spec.workload.podTemplatePath : undefined) ??
        POD_TEMPLATE_PATHS[`${object.apiVersion}/${object.kind}`];
      if (podTemplatePath !== undefined) stampPodTemplate(object, podTemplatePath, labels);
      objects.push({
        output: draft.output,
        stage: draft.stage,
        workload: draft.workload,
        object,
        ...(draft.health === undefined ? {} : { health: draft.health }),
      });
    }
    // Stable: within a stage, objects keep the order of templates and traits.
    return objects.sort((a, b) => STAGE_ORDER[a.stage] - STAGE_ORDER[b.stage]);
  }
}

function expandList(
  value: JsonValue,
  output: string,
  report: (message: string) => void,
): Piece[] | undefined {
  if (!isObject(value) || value.apiVersion !== 'v1' || value.kind !== 'List')
    return [{ output, object: value, fromList: false }];
  const items = value.items ?? [];
  if (!Array.isArray(items)) {
    report(`a List's items must be a list, not ${JSON.stringify(items)}`);
    return undefined;
  }
  return items.map((item, index) => ({ output: `${output}/${index}`, object: item, fromList: true }));
}

function standardHealthFor(object: unknown): string | undefined {
  if (!isObject(object) || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string')
    return undefined;
  return standardHealthPolicy(object.apiVersion, object.kind);
}

function stampPodTemplate(object: Manifest, path: string, labels: Record<string, string>): void {
  const template = getAtPointer(object, path);
  if (!isObject(template)) return;
  const metadata = isObject(template.metadata) ? template.metadata : {};
  const existing = isObject(metadata.labels) ? metadata.labels : {};
  template.metadata = { ...metadata, labels: { ...existing, ...labels } };
}

/** Containers (and init containers) a pod patch added with no image: a patch aimed at a missing container. */
function containersWithoutImage(before: Record<string, unknown>, after: unknown): string[] {
  const names = (template: unknown, field: string): Map<string, unknown> => {
    const spec = isObject(template) && isObject(template.spec) ? template.spec : {};
    const list = Array.isArray(spec[field]) ? (spec[field] as unknown[]) : [];
    return new Map(list.filter(isObject).map((container) => [String(container.name), container]));
  };
  const added: string[] = [];
  for (const field of ['containers', 'initContainers']) {
    const old = names(before, field);
    for (const [name, container] of names(after, field)) {
      if (!old.has(name) && isObject(container) && container.image === undefined) added.push(name);
    }
  }
  return added;
}

function helmInput(
  block: JsonValue,
  context: RenderContext,
  report: (message: string) => void,
): HelmRenderInput | undefined {
  if (!isObject(block)) {
    report('must render an object');
    return undefined;
  }
  let ok = true;
  const text = (
    name: 'chart' | 'repo' | 'version' | 'releaseName',
    required: boolean,
  ): string | undefined => {
    const value = block[name];
    if (typeof value === 'string' && value !== '') return value;
    if (value !== undefined || required) {
      report(
        `${name} must be a non-empty string${required ? '' : ' when set'}, not ${JSON.stringify(value)}`,
      );
      ok = false;
    }
    return undefined;
  };
  const chart = text('chart', true);
  const repo = text('repo', false);
  const version = text('version', false);
  const releaseName = text('releaseName', false);
  const values = helmValues(block.values as JsonValue | undefined, report);
  if (!ok || chart === undefined || values === undefined) return undefined;
  return {
    chart,
    ...(repo === undefined ? {} : { repo }),
    ...(version === undefined ? {} : { version }),
    values,
    releaseName: releaseName ?? context.component,
    namespace: context.namespace,
  };
}

/**
 * A chart's values: the block's `values` map. Its keys are literal (the kind allows only a map there), so
 * a definition passes a whole map from its properties with the key `$merge`: `values: {$merge:
 * '${parameter.values}', other: ...}` gives the `$merge` map with the other keys merged over it.
 */
function helmValues(
  values: JsonValue | undefined,
  report: (message: string) => void,
): Record<string, unknown> | undefined {
  if (values === undefined || values === null) return {};
  if (!isObject(values)) {
    report(`values must be a map, not ${JSON.stringify(values)}`);
    return undefined;
  }
  if (!Object.hasOwn(values, '$merge')) return values;
  const { $merge: base, ...rest } = values;
  if (base !== null && !isObject(base)) {
    report(`values.$merge must be a map, not ${JSON.stringify(base)}`);
    return undefined;
  }
  return mergePatch(base ?? {}, rest) as Record<string, unknown>;
}

function helmOutputName(object: unknown): string | undefined {
  if (!isObject(object) || !isObject(object.metadata)) return undefined;
  const { kind } = object;
  const { name } = object.metadata;
  return typeof kind === 'string' && typeof name === 'string' ? `helm/${kind}/${name}` : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
