import type { ComponentDefinitionSpec, Resource, TraitDefinitionSpec } from '@gantry/client';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { isRecord } from '../objects.ts';
import { openSession } from '../session.ts';

/** A component or trait definition's spec: the fields both have, and either's own. */
type Definition = Pick<ComponentDefinitionSpec, 'version' | 'description' | 'schema'> &
  Partial<Pick<ComponentDefinitionSpec, 'workload'>> &
  Partial<Pick<TraitDefinitionSpec, 'appliesToWorkloads' | 'conflictsWith' | 'stage' | 'podDisruptive'>>;

/**
 * `gantry explain TYPE[.FIELD...]`: a component type's or trait's properties from its definition's JSON
 * Schema, as kubectl explain does for Kubernetes fields. `trait/NAME` or `component/NAME` picks one when
 * both exist; a dotted path shows one property in depth.
 */
export async function explain(
  env: CommandEnv,
  typed: string,
  options: { recursive?: boolean },
): Promise<void> {
  const [target = '', ...path] = typed.split('.');
  const slash = target.indexOf('/');
  const group = slash < 0 ? undefined : target.slice(0, slash);
  const name = slash < 0 ? target : target.slice(slash + 1);
  if (group !== undefined && group !== 'component' && group !== 'trait')
    throw new CliError(`write component/${name} or trait/${name}, not ${group}/${name}`);
  const session = await openSession(env);
  const lookups = (
    group === 'trait'
      ? ['TraitDefinition']
      : group === 'component'
        ? ['ComponentDefinition']
        : ['ComponentDefinition', 'TraitDefinition']
  ) as ('ComponentDefinition' | 'TraitDefinition')[];
  let found: { kind: string; object: Resource } | undefined;
  for (const kind of lookups) {
    const object = await session.client.find(await session.resolveKind(kind), name);
    if (object) {
      found = { kind, object };
      break;
    }
  }
  if (!found)
    throw new CliError(
      `no component type or trait named ${name} (gantry get componentdefinitions, gantry get traitdefinitions)`,
    );
  const spec = found.object.spec as Definition;
  const lines: string[] = [];
  const isTrait = found.kind === 'TraitDefinition';
  lines.push(`${isTrait ? 'TRAIT' : 'COMPONENT TYPE'}: ${name} (version ${spec.version})`);
  if (spec.description) lines.push('', spec.description);
  if (spec.workload && spec.workload.kind !== '*')
    lines.push('', `WORKLOAD: ${spec.workload.kind} (${spec.workload.apiVersion})`);
  if (isTrait) {
    lines.push('', `APPLIES TO: ${(spec.appliesToWorkloads ?? ['*']).join(', ')}`);
    if ((spec.conflictsWith ?? []).length > 0)
      lines.push(`CONFLICTS WITH: ${spec.conflictsWith!.join(', ')}`);
    lines.push(`STAGE: ${spec.stage ?? 'post'}${spec.podDisruptive ? ' (restarts pods when changed)' : ''}`);
  }
  let schema: Record<string, unknown> = spec.schema;
  for (const [index, field] of path.entries()) {
    const next = childSchema(schema, field);
    if (!next)
      throw new CliError(
        `${[name, ...path.slice(0, index + 1)].join('.')}: no such property (has: ${Object.keys(propertiesOf(schema)).join(', ') || 'none'})`,
      );
    schema = next;
  }
  if (path.length > 0)
    lines.push(
      '',
      `FIELD: ${path.join('.')} <${typeName(schema)}>`,
      ...(typeof schema.description === 'string' ? [schema.description] : []),
    );
  const properties = propertiesOf(schema);
  if (Object.keys(properties).length > 0) {
    lines.push('', 'PROPERTIES:');
    lines.push(...describeProperties(schema, options.recursive === true ? 8 : 1, '  '));
  }
  env.io.out(`${lines.join('\n')}\n`);
}

function propertiesOf(schema: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const target = schema.type === 'array' && isRecord(schema.items) ? schema.items : schema;
  return isRecord(target.properties) ? (target.properties as Record<string, Record<string, unknown>>) : {};
}

function childSchema(schema: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const child = propertiesOf(schema)[field];
  return isRecord(child) ? child : undefined;
}

function typeName(schema: Record<string, unknown>): string {
  if (schema.type === 'array') return `[]${isRecord(schema.items) ? typeName(schema.items) : 'any'}`;
  if (Array.isArray(schema.enum))
    return `${String(schema.type ?? 'string')}: ${schema.enum.map(String).join('|')}`;
  if (schema.type === 'object' && isRecord(schema.additionalProperties) && !isRecord(schema.properties))
    return `map[string]${typeName(schema.additionalProperties)}`;
  return typeof schema.type === 'string' ? schema.type : 'any';
}

function describeProperties(schema: Record<string, unknown>, depth: number, indent: string): string[] {
  const required = new Set(
    Array.isArray(schema.required)
      ? (schema.required as string[])
      : isRecord(schema.items) && Array.isArray(schema.items.required)
        ? (schema.items.required as string[])
        : [],
  );
  const lines: string[] = [];
  for (const [key, child] of Object.entries(propertiesOf(schema))) {
    const flags = [
      required.has(key) ? 'required' : '',
      child.default !== undefined ? `default ${JSON.stringify(child.default)}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`${indent}${key} <${typeName(child)}>${flags ? ` (${flags})` : ''}`);
    if (typeof child.description === 'string') lines.push(`${indent}    ${child.description}`);
    if (depth > 1 && Object.keys(propertiesOf(child)).length > 0)
      lines.push(...describeProperties(child, depth - 1, `${indent}  `));
  }
  return lines;
}
