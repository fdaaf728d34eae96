import { isCelMap } from '@bufbuild/cel';
import type { CelEngine } from './cel-environment.ts';

/** The parts of a live Kubernetes object a health policy may read. */
export interface LiveObject {
  readonly metadata?: unknown;
  readonly spec?: unknown;
  readonly status?: unknown;
}

export type HealthVerdict =
  | { ok: true; healthy: boolean; message?: string }
  | { ok: false; error: { expression: string; message: string } };

/**
 * Evaluates a definition's health policy over a live object. The expression returns either a bool, or a
 * map `{'healthy': bool, 'message': string}` to explain itself. An absent `metadata`, `spec` or `status`
 * is bound as an empty map so `has(status.readyReplicas)` guards work on a just-created object. Failures
 * (syntax, missing fields, wrong result type) are values: the caller reports health as unknown. `live`
 * must not be changed after it has been evaluated (its verdicts are kept with it).
 */
export function evaluateHealthPolicy(engine: CelEngine, expression: string, live: LiveObject): HealthVerdict {
  // A verdict depends only on the expression and the object. Watches replace a changed object rather than
  // edit it, so an application looked at again while nothing changed reuses its verdicts.
  let byObject = verdicts.get(engine);
  if (!byObject) verdicts.set(engine, (byObject = new WeakMap()));
  let known = byObject.get(live);
  if (!known) byObject.set(live, (known = new Map()));
  let verdict = known.get(expression);
  if (!verdict) known.set(expression, (verdict = evaluate(engine, expression, live)));
  return verdict;
}

const verdicts = new WeakMap<CelEngine, WeakMap<LiveObject, Map<string, HealthVerdict>>>();

function evaluate(engine: CelEngine, expression: string, live: LiveObject): HealthVerdict {
  const fail = (message: string): HealthVerdict => ({ ok: false, error: { expression, message } });
  const compiled = engine.compile(expression);
  if (!compiled.ok) return fail(compiled.message);
  const evaluated = compiled.program.evaluate({
    metadata: live.metadata ?? {},
    spec: live.spec ?? {},
    status: live.status ?? {},
  });
  if (!evaluated.ok) return fail(evaluated.message);
  const value = evaluated.value;
  if (typeof value === 'boolean') return { ok: true, healthy: value };
  if (isCelMap(value)) {
    const healthy = value.get('healthy');
    const message = value.get('message');
    if (typeof healthy !== 'boolean') return fail("the result map needs a bool 'healthy'");
    if (message !== undefined && typeof message !== 'string')
      return fail("the result's 'message' must be a string");
    return message === undefined ? { ok: true, healthy } : { ok: true, healthy, message };
  }
  return fail('a health policy must return a bool or a map with a bool "healthy"');
}
