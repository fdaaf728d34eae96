import { InputError, type InspectionSpec } from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { CelEngine } from '@gantry/delivery';
import { compileInspection } from './compile-inspection.ts';

/**
 * Inspection writes beyond their schema: one query kind per check, unique names, CEL and title templates
 * compiled, cron and time zone, PromQL shape. A refusal is a 400 `GANTRY_E_INVALID` with a field path per
 * problem, before anything is written.
 */
export function registerInspectionAdmission(
  resources: Pick<ResourceService, 'admit'>,
  engine: CelEngine,
): void {
  resources.admit('Inspection', (request) => {
    if (request.operation === 'delete' || !request.object) return Promise.resolve();
    const compiled = compileInspection(engine, request.object.spec as InspectionSpec);
    if (compiled.ok) return Promise.resolve();
    return Promise.reject(
      new InputError(
        `Inspection ${request.name} is invalid: ${compiled.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
        compiled.errors,
      ),
    );
  });
}
