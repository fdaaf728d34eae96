import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ErrorDetail } from './errors.ts';

// ajv-formats is a CommonJS module; depending on the loader its plugin is the module or its `default`.
// (ajv names its class, which both loaders see alike.)
type AddFormats = typeof addFormatsModule.default;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: ErrorDetail[] };

/** One Ajv instance per process: compiling is the slow part, so validators are built once and reused. */
export function createAjv(options: { addUsedSchema?: boolean } = {}) {
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false, ...options });
  addFormats(ajv);
  return ajv;
}

export type Validator<T> = (value: unknown) => Validation<T>;

export function compileValidator<T>(ajv: ReturnType<typeof createAjv>, schema: object): Validator<T> {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value) =>
    validate(value)
      ? { ok: true, value: value as T }
      : { ok: false, errors: toDetails(validate.errors ?? []) };
}

/**
 * Compiles on the first call instead of now: a server registers every kind at start-up, and compiling all
 * their schemas took a third of its cold start, for kinds a given run may never be sent.
 */
export function lazyValidator<T>(ajv: ReturnType<typeof createAjv>, schema: object): Validator<T> {
  let compiled: Validator<T> | undefined;
  return (value) => (compiled ??= compileValidator<T>(ajv, schema))(value);
}

/** Turns Ajv's errors into `{path, message}` details that point at the field at fault. */
export function toDetails(errors: readonly ErrorObject[]): ErrorDetail[] {
  const seen = new Set<string>();
  const details: ErrorDetail[] = [];
  for (const error of errors) {
    const detail = toDetail(error);
    const key = `${detail.path}\u0000${detail.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    details.push(detail);
  }
  return details;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function toDetail(error: ErrorObject): ErrorDetail {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return {
        path: `${error.instancePath}/${escapePointer(String(params.missingProperty))}`,
        message: 'is required',
      };
    case 'additionalProperties':
      return {
        path: `${error.instancePath}/${escapePointer(String(params.additionalProperty))}`,
        message: 'unknown field',
      };
    case 'propertyNames':
      return {
        path: `${error.instancePath}/${escapePointer(String(params.propertyName))}`,
        message: 'is not a valid key (letters, digits, "-", "_", ".", an optional DNS prefix and "/")',
      };
    case 'pattern':
      return { path: error.instancePath, message: `must match the pattern ${String(params.pattern)}` };
    case 'const':
      return { path: error.instancePath, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'enum':
      return { path: error.instancePath, message: `must be one of ${JSON.stringify(params.allowedValues)}` };
    default:
      return { path: error.instancePath, message: error.message ?? 'is invalid' };
  }
}
