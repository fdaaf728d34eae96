import {
  ApplicationSpec as ApplicationSpecSchema,
  isPlainObject,
  type ApplicationSpec,
  type ComponentSpec,
  type ErrorDetail,
} from '@gantry/model';
import { convertComponentProperties, resolveComponentType, type DefinitionNames } from './components.ts';
import { convertPlacement, type DocumentComponent } from './placement.ts';
import { ConversionProblems, pointer } from './problems.ts';
import { convertTrait } from './traits.ts';

/**
 * KubeVela `core.oam.dev/v1beta1` Applications in Gantry's form (ADR 0007, docs/reference/kubevela.md):
 * components one to one with their traits (so a path Gantry's trait check reports is the same in the
 * KubeVela document), topology and override policies as Gantry's topology and overrides. Everything
 * that has no Gantry equivalent is reported, all of it at once, with its path in the KubeVela document.
 */

export const KUBEVELA_API_VERSION = 'core.oam.dev/v1beta1';

export type { DefinitionNames } from './components.ts';

export interface ConvertedMetadata {
  name: string;
  /** Gantry's own fields, which `gantry apply` adds to the document it sends. */
  team?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ConvertedApplication {
  apiVersion: 'gantry.dev/v1alpha1';
  kind: 'Application';
  metadata: ConvertedMetadata;
  spec: ApplicationSpec;
}

export type KubeVelaConversion =
  { ok: true; object: ConvertedApplication; notes: string[] } | { ok: false; errors: ErrorDetail[] };

/** KubeVela keeps its own bookkeeping in these annotations; Gantry has its own. */
const KUBEVELA_ANNOTATION_PREFIX = 'app.oam.dev/';
/** kubectl's copy of the KubeVela document, meaningless once converted. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Written by the Kubernetes API server that held the KubeVela application; Gantry writes its own. */
const KUBERNETES_SERVER_FIELDS = new Set([
  'uid',
  'generation',
  'creationTimestamp',
  'updatedTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);
const COMPONENT_FIELD_HINTS: Readonly<Record<string, string>> = {
  inputs: 'Gantry components pass no data to each other',
  outputs: 'Gantry components pass no data to each other',
  externalRevision: 'Gantry numbers revisions itself',
  scopes: '',
};
const REVISION_HISTORY_LIMIT = ApplicationSpecSchema.properties.revisionHistoryLimit.default as number;

/**
 * `catalog` names the definitions the server has, when the caller knows them: a KubeVela type that
 * converts to a Gantry type it lacks is then reported here, and a type KubeVela does not build in but
 * the catalog has passes through unchanged. Properties are checked later, by the trait check.
 */
export function convertKubeVelaApplication(
  document: Record<string, unknown>,
  catalog?: DefinitionNames,
): KubeVelaConversion {
  const problems = new ConversionProblems();
  if (document['apiVersion'] !== KUBEVELA_API_VERSION)
    problems.error('/apiVersion', `must be ${KUBEVELA_API_VERSION}`);
  if (document['kind'] !== 'Application') problems.error('/kind', 'must be Application');
  for (const key of Object.keys(document).filter(
    (k) => !['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(k),
  )) {
    problems.error(pointer('', key), `${key} is not a field of a KubeVela Application`);
  }
  const { metadata, namespace } = convertMetadata(document['metadata'], problems);
  const spec = document['spec'];
  if (!isPlainObject(spec)) {
    problems.error('/spec', 'must be an object');
    return { ok: false, errors: problems.errors };
  }
  for (const key of Object.keys(spec).filter((k) => !['components', 'policies', 'workflow'].includes(k))) {
    problems.error(pointer('/spec', key), `${key} is not a field of a KubeVela Application's spec`);
  }
  const { components, documentComponents } = convertComponents(spec['components'], problems, catalog);
  const placement = convertPlacement({
    policies: spec['policies'],
    workflow: spec['workflow'],
    namespace,
    components: documentComponents,
    problems,
    catalog,
  });
  if (problems.errors.length > 0 || metadata === undefined) return { ok: false, errors: problems.errors };
  return {
    ok: true,
    object: {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Application',
      metadata,
      spec: {
        components,
        topology: placement.topology,
        ...(placement.overrides.length > 0 ? { overrides: placement.overrides } : {}),
        revisionHistoryLimit: REVISION_HISTORY_LIMIT,
      },
    },
    notes: problems.notes,
  };
}

function convertMetadata(
  metadata: unknown,
  problems: ConversionProblems,
): { metadata: ConvertedMetadata | undefined; namespace: string } {
  if (!isPlainObject(metadata)) {
    problems.error('/metadata', 'must be an object with a name');
    return { metadata: undefined, namespace: 'default' };
  }
  const converted: Partial<ConvertedMetadata> = {};
  let namespace = 'default';
  for (const [key, value] of Object.entries(metadata)) {
    const path = pointer('/metadata', key);
    if (key === 'name' || key === 'team' || key === 'resourceVersion') {
      if (typeof value === 'string' && value !== '') converted[key] = value;
      else problems.error(path, 'must be a string');
    } else if (key === 'namespace') {
      if (typeof value === 'string' && value !== '') namespace = value;
      else problems.error(path, 'must be a string');
    } else if (key === 'labels') {
      if (isPlainObject(value)) converted.labels = { ...(value as Record<string, string>) };
      else problems.error(path, 'must be a map');
    } else if (key === 'annotations') {
      if (isPlainObject(value))
        converted.annotations = ownAnnotations(value as Record<string, string>, problems);
      else problems.error(path, 'must be a map');
    } else if (!KUBERNETES_SERVER_FIELDS.has(key)) {
      problems.error(path, `KubeVela metadata.${key} has no Gantry equivalent`);
    }
  }
  if (converted.name === undefined) {
    if (metadata['name'] === undefined) problems.error('/metadata/name', 'is required');
    return { metadata: undefined, namespace };
  }
  return { metadata: { ...converted, name: converted.name }, namespace };
}

function ownAnnotations(
  annotations: Record<string, string>,
  problems: ConversionProblems,
): Record<string, string> {
  const kept: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith(KUBEVELA_ANNOTATION_PREFIX) || key === LAST_APPLIED) dropped.push(key);
    else kept[key] = value;
  }
  if (dropped.length > 0)
    problems.note(`annotations ${dropped.join(', ')} dropped: KubeVela's (or kubectl's) own bookkeeping`);
  return kept;
}

function convertComponents(
  components: unknown,
  problems: ConversionProblems,
  catalog: DefinitionNames | undefined,
): { components: ComponentSpec[]; documentComponents: DocumentComponent[] } {
  const converted: ComponentSpec[] = [];
  const documentComponents: DocumentComponent[] = [];
  if (!Array.isArray(components) || components.length === 0) {
    problems.error('/spec/components', 'must be a list of components');
    return { components: converted, documentComponents };
  }
  components.forEach((component: unknown, index) => {
    const path = pointer('/spec/components', index);
    if (!isPlainObject(component)) return problems.error(path, 'a KubeVela component must be an object');
    for (const key of Object.keys(component).filter(
      (k) => !['name', 'type', 'properties', 'traits', 'dependsOn'].includes(k),
    )) {
      const hint = Object.hasOwn(COMPONENT_FIELD_HINTS, key) ? COMPONENT_FIELD_HINTS[key] : undefined;
      problems.error(
        pointer(path, key),
        `KubeVela component field ${key} has no Gantry equivalent${hint ? `: ${hint}` : ''}`,
      );
    }
    const name = component['name'];
    if (typeof name !== 'string' || name === '')
      return problems.error(pointer(path, 'name'), 'a KubeVela component needs a name');
    const kubevelaType = String(component['type']);
    const resolved = resolveComponentType(component['type'], path, problems, catalog);
    const traits = component['traits'];
    if (traits !== undefined && !Array.isArray(traits))
      problems.error(pointer(path, 'traits'), 'must be a list');
    const traitList: unknown[] = Array.isArray(traits) ? traits : [];
    const kubevelaProperties = isPlainObject(component['properties']) ? component['properties'] : {};
    const ownService = resolved?.gantryType === 'webservice' && exposesPorts(kubevelaProperties);
    documentComponents.push({
      name,
      type: kubevelaType,
      resolved,
      properties: kubevelaProperties,
      traitTypes: new Set(
        traitList.flatMap((t) => (isPlainObject(t) && typeof t['type'] === 'string' ? [t['type']] : [])),
      ),
      ownService,
    });
    // A component whose type does not convert still has its traits converted, to report them too.
    const context = { problems, mode: 'full' as const, subject: `KubeVela ${kubevelaType}`, component: name };
    const properties =
      resolved &&
      convertComponentProperties(resolved, component['properties'], pointer(path, 'properties'), context);
    const convertedTraits = traitList.flatMap((trait, traitIndex) => {
      const result = convertTrait(trait, pointer(path, 'traits', traitIndex), {
        problems,
        component: name,
        mode: 'full',
        catalog,
        allowDisable: false,
        ownService,
      });
      return result === undefined
        ? []
        : [
            {
              type: result.type,
              ...(result.properties !== undefined ? { properties: result.properties } : {}),
            },
          ];
    });
    const dependsOn = component['dependsOn'];
    if (
      dependsOn !== undefined &&
      !(Array.isArray(dependsOn) && dependsOn.every((d) => typeof d === 'string'))
    ) {
      problems.error(pointer(path, 'dependsOn'), 'must be a list of component names');
    }
    if (resolved === undefined) return;
    converted.push({
      name,
      type: resolved.gantryType,
      ...(properties !== undefined &&
      (component['properties'] !== undefined || Object.keys(properties).length > 0)
        ? { properties }
        : {}),
      ...(convertedTraits.length > 0 ? { traits: convertedTraits } : {}),
      ...(Array.isArray(dependsOn) ? { dependsOn: dependsOn.map(String) } : {}),
    });
  });
  return { components: converted, documentComponents };
}

/** A KubeVela webservice with a port marked `expose` has a Service named after the component. */
function exposesPorts(properties: Record<string, unknown>): boolean {
  const ports = properties['ports'];
  return (
    Array.isArray(ports) && ports.some((port: unknown) => isPlainObject(port) && port['expose'] === true)
  );
}
