import { InputError, type AlertRuleSpec } from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { CelEngine } from '@gantry/delivery';
import { compileRule } from './compile-rule.ts';

/**
 * Checks AlertRule and GlobalAlertRule writes beyond their schema (which has already checked types,
 * durations and label names): one of promql and cel, CEL compiled, templates compiled, the source
 * reference. A refusal is a 400 `GANTRY_E_INVALID` with a field path per problem, before anything is written.
 */
export function registerAlertRuleAdmission(
  resources: Pick<ResourceService, 'admit'>,
  engine: CelEngine,
): void {
  for (const kind of ['AlertRule', 'GlobalAlertRule'] as const) {
    resources.admit(kind, (request) => {
      if (request.operation === 'delete' || !request.object) return Promise.resolve();
      const scope = kind === 'AlertRule' ? { kind, team: request.team } : { kind };
      const compiled = compileRule(engine, request.object.spec as AlertRuleSpec, scope);
      if (compiled.ok) return Promise.resolve();
      return Promise.reject(
        new InputError(
          `${kind} ${request.name} is invalid: ${compiled.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
          compiled.errors,
        ),
      );
    });
  }
}
