import { parseDocument, stringify } from 'yaml';
import { ApiError, type Resource, API_VERSION } from '@gantry/client';
import type { KindInfo } from '../api/types';
import { isRecord } from '../api/normalize';

export function resourceToYaml(resource: Resource): string {
  return stringify(resource, { lineWidth: 0 });
}

/**
 * Parses the editor's text into a resource body. A syntax error or a non-object document is reported as
 * an ApiError-shaped value so that the editor shows it like a server error.
 */
export function parseResourceYaml(
  text: string,
): { ok: true; resource: Resource } | { ok: false; error: ApiError } {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    return {
      ok: false,
      error: new ApiError(0, 'YAML_SYNTAX', `YAML syntax error: ${first?.message.split('\n')[0] ?? ''}`),
    };
  }
  const value: unknown = doc.toJS();
  if (!isRecord(value)) {
    return {
      ok: false,
      error: new ApiError(
        0,
        'YAML_SHAPE',
        'The document must be a mapping (apiVersion, kind, metadata, spec)',
      ),
    };
  }
  const metadata = isRecord(value['metadata']) ? value['metadata'] : {};
  return { ok: true, resource: { ...value, metadata } as unknown as Resource };
}

/** A starting document for a new resource: required spec fields from the kind's JSON Schema. */
export function newResourceYaml(kind: KindInfo, team: string | undefined): string {
  const metadata: Record<string, unknown> = { name: '' };
  if (kind.scope === 'Team') metadata['team'] = team ?? '';
  metadata['labels'] = {};
  const specSchema =
    isRecord(kind.schema) && isRecord(kind.schema['properties'])
      ? kind.schema['properties']['spec']
      : undefined;
  const spec = skeleton(specSchema, 0) ?? {};
  const apiVersion = kind.group && kind.version ? `${kind.group}/${kind.version}` : API_VERSION;
  return stringify({ apiVersion, kind: kind.kind, metadata, spec }, { lineWidth: 0 });
}

function skeleton(schema: unknown, depth: number): unknown {
  if (!isRecord(schema) || depth > 4) return undefined;
  if ('default' in schema) return schema['default'];
  const type = Array.isArray(schema['type']) ? schema['type'][0] : schema['type'];
  switch (type) {
    case 'object': {
      const properties = isRecord(schema['properties']) ? schema['properties'] : {};
      const required = Array.isArray(schema['required'])
        ? schema['required'].filter((key) => typeof key === 'string')
        : [];
      const result: Record<string, unknown> = {};
      for (const key of required) result[key] = skeleton(properties[key], depth + 1) ?? null;
      return result;
    }
    case 'array':
      return [];
    case 'string':
      return Array.isArray(schema['enum']) && schema['enum'].length > 0 ? schema['enum'][0] : '';
    case 'integer':
    case 'number':
      return typeof schema['minimum'] === 'number' ? schema['minimum'] : 0;
    case 'boolean':
      return false;
    default:
      return undefined;
  }
}
