import {
  InputError,
  type CorrelationRuleSpec,
  type EscalationPolicySpec,
  type ErrorDetail,
} from '@gantry/model';
import { parseDuration } from '@gantry/alerts';
import type { CelEngine } from '@gantry/delivery';
import type { ResourceService } from '@gantry/resources';
import { compileCorrelationRule } from './compile-rule.ts';

/**
 * Checks CorrelationRule and EscalationPolicy writes beyond their schema: the rule's CEL (match, group-by
 * expressions, title template) compiles, exactly one of label and cel per dimension, durations read; a
 * refusal is a 400 `GANTRY_E_INVALID` naming each field path and expression, before anything is written.
 */
export function registerCorrelationAdmission(
  resources: Pick<ResourceService, 'admit'>,
  engine: CelEngine,
): void {
  resources.admit('CorrelationRule', (request) => {
    if (request.operation === 'delete' || !request.object) return Promise.resolve();
    const compiled = compileCorrelationRule(engine, request.name, request.object.spec as CorrelationRuleSpec);
    return compiled.ok
      ? Promise.resolve()
      : Promise.reject(refusal('CorrelationRule', request.name, compiled.errors));
  });
  resources.admit('EscalationPolicy', (request) => {
    if (request.operation === 'delete' || !request.object) return Promise.resolve();
    const spec = request.object.spec as EscalationPolicySpec;
    const errors: ErrorDetail[] = [];
    spec.steps.forEach((step, index) => {
      const delay = parseDuration(step.delay ?? '0s');
      if (!delay.ok) errors.push({ path: `/spec/steps/${index}/delay`, message: delay.error });
    });
    if (spec.repeat) {
      const after = parseDuration(spec.repeat.after ?? '30m');
      if (!after.ok) errors.push({ path: '/spec/repeat/after', message: after.error });
    }
    return errors.length === 0
      ? Promise.resolve()
      : Promise.reject(refusal('EscalationPolicy', request.name, errors));
  });
}

function refusal(kind: string, name: string, errors: ErrorDetail[]): InputError {
  return new InputError(
    `${kind} ${name} is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
    errors,
  );
}
