import { API_VERSION, type ApplicationSpec, type ComponentSpec, type Resource } from '@gantry/client';
import {
  fieldPathOf,
  pointerSegments,
  propertiesOf,
  type FieldPath,
  type FormRecord,
  type SchemaField,
} from './schema-form';

/** The new-application form's values, as antd's form holds them. */
export interface TraitValues {
  type?: string;
  properties?: FormRecord;
}

export interface ComponentValues {
  name?: string;
  type?: string;
  properties?: FormRecord;
  traits?: TraitValues[];
  dependsOn?: string[];
}

export interface NewApplicationValues {
  team?: string;
  name?: string;
  description?: string;
  namespace?: string;
  clusters?: string[];
  environments?: string[];
  components?: ComponentValues[];
}

/** The form fields of each definition's schema, by type name; `undefined` for a type the catalog lacks. */
export interface DefinitionFields {
  component(type: string): readonly SchemaField[] | undefined;
  trait(type: string): readonly SchemaField[] | undefined;
}

function nonEmpty<T>(list: readonly T[] | undefined): T[] | undefined {
  return list && list.length > 0 ? [...list] : undefined;
}

function componentOf(values: ComponentValues, definitions: DefinitionFields): ComponentSpec {
  const type = values.type ?? '';
  const properties = propertiesOf(definitions.component(type) ?? [], values.properties);
  const traits = (values.traits ?? []).map((trait) => {
    const traitType = trait.type ?? '';
    const traitProperties = propertiesOf(definitions.trait(traitType) ?? [], trait.properties);
    return {
      type: traitType,
      ...(Object.keys(traitProperties).length > 0 ? { properties: traitProperties } : {}),
    };
  });
  const dependsOn = nonEmpty(values.dependsOn);
  return {
    name: values.name?.trim() ?? '',
    type,
    ...(Object.keys(properties).length > 0 ? { properties } : {}),
    ...(traits.length > 0 ? { traits } : {}),
    ...(dependsOn ? { dependsOn } : {}),
  };
}

/** An Application as the form writes it: the server fills in the spec's defaults (revisionHistoryLimit). */
export type NewApplication = Resource & {
  spec: Omit<ApplicationSpec, 'revisionHistoryLimit'>;
};

/** The Application the form describes; what the server checks and stores. */
export function newApplicationResource(
  values: NewApplicationValues,
  definitions: DefinitionFields,
): NewApplication {
  const clusters = nonEmpty(values.clusters);
  const environments = nonEmpty(values.environments);
  const description = values.description?.trim();
  const spec: NewApplication['spec'] = {
    ...(description ? { description } : {}),
    components: (values.components ?? []).map((component) => componentOf(component, definitions)),
    topology: {
      ...(clusters ? { clusters } : {}),
      ...(environments ? { environments } : {}),
      namespace: values.namespace?.trim() || 'default',
    },
  };
  return {
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: values.name?.trim() ?? '', team: values.team ?? '' },
    spec,
  };
}

/**
 * The form field a server error detail is about (`/spec/components/0/traits/1/properties/replicas`):
 * the deepest one the form has, else the component's or trait's type picker; `undefined` for a path
 * outside what the form edits (the caller lists every detail next to the form anyway).
 */
export function fieldOfApplicationError(
  pointer: string,
  values: NewApplicationValues,
  definitions: DefinitionFields,
): FieldPath | undefined {
  const segments = pointerSegments(pointer.replace(/^(body|params|querystring)(?=\/)/, ''));
  const [root, section, ...rest] = segments;
  if (root === 'metadata') {
    if (section === 'name') return ['name'];
    if (section === 'team') return ['team'];
    return undefined;
  }
  if (root !== 'spec') return undefined;
  if (section === 'description') return ['description'];
  if (section === 'topology') {
    const [field] = rest;
    if (field === 'namespace') return ['namespace'];
    if (field === 'environments') return ['environments'];
    return ['clusters'];
  }
  if (section !== 'components') return undefined;
  const [index, field, ...within] = rest;
  if (typeof index !== 'number') return undefined;
  const component = values.components?.[index];
  const at: FieldPath = ['components', index];
  if (field === 'name' || field === 'dependsOn') return [...at, field];
  if (field === 'properties') {
    const inner = fieldPathOf(definitions.component(component?.type ?? '') ?? [], within);
    return inner ? [...at, 'properties', ...inner] : [...at, 'type'];
  }
  if (field === 'traits') {
    const [traitIndex, traitField, ...traitWithin] = within;
    if (typeof traitIndex !== 'number') return [...at, 'type'];
    const trait: FieldPath = [...at, 'traits', traitIndex];
    if (traitField === 'properties') {
      const fields = definitions.trait(component?.traits?.[traitIndex]?.type ?? '') ?? [];
      const inner = fieldPathOf(fields, traitWithin);
      if (inner) return [...trait, 'properties', ...inner];
    }
    return [...trait, 'type'];
  }
  return [...at, 'type'];
}
