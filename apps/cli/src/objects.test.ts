import { describe, expect, it } from 'vitest';
import { readPath } from './objects.ts';

describe('readPath (kubectl JSONPath subset for printer columns)', () => {
  const cluster = {
    metadata: { name: 'east', labels: { 'app.kubernetes.io/name': 'x' } },
    status: {
      serverVersion: 'v1.36.3',
      conditions: [
        { type: 'Connected', status: 'True' },
        { type: 'Ready', status: 'False', reason: 'WatchFailing' },
      ],
      inventory: { nodes: 3 },
    },
  };

  it('reads names, indexes and filters', () => {
    expect(readPath(cluster, '.status.serverVersion')).toBe('v1.36.3');
    expect(readPath(cluster, '{.status.inventory.nodes}')).toBe(3);
    expect(readPath(cluster, '.status.conditions[1].reason')).toBe('WatchFailing');
    expect(readPath(cluster, '.status.conditions[?(@.type=="Ready")].status')).toBe('False');
    expect(readPath(cluster, ".status.conditions[?(@.type=='Connected')].status")).toBe('True');
  });

  it('answers undefined for what is not there', () => {
    expect(readPath(cluster, '.status.conditions[?(@.type=="Synced")].status')).toBeUndefined();
    expect(readPath(cluster, '.status.conditions[7]')).toBeUndefined();
    expect(readPath(cluster, '.spec.missing.deeper')).toBeUndefined();
    expect(readPath(cluster, '.status.serverVersion[0]')).toBeUndefined();
  });
});
