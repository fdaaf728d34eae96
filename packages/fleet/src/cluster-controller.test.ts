import { describe, expect, it } from 'vitest';
import { InputError } from '@gantry/model';
import { classifyFailure } from './cluster-controller.ts';
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
