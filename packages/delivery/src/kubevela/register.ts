import { ErrorCodes, InputError } from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import { KUBEVELA_API_VERSION, convertKubeVelaApplication } from './convert.ts';

/**
 * Accepts KubeVela Applications wherever Gantry Applications are written (the HTTP API, and so `gantry
 * apply`): converted before validation and the trait check, or refused with one GANTRY_E_CONVERSION
 * error naming every field that cannot be converted; what it dropped without refusing goes to `warn`.
 */
export function registerKubeVelaConversion(resources: ResourceService): void {
  resources.convertFrom(KUBEVELA_API_VERSION, 'Application', (body, warn) => {
    const result = convertKubeVelaApplication(body);
    if (!result.ok) {
      const fields = result.errors.map((e) => `${e.path || '(root)'} ${e.message}`).join('; ');
      throw new InputError(
        `cannot convert the KubeVela Application: ${fields}`,
        result.errors,
        ErrorCodes.conversion,
      );
    }
    for (const note of result.notes) warn(`KubeVela conversion: ${note}`);
    return result.object;
  });
}
