import { describe, expect, it } from 'vitest';
import { parseKinds, resolveKind, resolveManifestKind } from './kinds.ts';

const served = (kind: string, plural: string, scope: 'Team' | 'Global', shortNames: string[] = []) => ({
  kind,
  apiVersion: 'gantry.dev/v1alpha1',
  plural,
  singular: kind.toLowerCase(),
  shortNames,
  scope,
  description: '',
  schema: {},
  statusSchema: {},
  printerColumns: [],
});

const kinds = parseKinds({
  items: [served('Team', 'teams', 'Global'), served('DeliveryPipeline', 'deliverypipelines', 'Team', ['dp'])],
});

describe('parseKinds', () => {
  it('splits apiVersion into group and version, and keeps the scope', () => {
    expect(kinds.map((k) => [k.kind, k.group, k.version, k.singular, k.scope])).toEqual([
      ['DeliveryPipeline', 'gantry.dev', 'v1alpha1', 'deliverypipeline', 'Team'],
      ['Team', 'gantry.dev', 'v1alpha1', 'team', 'Global'],
    ]);
  });

  it('rejects a body that holds no list', () => {
    expect(() => parseKinds({ nope: true } as never)).toThrow(/no list of kinds/);
  });
});

describe('resolveKind', () => {
  it.each(['Team', 'team', 'TEAM', 'teams', 'Teams'])('resolves %s to Team', (typed) => {
    expect(resolveKind(kinds, typed).kind).toBe('Team');
  });

  it('resolves short names', () => {
    expect(resolveKind(kinds, 'DP').kind).toBe('DeliveryPipeline');
  });

  it('names an unknown kind and lists the known ones', () => {
    expect(() => resolveKind(kinds, 'pods')).toThrow(
      'the server doesn\'t have a resource type "pods" (known: deliverypipelines, teams; see gantry api-resources)',
    );
  });
});

describe('resolveManifestKind', () => {
  it('matches kind and apiVersion exactly', () => {
    expect(resolveManifestKind(kinds, 'gantry.dev/v1alpha1', 'Team').plural).toBe('teams');
    expect(() => resolveManifestKind(kinds, 'gantry.dev/v1', 'Team')).toThrow(
      'apiVersion "gantry.dev/v1" is not served for kind Team (use gantry.dev/v1alpha1)',
    );
    expect(() => resolveManifestKind(kinds, 'gantry.dev/v1alpha1', 'team')).toThrow('unknown kind "team"');
  });
});
