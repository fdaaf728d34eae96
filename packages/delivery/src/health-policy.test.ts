import { describe, expect, it } from 'vitest';
import { createCelEngine } from './cel-environment.ts';
import { evaluateHealthPolicy } from './health-policy.ts';

const deployment = (readyReplicas?: number) => ({
  metadata: { name: 'web', generation: 4 },
  spec: { replicas: 3 },
  status: readyReplicas === undefined ? { observedGeneration: 4 } : { observedGeneration: 4, readyReplicas },
});

describe('evaluateHealthPolicy', () => {
  const engine = createCelEngine();
  const policy =
    'status.observedGeneration == metadata.generation && has(status.readyReplicas) && status.readyReplicas == spec.replicas';

  it('is healthy when the expression holds and unhealthy when it does not', () => {
    expect(evaluateHealthPolicy(engine, policy, deployment(3))).toEqual({ ok: true, healthy: true });
    expect(evaluateHealthPolicy(engine, policy, deployment(1))).toEqual({ ok: true, healthy: false });
    expect(evaluateHealthPolicy(engine, policy, deployment())).toEqual({ ok: true, healthy: false });
  });

  it('takes a message from a map result', () => {
    const explained =
      "{'healthy': status.readyReplicas == spec.replicas, 'message': string(status.readyReplicas) + '/' + string(spec.replicas) + ' ready'}";
    expect(evaluateHealthPolicy(engine, explained, deployment(2))).toEqual({
      ok: true,
      healthy: false,
      message: '2/3 ready',
    });
  });

  it('binds a missing status as an empty map so has() guards work on a new object', () => {
    expect(
      evaluateHealthPolicy(engine, 'has(status.phase) && status.phase == "Bound"', { spec: {} }),
    ).toEqual({
      ok: true,
      healthy: false,
    });
  });

  it('returns errors as values: syntax, missing field, wrong result type', () => {
    expect(evaluateHealthPolicy(engine, 'status.readyReplicas ==', deployment(1))).toEqual({
      ok: false,
      error: {
        expression: 'status.readyReplicas ==',
        message: 'syntax error: 1:22: found = but expecting end of input',
      },
    });
    expect(evaluateHealthPolicy(engine, 'status.readyReplicas == spec.replicas', deployment())).toEqual({
      ok: false,
      error: {
        expression: 'status.readyReplicas == spec.replicas',
        message: 'field not found: readyReplicas (at column 7)',
      },
    });
    expect(evaluateHealthPolicy(engine, 'spec.replicas', deployment(1))).toMatchObject({ ok: false });
    expect(evaluateHealthPolicy(engine, "{'healthy': 'yes'}", deployment(1))).toEqual({
      ok: false,
      error: { expression: "{'healthy': 'yes'}", message: "the result map needs a bool 'healthy'" },
    });
  });

  it('keeps a verdict with the object it was reached on', () => {
    const counting = createCelEngine();
    const live = deployment(3);
    const first = evaluateHealthPolicy(counting, policy, live);
    expect(evaluateHealthPolicy(counting, policy, live)).toBe(first);
    expect(counting.compilations).toBe(1);
    // A watch replaces a changed object: the new one is evaluated afresh.
    expect(evaluateHealthPolicy(counting, policy, deployment(1))).toEqual({ ok: true, healthy: false });
    expect(evaluateHealthPolicy(counting, 'true', live)).toEqual({ ok: true, healthy: true });
  });
});
