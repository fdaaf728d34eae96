import { describe, expect, it } from 'vitest';
import { parseKinds, resolveKind, resolveManifestKind } from './kinds.ts';

const kinds = parseKinds({
  items: [
    { kind: 'Team', group: 'gantry.dev', version: 'v1alpha1', plural: 'teams', scope: 'Global', schema: {} },
    {
      kind: 'DeliveryPipeline',
      group: 'gantry.dev',
      version: 'v1alpha1',
      plural: 'deliverypipelines',
      scope: 'Team',
      shortNames: ['dp'],
    },
  ],
});

describe('parseKinds', () => {
  it('fills singular names and team scope', () => {
    expect(kinds.map((k) => [k.kind, k.singular, k.teamed])).toEqual([
      ['Team', 'team', false],
      ['DeliveryPipeline', 'deliverypipeline', true],
    ]);
  });

  it('takes group and version from apiVersion when the server sends that instead', () => {
    const [k] = parseKinds({
      items: [{ kind: 'Widget', apiVersion: 'example.dev/v2', plural: 'widgets', scope: 'Team' }],
    });
    expect([k?.group, k?.version]).toEqual(['example.dev', 'v2']);
  });

  it('accepts a bare array or { kinds } and treats only Team as global when no scope is given', () => {
    expect(parseKinds([{ kind: 'Team', plural: 'teams' }])[0]?.teamed).toBe(false);
    expect(parseKinds({ kinds: [{ kind: 'Job', plural: 'jobs' }] })[0]).toMatchObject({
      teamed: true,
      group: 'gantry.dev',
      version: 'v1alpha1',
    });
  });

  it('rejects a body that holds no list', () => {
    expect(() => parseKinds({ nope: true })).toThrow(/no list of kinds/);
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
