import { describe, expect, it } from 'vitest';
import { describeResource } from './describe.ts';

describe('describeResource', () => {
  it('prints metadata aligned, spec and status as YAML, and conditions as a table', () => {
    const now = new Date('2025-06-01T12:00:00Z');
    const text = describeResource(
      {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Team',
        metadata: {
          name: 'platform',
          labels: { tier: 'core', env: 'prod' },
          resourceVersion: '4',
          generation: 2,
          creationTimestamp: '2025-06-01T09:00:00Z',
        },
        spec: { displayName: 'Platform', members: [{ user: 'alice', role: 'team-admin' }] },
        status: {
          observedGeneration: 2,
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'Reconciled',
              message: 'all good',
              lastTransitionTime: '2025-06-01T11:55:00Z',
            },
          ],
        },
      },
      now,
    );
    expect(text).toBe(
      [
        'Name:              platform',
        'Kind:              Team',
        'API Version:       gantry.dev/v1alpha1',
        'Labels:            tier=core',
        '                   env=prod',
        'Annotations:       <none>',
        'Resource Version:  4',
        'Generation:        2',
        'Created:           2025-06-01T09:00:00Z (3h ago)',
        'Spec:',
        '  displayName: Platform',
        '  members:',
        '    - user: alice',
        '      role: team-admin',
        'Status:',
        '  observedGeneration: 2',
        'Conditions:',
        '  TYPE      STATUS    REASON       AGE       MESSAGE',
        '  Ready     True      Reconciled   5m        all good',
        '',
      ].join('\n'),
    );
  });

  it('says <none> for a missing status and conditions', () => {
    const text = describeResource(
      { apiVersion: 'gantry.dev/v1alpha1', kind: 'Team', metadata: { name: 'x' } },
      new Date(),
    );
    expect(text).toContain('Spec:  <none>\nStatus:  <none>\nConditions:\n  <none>\n');
  });
});
