import { describe, expect, it } from 'vitest';
import type { KindInfo } from '../kinds.ts';
import { clusterBody, kubeconfigSecretName } from './cluster.ts';

const clusterKind: KindInfo = {
  kind: 'Cluster',
  group: 'gantry.dev',
  version: 'v1alpha1',
  plural: 'clusters',
  singular: 'cluster',
  shortNames: ['cl'],
  scope: 'Team',
  printerColumns: [],
};

describe('clusterBody', () => {
  it('builds a new Cluster pointing at NAME-kubeconfig', () => {
    const secret = kubeconfigSecretName('east');
    expect(secret).toBe('east-kubeconfig');
    expect(
      clusterBody(clusterKind, 'east', undefined, { secret, context: 'admin@east', labels: { env: 'prod' } }),
    ).toEqual({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'east', labels: { env: 'prod' } },
      spec: { kubeconfigSecret: { name: 'east-kubeconfig', key: 'kubeconfig' }, context: 'admin@east' },
    });
    expect(
      clusterBody(clusterKind, 'east', undefined, { secret, context: undefined, labels: undefined }),
    ).toEqual({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'east' },
      spec: { kubeconfigSecret: { name: 'east-kubeconfig', key: 'kubeconfig' } },
    });
  });

  it('replaces the kubeconfig and context of a live one, keeping the rest (and its labels unless given)', () => {
    const live = {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: {
        name: 'east',
        team: 'sre',
        uid: 'u1',
        resourceVersion: '7',
        labels: { env: 'prod' },
        annotations: { owner: 'ops' },
      },
      spec: { kubeconfigSecret: { name: 'old', key: 'cfg' }, context: 'old', paused: true, description: 'd' },
      status: { observedGeneration: 1 },
    };
    const secret = 'east-kubeconfig';
    expect(clusterBody(clusterKind, 'east', live, { secret, context: undefined, labels: undefined })).toEqual(
      {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Cluster',
        metadata: {
          name: 'east',
          resourceVersion: '7',
          labels: { env: 'prod' },
          annotations: { owner: 'ops' },
        },
        spec: { kubeconfigSecret: { name: secret, key: 'kubeconfig' }, paused: true, description: 'd' },
      },
    );
    expect(
      clusterBody(clusterKind, 'east', live, { secret, context: 'new', labels: { env: 'staging' } }).metadata
        .labels,
    ).toEqual({ env: 'staging' });
  });
});
