import { parse, stringify } from 'yaml';
import { isRecord } from '../api/normalize';

/**
 * The pure half of the schema form: a definition's JSON Schema (`spec.schema`) read into form fields,
 * the form's values turned into a properties object and back, validation rules, and error paths mapped
 * to fields. components/schema-form.tsx renders the fields with antd.
 */

/** A name path in an antd form: object keys and list indexes. */
export type FieldPath = (string | number)[];

export type Scalar = string | number | boolean;
export type ScalarType = 'string' | 'integer' | 'number' | 'boolean';

interface FieldBase {
  /** The property name within its object. */
  readonly key: string;
  /** `title`, else the key. */
  readonly label: string;
  readonly description: string | undefined;
  /** Listed in the parent object's `required`. */
  readonly required: boolean;
  /** The schema's `default`, when it has one. */
  readonly default?: unknown;
}

export type ScalarField = FieldBase & {
  readonly type: ScalarType;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
};
export type EnumField = FieldBase & { readonly type: 'enum'; readonly options: readonly Scalar[] };
export type ObjectField = FieldBase & { readonly type: 'object'; readonly fields: readonly SchemaField[] };
/** An object without fixed properties whose values are scalars (`additionalProperties: {type: string}`). */
export type MapField = FieldBase & { readonly type: 'map'; readonly valueType: ScalarType };
export type ArrayField = FieldBase & {
  readonly type: 'array';
  readonly item: ScalarField | EnumField | ObjectField;
  readonly minItems?: number;
  readonly maxItems?: number;
};
/** Anything else the form does not model (oneOf, free-form objects, nested arrays): edited as YAML. */
export type YamlField = FieldBase & { readonly type: 'yaml' };

export type SchemaField = ScalarField | EnumField | ObjectField | MapField | ArrayField | YamlField;

/** The form's shape of a map: an editable list of entries. */
export interface MapEntry {
  key?: string;
  value?: Scalar | null;
}

const scalarTypes: readonly string[] = ['string', 'integer', 'number', 'boolean'];

