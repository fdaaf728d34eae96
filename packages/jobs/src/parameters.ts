import {
  compileValidator,
  createAjv,
  type ErrorDetail,
  type JobParameterSchema,
  type JobParameterValue,
  type Validation,
} from '@gantry/model';

const ajv = createAjv();
const cache = new Map<string, ReturnType<typeof compileValidator<Record<string, JobParameterValue>>>>();

/**
 * Checks a run's parameters against its template's schema (no unknown names, defaults filled in) and
 * answers problems with their path under `/parameters`, before anything runs.
 */
export function validateParameters(
  schema: JobParameterSchema | undefined,
  values: Record<string, JobParameterValue>,
): Validation<Record<string, JobParameterValue>> {
  const full = {
    type: 'object',
    properties: schema?.properties ?? {},
    required: schema?.required ?? [],
    additionalProperties: false,
  };
  const key = JSON.stringify(full);
  let validate = cache.get(key);
  if (!validate) {
    try {
      validate = compileValidator<Record<string, JobParameterValue>>(ajv, full);
    } catch (error) {
      // A pattern the schema engine cannot compile: the template is at fault, reported as such.
      return { ok: false, errors: [{ path: '/template/spec/parameters', message: String(error) }] };
    }
    if (cache.size > 500) cache.clear();
    cache.set(key, validate);
  }
  const copy = structuredClone(values);
  const result = validate(copy);
  if (result.ok) return result;
  return {
    ok: false,
    errors: result.errors.map((detail: ErrorDetail) => ({ ...detail, path: `/parameters${detail.path}` })),
  };
}
