import { describe, expect, it } from 'vitest';
import { createCelEngine } from '../cel-environment.ts';
import { evaluateHealthPolicy, type LiveObject } from '../health-policy.ts';
import {
  cronJobHealthPolicy,
  daemonSetHealthPolicy,
  deploymentHealthPolicy,
  jobHealthPolicy,
  podDisruptionBudgetHealthPolicy,
  standardHealthPolicy,
  statefulSetHealthPolicy,
} from './health-policies.ts';

const engine = createCelEngine();
const verdict = (policy: string, live: LiveObject) => evaluateHealthPolicy(engine, policy, live);

describe('standard health policies', () => {
  it('Deployment: healthy once every desired replica is updated and available and no old one is left', () => {
    const metadata = { generation: 4 };
    const spec = { replicas: 3 };
    expect(verdict(deploymentHealthPolicy, { metadata, spec })).toEqual({
      ok: true,
      healthy: false,
      message: 'waiting for the controller to observe generation 4',
    });
    expect(
      verdict(deploymentHealthPolicy, {
        metadata,
        spec,
        status: { observedGeneration: 3, replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
      }),
    ).toEqual({
      ok: true,
      healthy: false,
      message: 'waiting for the controller to observe generation 4',
    });
    expect(
      verdict(deploymentHealthPolicy, {
        metadata,
        spec,
        status: { observedGeneration: 4, replicas: 3, updatedReplicas: 3, availableReplicas: 2 },
      }),
    ).toEqual({
      ok: true,
      healthy: false,
      message: '2/3 available',
    });
    // A rollout in progress: old pods still run next to the new ones.
    expect(
      verdict(deploymentHealthPolicy, {
        metadata,
        spec,
        status: { observedGeneration: 4, replicas: 4, updatedReplicas: 3, availableReplicas: 3 },
      }),
    ).toMatchObject({
      healthy: false,
    });
    expect(
      verdict(deploymentHealthPolicy, {
        metadata,
        spec,
        status: { observedGeneration: 4, replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
      }),
    ).toEqual({
      ok: true,
      healthy: true,
      message: '3/3 available',
    });
  });

  it('Deployment: replicas default to 1, and zero replicas are healthy at once', () => {
    expect(
      verdict(deploymentHealthPolicy, {
        metadata: { generation: 1 },
        spec: {},
        status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
      }),
    ).toEqual({
      ok: true,
      healthy: true,
      message: '1/1 available',
    });
    expect(
      verdict(deploymentHealthPolicy, {
        metadata: { generation: 2 },
        spec: { replicas: 0 },
        status: { observedGeneration: 2 },
      }),
    ).toEqual({
      ok: true,
      healthy: true,
      message: '0/0 available',
    });
  });

  it('StatefulSet: healthy when every replica is ready on the update revision', () => {
    const base = { metadata: { generation: 2 }, spec: { replicas: 2 } };
    const status = {
      observedGeneration: 2,
      readyReplicas: 2,
      updatedReplicas: 2,
      currentRevision: 'db-1',
      updateRevision: 'db-2',
    };
    expect(verdict(statefulSetHealthPolicy, { ...base, status })).toEqual({
      ok: true,
      healthy: false,
      message: '2/2 ready',
    });
    expect(
      verdict(statefulSetHealthPolicy, {
        ...base,
        status: { ...status, currentRevision: 'db-2', readyReplicas: 1 },
      }),
    ).toEqual({ ok: true, healthy: false, message: '1/2 ready' });
    expect(
      verdict(statefulSetHealthPolicy, { ...base, status: { ...status, currentRevision: 'db-2' } }),
    ).toEqual({ ok: true, healthy: true, message: '2/2 ready' });
  });

  it('DaemonSet: healthy when every scheduled node runs an updated, available pod', () => {
    const base = { metadata: { generation: 1 } };
    expect(
      verdict(daemonSetHealthPolicy, {
        ...base,
        status: {
          observedGeneration: 1,
          desiredNumberScheduled: 3,
          updatedNumberScheduled: 3,
          numberAvailable: 2,
        },
      }),
    ).toEqual({
      ok: true,
      healthy: false,
      message: '2/3 available',
    });
    expect(
      verdict(daemonSetHealthPolicy, {
        ...base,
        status: {
          observedGeneration: 1,
          desiredNumberScheduled: 3,
          updatedNumberScheduled: 3,
          numberAvailable: 3,
        },
      }),
    ).toMatchObject({
      healthy: true,
    });
  });

  it('Job: healthy when it succeeded or runs without failures', () => {
    expect(verdict(jobHealthPolicy, { spec: {}, status: {} })).toEqual({
      ok: true,
      healthy: false,
      message: '0 succeeded, 0 active, 0 failed',
    });
    expect(verdict(jobHealthPolicy, { spec: { completions: 2 }, status: { active: 2 } })).toEqual({
      ok: true,
      healthy: true,
      message: '0 succeeded, 2 active, 0 failed',
    });
    expect(
      verdict(jobHealthPolicy, { spec: { completions: 2 }, status: { active: 1, failed: 1 } }),
    ).toMatchObject({ healthy: false });
    expect(
      verdict(jobHealthPolicy, { spec: { completions: 2 }, status: { succeeded: 2, failed: 1 } }),
    ).toMatchObject({ healthy: true });
    expect(
      verdict(jobHealthPolicy, {
        spec: {},
        status: { succeeded: 1, conditions: [{ type: 'Failed', status: 'True' }] },
      }),
    ).toMatchObject({ healthy: false });
  });

  it('CronJob: healthy once it exists', () => {
    expect(verdict(cronJobHealthPolicy, {})).toEqual({ ok: true, healthy: true });
  });

  it('PodDisruptionBudget: healthy when as many pods are healthy as it requires', () => {
    const metadata = { generation: 2 };
    expect(verdict(podDisruptionBudgetHealthPolicy, { metadata, spec: { minAvailable: 3 } })).toEqual({
      ok: true,
      healthy: false,
      message: 'waiting for the controller to observe generation 2',
    });
    expect(
      verdict(podDisruptionBudgetHealthPolicy, {
        metadata,
        status: { observedGeneration: 2, currentHealthy: 2, desiredHealthy: 3, disruptionsAllowed: 0 },
      }),
    ).toEqual({ ok: true, healthy: false, message: '2 of 3 required pods healthy, 0 disruption(s) allowed' });
    expect(
      verdict(podDisruptionBudgetHealthPolicy, {
        metadata,
        status: { observedGeneration: 2, currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1 },
      }),
    ).toEqual({ ok: true, healthy: true, message: '3 of 2 required pods healthy, 1 disruption(s) allowed' });
  });

  it('is chosen by apiVersion and kind', () => {
    expect(standardHealthPolicy('apps/v1', 'Deployment')).toBe(deploymentHealthPolicy);
    expect(standardHealthPolicy('apps/v1', 'StatefulSet')).toBe(statefulSetHealthPolicy);
    expect(standardHealthPolicy('apps/v1', 'DaemonSet')).toBe(daemonSetHealthPolicy);
    expect(standardHealthPolicy('batch/v1', 'Job')).toBe(jobHealthPolicy);
    expect(standardHealthPolicy('batch/v1', 'CronJob')).toBe(cronJobHealthPolicy);
    expect(standardHealthPolicy('policy/v1', 'PodDisruptionBudget')).toBe(podDisruptionBudgetHealthPolicy);
    expect(standardHealthPolicy('v1', 'Service')).toBeUndefined();
    expect(standardHealthPolicy('extensions/v1beta1', 'Deployment')).toBeUndefined();
  });
});