function schemaType(schema: Record<string, unknown>): string | undefined {
  const type = schema['type'];
  if (typeof type === 'string') return type;
  // `["string", "null"]`: the form offers the non-null type; leaving the field empty means null/absent.
  if (Array.isArray(type))
    return type.find((candidate) => candidate !== 'null' && typeof candidate === 'string');
  if (isRecord(schema['properties'])) return 'object';
  if (schema['items'] !== undefined) return 'array';
  return undefined;
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** The fields of an object schema (the properties' root), in the schema's order. */
export function describeSchema(schema: unknown): SchemaField[] {
  if (!isRecord(schema) || !isRecord(schema['properties'])) return [];
  const required = new Set(
    Array.isArray(schema['required']) ? schema['required'].filter((key) => typeof key === 'string') : [],
  );
  return Object.entries(schema['properties']).map(([key, child]) =>
    describeField(key, child, required.has(key)),
  );
}

export function describeField(key: string, schema: unknown, required: boolean): SchemaField {
  const raw = isRecord(schema) ? schema : {};
  const base: FieldBase = {
    key,
    label: typeof raw['title'] === 'string' && raw['title'] ? raw['title'] : key,
    description:
      typeof raw['description'] === 'string' && raw['description'] ? raw['description'] : undefined,
    required,
    ...('default' in raw ? { default: raw['default'] } : {}),
  };
  const options = Array.isArray(raw['enum'])
    ? raw['enum'].filter(isScalar)
    : isScalar(raw['const'])
      ? [raw['const']]
      : undefined;
  if (options && options.length > 0) return { ...base, type: 'enum', options };
  if (raw['oneOf'] !== undefined || raw['anyOf'] !== undefined || raw['$ref'] !== undefined)
    return { ...base, type: 'yaml' };

  const type = schemaType(raw);
  if (type !== undefined && scalarTypes.includes(type))
    return { ...scalarLimits(raw), ...base, type: type as ScalarType };
  if (type === 'object') {
    if (isRecord(raw['properties']) && Object.keys(raw['properties']).length > 0)
      return { ...base, type: 'object', fields: describeSchema(raw) };
    const values = raw['additionalProperties'];
    const valueType = isRecord(values) ? schemaType(values) : undefined;
    if (
      valueType !== undefined &&
      scalarTypes.includes(valueType) &&
      !Array.isArray(isRecord(values) ? values['enum'] : undefined)
    )
      return { ...base, type: 'map', valueType: valueType as ScalarType };
    return { ...base, type: 'yaml' };
  }
  if (type === 'array') {
    const item = describeField('item', raw['items'], false);
    const limits = {
      ...(numberOr(raw['minItems']) !== undefined ? { minItems: numberOr(raw['minItems']) } : {}),
      ...(numberOr(raw['maxItems']) !== undefined ? { maxItems: numberOr(raw['maxItems']) } : {}),
    };
    if (item.type === 'object' || item.type === 'enum' || scalarTypes.includes(item.type))
      return { ...base, ...limits, type: 'array', item: item as ArrayField['item'] };
    return { ...base, type: 'yaml' };
  }
  return { ...base, type: 'yaml' };
}

function scalarLimits(schema: Record<string, unknown>) {
  const limits: {
    minimum?: number;
    maximum?: number;
    minLength?: number;
    maxLength?: number;
    pattern?: string;
  } = {};
  const minimum = numberOr(schema['minimum']) ?? numberOr(schema['exclusiveMinimum']);
  const maximum = numberOr(schema['maximum']) ?? numberOr(schema['exclusiveMaximum']);
  if (minimum !== undefined) limits.minimum = minimum;
  if (maximum !== undefined) limits.maximum = maximum;
  if (numberOr(schema['minLength']) !== undefined) limits.minLength = numberOr(schema['minLength']);
  if (numberOr(schema['maxLength']) !== undefined) limits.maxLength = numberOr(schema['maxLength']);
  if (typeof schema['pattern'] === 'string') limits.pattern = schema['pattern'];
  return limits;
}

// ---------------------------------------------------------------------------------------------------
// Values: properties (what the application carries) <-> form values (what antd's form holds)
// ---------------------------------------------------------------------------------------------------

export type FormRecord = Record<string, unknown>;

/**
 * The form's values for a properties object: each field from `properties` when it has the key, else
 * from the schema's default. Maps become entry lists and free-form values YAML text.
 */
export function formValuesOf(fields: readonly SchemaField[], properties?: unknown): FormRecord {
  const source = isRecord(properties) ? properties : {};
  const values: FormRecord = {};
  for (const field of fields) {
    const value = field.key in source ? source[field.key] : field.default;
    const formValue = toFormValue(field, value);
    if (formValue !== undefined) values[field.key] = formValue;
  }
  return values;
}

function toFormValue(field: SchemaField, value: unknown): unknown {
  switch (field.type) {
    case 'object':
      // Nested objects always get their values (and defaults) so that their fields start filled in.
      return formValuesOf(field.fields, value);
    case 'map':
      return isRecord(value)
        ? Object.entries(value).map(([key, entry]): MapEntry => ({
            key,
            value: isScalar(entry) ? entry : null,
          }))
        : undefined;
    case 'array':
      if (!Array.isArray(value)) return undefined;
      return value.map((item) =>
        field.item.type === 'object' ? formValuesOf(field.item.fields, item) : item,
      );
    case 'yaml':
      return value === undefined ? undefined : stringify(value, { lineWidth: 0 }).trimEnd();
    default:
      return value;
  }
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === '' ||
    (isRecord(value) && Object.keys(value).length === 0)
  );
}

/**
 * The properties object for the form's values: empty optional fields are left out, so the definition's
 * defaults apply to them. An optional object is left out while it holds nothing but its own defaults
 * (see objectIsSet). A YAML field that does not parse is kept as its text (the field's rule reports it).
 */
export function propertiesOf(fields: readonly SchemaField[], values: unknown): FormRecord {
  const source = isRecord(values) ? values : {};
  const properties: FormRecord = {};
  for (const field of fields) {
    if (field.type === 'object' && !field.required && !objectIsSet(field, source[field.key])) continue;
    const value = fromFormValue(field, source[field.key]);
    if (isEmpty(value) && !(field.required && isRecord(value))) continue;
    if (Array.isArray(value) && value.length === 0 && !field.required && !isNonEmptyArray(field.default))
      continue;
    properties[field.key] = value;
  }
  return properties;
}

function isNonEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

/**
 * Whether the user put something into an optional object: it has properties, and they are not just the
 * defaults the form filled in. An untouched optional object is left out of the properties, and its
 * required fields are only required once it is set (a `valueFrom` left alone needs no `secretKeyRef`).
 */
export function objectIsSet(field: ObjectField, value: unknown): boolean {
  const properties = propertiesOf(field.fields, value);
  if (Object.keys(properties).length === 0) return false;
  const untouched = propertiesOf(field.fields, formValuesOf(field.fields));
  return JSON.stringify(properties) !== JSON.stringify(untouched);
}

function fromFormValue(field: SchemaField, value: unknown): unknown {
  switch (field.type) {
    case 'object':
      return propertiesOf(field.fields, value);
    case 'map': {
      if (!Array.isArray(value)) return undefined;
      const map: FormRecord = {};
      for (const entry of value) {
        if (!isRecord(entry) || typeof entry['key'] !== 'string' || entry['key'].trim() === '') continue;
        map[entry['key'].trim()] = entry['value'] ?? (field.valueType === 'string' ? '' : null);
      }
      return map;
    }
    case 'array':
      if (!Array.isArray(value)) return undefined;
      if (field.item.type === 'object') {
        const item = field.item;
        return value.map((entry) => propertiesOf(item.fields, entry));
      }
      return value.filter((entry) => !isEmpty(entry));
    case 'yaml': {
      if (typeof value !== 'string' || value.trim() === '') return undefined;
      const parsed = parseYamlValue(value);
      return parsed.ok ? parsed.value : value;
    }
    case 'string':
      return typeof value === 'string' && value === '' && !field.required ? undefined : value;
    default:
      return value;
  }
}

export function parseYamlValue(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: parse(text) as unknown };
  } catch (error) {
    return {
      ok: false,
      message: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error),
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// Validation rules (structurally antd's RuleObject) and error paths
// ---------------------------------------------------------------------------------------------------

export interface FieldRule {
  required?: boolean;
  type?: 'string' | 'number' | 'integer' | 'boolean' | 'array';
  min?: number;
  max?: number;
  pattern?: RegExp;
  message: string;
  validator?: (rule: unknown, value: unknown) => Promise<void>;
}

/**
 * Whether the field's required-ness applies: inside an optional object, only once that object is set
 * (objectIsSet). Absent for fields of the properties' root and of list items, which always apply.
 */
export type RequiredGuard = () => boolean;

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** What the form checks before the server does: required, ranges, lengths, patterns, YAML syntax. */
export function fieldRules(field: SchemaField, guard?: RequiredGuard): FieldRule[] {
  const rules: FieldRule[] = [];
  const name = field.label;
  const listed = field.type === 'array' || field.type === 'map';
  if (field.required && !listed && field.type !== 'object' && field.type !== 'boolean') {
    const message = `${name} is required`;
    if (!guard) rules.push({ required: true, message });
    else
      rules.push({
        message,
        validator: (_rule, value) =>
          isBlank(value) && guard() ? Promise.reject(new Error(message)) : Promise.resolve(),
      });
  }
  switch (field.type) {
    case 'integer':
    case 'number':
      if (field.type === 'integer')
        rules.push({ type: 'integer', message: `${name} must be a whole number` });
      if (field.minimum !== undefined)
        rules.push({
          type: 'number',
          min: field.minimum,
          message: `${name} must be at least ${field.minimum}`,
        });
      if (field.maximum !== undefined)
        rules.push({
          type: 'number',
          max: field.maximum,
          message: `${name} must be at most ${field.maximum}`,
        });
      break;
    case 'string':
      if (field.minLength !== undefined)
        rules.push({
          type: 'string',
          min: field.minLength,
          message: `${name} needs at least ${field.minLength} characters`,
        });
      if (field.maxLength !== undefined)
        rules.push({
          type: 'string',
          max: field.maxLength,
          message: `${name} takes at most ${field.maxLength} characters`,
        });
      if (field.pattern !== undefined) {
        const pattern = safeRegExp(field.pattern);
        if (pattern) rules.push({ pattern, message: `${name} must match ${field.pattern}` });
      }
      break;
    case 'array':
    case 'map':
      rules.push(...listRules(field, guard));
      break;
    case 'yaml':
      rules.push({
        message: `${name} is not valid YAML`,
        validator: (_rule, value) => {
          if (typeof value !== 'string' || value.trim() === '') return Promise.resolve();
          const parsed = parseYamlValue(value);
          return parsed.ok ? Promise.resolve() : Promise.reject(new Error(`${name}: ${parsed.message}`));
        },
      });
      break;
    default:
      break;
  }
  return rules;
}

export interface ListRule {
  message: string;
  validator: (rule: unknown, value: unknown) => Promise<void>;
}

/**
 * The size checks of a list or map; antd's Form.List takes validator rules only. An empty optional list
 * is left out of the properties, so `minItems` applies once it has an item.
 */
export function listRules(field: ArrayField | MapField, guard?: RequiredGuard): ListRule[] {
  const minItems = field.type === 'array' ? (field.minItems ?? 0) : 0;
  const least = Math.max(minItems, field.required ? 1 : 0);
  const most = field.type === 'array' ? field.maxItems : undefined;
  if (least === 0 && most === undefined) return [];
  const name = field.label;
  const what = field.type === 'array' ? 'item(s)' : 'entry(ies)';
  return [
    {
      message: `${name} needs ${least}${most !== undefined ? ` to ${most}` : ' or more'} ${what}`,
      validator: (_rule, value) => {
        const count = Array.isArray(value) ? value.length : 0;
        const required = field.required && (!guard || guard());
        const needed = count === 0 && !required ? 0 : least;
        if (count < needed) return Promise.reject(new Error(`${name} needs at least ${needed} ${what}`));
        if (most !== undefined && count > most)
          return Promise.reject(new Error(`${name} takes at most ${most} ${what}`));
        return Promise.resolve();
      },
    },
  ];
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    // JSON Schema patterns are unanchored ECMA-262 expressions, like RegExp without flags.
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}

/** Splits a JSON pointer (`/a/b~1c/0`) into its segments, list indexes as numbers. */
export function pointerSegments(pointer: string): (string | number)[] {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment));
}

