import { InputError, type BaselineSpec } from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import { resolveBaseline } from './baseline-spec.ts';

/**
 * Checks Baseline writes beyond their schema: k ≤ n, the score's range, step and interval floors, a
 * lookback long enough for a verdict (and for `seasonal`) yet bounded. A refusal is a 400
 * `GANTRY_E_INVALID` with a field path per problem, before anything is written. The MetricsSource is not
 * required to exist yet (it may be applied after): a missing one is the `SourceNotFound` condition.
 */
export function registerBaselineAdmission(resources: Pick<ResourceService, 'admit'>): void {
  resources.admit('Baseline', (request) => {
    if (request.operation === 'delete' || !request.object) return Promise.resolve();
    const resolved = resolveBaseline(request.object.spec as BaselineSpec);
    if (resolved.ok) return Promise.resolve();
    return Promise.reject(
      new InputError(
        `Baseline ${request.name} is invalid: ${resolved.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
        resolved.errors,
      ),
    );
  });
}
