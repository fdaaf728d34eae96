import { describe, expect, it } from 'vitest';
import { InputError, type Condition } from '@gantry/model';
import { classifyFailure, connectionEvent } from './cluster-controller.ts';
import { KubeApiError } from './kube/kube-client.ts';

describe('classifyFailure', () => {
  it.each([
    [new KubeApiError('401 Unauthorized: Unauthorized', 401, 'Unauthorized'), 'Unauthorized'],
    [new KubeApiError('403 Forbidden: forbidden', 403, 'Forbidden'), 'Forbidden'],
    [new KubeApiError('503 ServiceUnavailable', 503, 'ServiceUnavailable'), 'ServerError'],
    [new KubeApiError('connect ECONNREFUSED 127.0.0.1:1', 0, 'ECONNREFUSED'), 'Unreachable'],
    [
      new KubeApiError('self-signed certificate in certificate chain', 0, 'SELF_SIGNED_CERT_IN_CHAIN'),
      'TLSError',
    ],
    [new InputError('the kubeconfig has no context "x"'), 'KubeconfigInvalid'],
  ])('%s → %s', (error, reason) => {
    expect(classifyFailure(error).reason).toBe(reason);
    expect(classifyFailure(error).message).toContain(error.message.split(':')[0]);
  });
});

describe('connectionEvent', () => {
  const condition = (status: string, reason: string, message = `${reason} message`): Condition => ({
    type: 'Connected',
    status: status as Condition['status'],
    reason,
    message,
    lastTransitionTime: '2026-12-01T00:00:00Z',
  });

  it('records a connection, a failure and a pause only when the Connected condition changes', () => {
    const ok = condition('True', 'Connected', 'https://east answers, Kubernetes v1.31.0');
    const down = condition('False', 'Unreachable', 'cannot reach the API server');
    expect(connectionEvent(undefined, ok)).toEqual({
      type: 'Normal',
      reason: 'ClusterConnected',
      message: 'https://east answers, Kubernetes v1.31.0',
    });
    expect(connectionEvent(ok, ok)).toBeUndefined();
    expect(connectionEvent(ok, down)).toEqual({
      type: 'Warning',
      reason: 'ClusterConnectionFailed',
      message: 'Unreachable: cannot reach the API server',
    });
    expect(connectionEvent(down, down)).toBeUndefined();
    expect(connectionEvent(down, condition('False', 'Unauthorized'))?.reason).toBe('ClusterConnectionFailed');
    expect(connectionEvent(undefined, condition('False', 'SecretMissing'))?.type).toBe('Warning');
    expect(connectionEvent(down, ok)?.reason).toBe('ClusterConnected');
    const paused = condition('Unknown', 'Paused', 'spec.paused is true: not watching the cluster');
    expect(connectionEvent(ok, paused)).toEqual({
      type: 'Normal',
      reason: 'ClusterDisconnected',
      message: 'spec.paused is true: not watching the cluster',
    });
    expect(connectionEvent(paused, paused)).toBeUndefined();
    expect(connectionEvent(down, paused)).toBeUndefined();
  });
});