/**
 * The form field an error within a properties object is about (segments after `properties`): the
 * deepest field the form has on that path. An entry of a map is reported on the map; a path naming no
 * field gives `undefined`, and the caller shows it with the form's other errors.
 */
export function fieldPathOf(
  fields: readonly SchemaField[],
  segments: readonly (string | number)[],
): FieldPath | undefined {
  const [head, ...rest] = segments;
  const field = fields.find((candidate) => candidate.key === String(head));
  if (!field) return undefined;
  const path: FieldPath = [field.key];
  if (rest.length === 0) return path;
  switch (field.type) {
    case 'object': {
      const inner = fieldPathOf(field.fields, rest);
      return inner ? [...path, ...inner] : path;
    }
    case 'array': {
      const [index, ...within] = rest;
      if (typeof index !== 'number') return path;
      if (field.item.type !== 'object' || within.length === 0) return [...path, index];
      const inner = fieldPathOf(field.item.fields, within);
      return inner ? [...path, index, ...inner] : [...path, index];
    }
    default:
      return path;
  }
}

// ---------------------------------------------------------------------------------------------------
// YAML snippets, as a developer pastes them into an application
// ---------------------------------------------------------------------------------------------------

function withProperties<T extends object>(head: T, properties: FormRecord): T & { properties?: FormRecord } {
  return Object.keys(properties).length > 0 ? { ...head, properties } : head;
}

/** A component of the given type, under `components:` as in an application's spec. */
export function componentSnippet(name: string, type: string, properties: FormRecord): string {
  return stringify(
    { components: [withProperties({ name: name || 'my-component', type }, properties)] },
    { lineWidth: 0 },
  );
}

/** A trait of the given type, under `traits:` as in a component. */
export function traitSnippet(type: string, properties: FormRecord): string {
  return stringify({ traits: [withProperties({ type }, properties)] }, { lineWidth: 0 });
}
