import { describe, expect, it } from 'vitest';
import type { ApplicationSpec } from '@gantry/model';
import { componentsForTarget, resolveTargets } from './targets.ts';

const clusters = [
  { name: 'east', labels: { region: 'eu', tier: 'prod' } },
  { name: 'west', labels: { region: 'us', tier: 'prod' } },
  { name: 'lab', labels: { region: 'eu', tier: 'dev' } },
];

function spec(
  topology: Partial<ApplicationSpec['topology']>,
  overrides: ApplicationSpec['overrides'] = [],
): ApplicationSpec {
  return {
    components: [
      {
        name: 'web',
        type: 'webservice',
        properties: { image: 'nginx:1', port: 80 },
        traits: [{ type: 'scaler', properties: { replicas: 2 } }],
      },
    ],
    topology: { namespace: 'shop', ...topology },
    overrides,
    revisionHistoryLimit: 20,
  };
}

describe('resolveTargets', () => {
  it('selects clusters by name and by label selector, once each, sorted', () => {
    const result = resolveTargets(
      spec({
        clusters: ['west'],
        clusterSelector: {
          matchLabels: { region: 'eu' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['prod', 'dev'] }],
        },
      }),
      clusters,
      [],
    );
    expect(result.targets).toEqual([
      { cluster: 'east', namespace: 'shop', environment: '' },
      { cluster: 'lab', namespace: 'shop', environment: '' },
      { cluster: 'west', namespace: 'shop', environment: '' },
    ]);
    expect(result.problems).toEqual([]);
  });

  it("takes an environment's clusters with its namespace, and reports names that resolve to nothing", () => {
    const result = resolveTargets(
      spec({ environments: ['prod', 'qa'], clusters: ['east', 'gone'] }),
      clusters,
      [
        {
          name: 'prod',
          spec: { clusterSelector: { matchLabels: { tier: 'prod' } }, namespace: 'shop-prod' },
        },
      ],
    );
    expect(result.targets).toEqual([
      { cluster: 'east', namespace: 'shop-prod', environment: 'prod' },
      { cluster: 'west', namespace: 'shop-prod', environment: 'prod' },
    ]);
    expect(result.problems).toEqual(['environment qa does not exist', 'cluster gone does not exist']);
  });

  it('honours NotIn and DoesNotExist', () => {
    const result = resolveTargets(
      spec({
        clusterSelector: {
          matchExpressions: [
            { key: 'tier', operator: 'NotIn', values: ['dev'] },
            { key: 'legacy', operator: 'DoesNotExist' },
          ],
        },
      }),
      clusters,
      [],
    );
    expect(result.targets.map((t) => t.cluster)).toEqual(['east', 'west']);
  });
});

describe('componentsForTarget', () => {
  const overridden = spec({ clusters: ['east', 'west'] }, [
    {
      clusters: ['west'],
      components: [
        {
          name: 'web',
          properties: { image: 'nginx:2' },
          traits: [
            { type: 'scaler', properties: { replicas: 5 } },
            { type: 'env', properties: { env: { REGION: 'us' } } },
          ],
        },
      ],
    },
    {
      clusterSelector: { matchLabels: { region: 'eu' } },
      components: [{ name: 'web', traits: [{ type: 'scaler', disable: true }] }],
    },
  ]);

  it('merges properties and traits, adds and removes traits, only where the override applies', () => {
    const west = componentsForTarget(
      overridden,
      { cluster: 'west', namespace: 'shop', environment: '' },
      clusters[1],
    );
    expect(west[0]).toMatchObject({
      properties: { image: 'nginx:2', port: 80 },
      traits: [
        { type: 'scaler', properties: { replicas: 5 } },
        { type: 'env', properties: { env: { REGION: 'us' } } },
      ],
    });
    const east = componentsForTarget(
      overridden,
      { cluster: 'east', namespace: 'shop', environment: '' },
      clusters[0],
    );
    expect(east[0]).toMatchObject({ properties: { image: 'nginx:1', port: 80 }, traits: [] });
  });

  it('leaves the application spec untouched', () => {
    componentsForTarget(overridden, { cluster: 'west', namespace: 'shop', environment: '' }, clusters[1]);
    expect(overridden.components[0]!.properties).toEqual({ image: 'nginx:1', port: 80 });
    expect(overridden.components[0]!.traits).toHaveLength(1);
  });
});
