import { deepEqual, isPlainObject } from '@gantry/model';
import { pointer, type ConversionProblems } from './problems.ts';

/**
 * The field-by-field rules that turn KubeVela properties into Gantry's: a table per definition
 * (components.ts, traits.ts) whose keys are KubeVela's property names. A field without a rule has no
 * Gantry equivalent and is reported with its path.
 */

/**
 * `full`: a component's or trait's whole properties, so KubeVela's defaults that differ from Gantry's are
 * written out. `patch`: an override's partial properties, converted field by field with nothing added.
 */
export type PropertyMode = 'full' | 'patch';

export interface PropertyContext {
  readonly problems: ConversionProblems;
  readonly mode: PropertyMode;
  /** Names the KubeVela definition in messages: `KubeVela webservice`, `KubeVela gateway trait`. */
  readonly subject: string;
  /** The component the properties belong to. */
  readonly component: string;
  /** Whether the component has a Service of its own, named after it (a webservice exposing ports). */
  readonly ownService?: boolean;
  /** In patch mode, the KubeVela properties being patched (a field may depend on one the patch leaves out). */
  readonly base?: Readonly<Record<string, unknown>>;
}

export interface Field {
  readonly key: string;
  readonly value: unknown;
  /** JSON pointer into the KubeVela document. */
  readonly path: string;
  /** Dotted name for messages: `ports[].nodePort`. */
  readonly name: string;
  /** The object the field belongs to, for rules that depend on a sibling. */
  readonly input: Readonly<Record<string, unknown>>;
}

/** Writes the Gantry form of one KubeVela field into `out`, or reports why it cannot. */
export type FieldRule = (field: Field, out: Record<string, unknown>, context: PropertyContext) => void;
export type FieldRules = Readonly<Record<string, FieldRule>>;

export function convertFields(
  input: unknown,
  path: string,
  rules: FieldRules,
  context: PropertyContext,
  prefix = '',
): Record<string, unknown> | undefined {
  if (!isPlainObject(input)) {
    context.problems.error(
      path,
      `${context.subject} ${prefix === '' ? 'properties' : `property ${prefix.slice(0, -1)}`} must be an object`,
    );
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const field: Field = { key, value, path: pointer(path, key), name: `${prefix}${key}`, input };
    const rule = Object.hasOwn(rules, key) ? rules[key] : undefined;
    if (rule === undefined) noEquivalent(field, context);
    else rule(field, out, context);
  }
  return out;
}

export function noEquivalent(
  field: Pick<Field, 'path' | 'name'>,
  context: PropertyContext,
  hint?: string,
): void {
  context.problems.error(
    field.path,
    `${context.subject} property ${field.name} has no Gantry equivalent${hint === undefined ? '' : `: ${hint}`}`,
  );
}

export function dropNote(field: Pick<Field, 'path' | 'name'>, context: PropertyContext, why: string): void {
  context.problems.note(`${context.subject} property ${field.name} (${field.path}) dropped: ${why}`);
}

/** Same name, same meaning. */
export const same: FieldRule = (field, out) => {
  out[field.key] = structuredClone(field.value);
};

export const renamed =
  (to: string, rule: FieldRule = same): FieldRule =>
  (field, out, context) => {
    const converted: Record<string, unknown> = {};
    rule(field, converted, context);
    if (Object.hasOwn(converted, field.key)) out[to] = converted[field.key];
  };

export const refused =
  (hint?: string): FieldRule =>
  (field, _out, context) =>
    noEquivalent(field, context, hint);

/** Has no effect on what Gantry delivers (a reconcile interval, a display hint): dropped with a note. */
export const dropped =
  (why: string): FieldRule =>
  (field, _out, context) =>
    dropNote(field, context, why);

/** Dropped when it says what Gantry does anyway (KubeVela's default); any other value has no equivalent. */
export const onlyValue =
  (value: unknown, hint?: string): FieldRule =>
  (field, _out, context) => {
    if (!deepEqual(field.value, value)) noEquivalent(field, context, hint);
  };

/** A Kubernetes quantity; KubeVela also takes a number (`cpu: 0.5`), Gantry's schemas a string. */
export const quantity: FieldRule = (field, out) => {
  out[field.key] = typeof field.value === 'number' ? String(field.value) : field.value;
};

export const object =
  (rules: FieldRules): FieldRule =>
  (field, out, context) => {
    const converted = convertFields(field.value, field.path, rules, context, `${field.name}.`);
    if (converted !== undefined) out[field.key] = converted;
  };

/** Completes a converted list item: `out` is Gantry's, `input` KubeVela's. */
export type ItemFill = (
  out: Record<string, unknown>,
  input: Readonly<Record<string, unknown>>,
  path: string,
  context: PropertyContext,
) => void;

/** A list replaces as a whole in both systems' merges, so its items are complete even in an override. */
export const list =
  (rules: FieldRules, fill?: ItemFill): FieldRule =>
  (field, out, context) => {
    if (!Array.isArray(field.value)) {
      context.problems.error(field.path, `${context.subject} property ${field.name} must be a list`);
      return;
    }
    out[field.key] = field.value.map((item: unknown, index) => {
      const path = pointer(field.path, index);
      const converted = convertFields(item, path, rules, context, `${field.name}[].`) ?? {};
      if (fill !== undefined && isPlainObject(item)) fill(converted, item, path, context);
      return converted;
    });
  };

/** Environment variables as KubeVela's webservice, worker, task and cron-task take them; Gantry's take the same. */
export const ENV_RULES: FieldRules = {
  name: same,
  value: same,
  valueFrom: object({
    secretKeyRef: object({ name: same, key: same }),
    configMapKeyRef: object({ name: same, key: same }),
  }),
};
