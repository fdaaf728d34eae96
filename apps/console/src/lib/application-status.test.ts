import { describe, expect, it } from 'vitest';
import type { Resource } from '@gantry/client';
import { applicationView, healthMatrix, targetCounts } from './application-status';

const application: Resource = {
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'Application',
  metadata: { name: 'shop', team: 'payments' },
  spec: {
    components: [
      { name: 'web', type: 'webservice' },
      { name: 'worker', type: 'worker' },
    ],
    topology: { namespace: 'shop' },
  },
  status: {
    conditions: [{ type: 'Ready', status: 'False', reason: 'Unhealthy' }],
    targets: [
      { cluster: 'hz-1', namespace: 'shop', phase: 'Applied' },
      { cluster: 'sh-1', namespace: 'shop', phase: 'Unreachable', message: 'dial tcp: timeout' },
    ],
    components: [
      { name: 'web', cluster: 'hz-1', health: 'Healthy', workload: 'Deployment/shop/web' },
      { name: 'worker', cluster: 'hz-1', health: 'Unhealthy', message: '0/2 ready' },
      { name: 'legacy', cluster: 'old-1', health: 'Unknown' },
    ],
  },
};

describe('application status', () => {
  it('reads the Ready condition and counts targets by phase', () => {
    const view = applicationView(application);
    expect(view.ready?.reason).toBe('Unhealthy');
    expect(targetCounts(view)).toEqual({ total: 2, applied: 1, failing: 1 });
  });

  it('lays out the matrix: spec components and targets first, then what only the matrix names', () => {
    const matrix = healthMatrix(applicationView(application));
    expect(matrix.components).toEqual(['web', 'worker', 'legacy']);
    expect(matrix.clusters).toEqual(['hz-1', 'sh-1', 'old-1']);
    expect(matrix.cell('worker', 'hz-1')).toMatchObject({ health: 'Unhealthy', message: '0/2 ready' });
    expect(matrix.cell('web', 'sh-1')).toBeUndefined();
  });

  it('copes with an application the controller has not reported on', () => {
    const view = applicationView({ ...application, status: undefined });
    expect(view.ready).toBeUndefined();
    expect(targetCounts(view).total).toBe(0);
    const matrix = healthMatrix(view);
    expect(matrix.components).toEqual(['web', 'worker']);
    expect(matrix.clusters).toEqual([]);
  });
});
