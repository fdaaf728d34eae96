import { describe, expect, it } from 'vitest';
import { describeScope, fleetScope } from './fleet-scope.ts';

describe('fleetScope', () => {
  const fromContext = { team: 'sre', teamFromFlag: false };
  const fromFlag = { team: 'sre', teamFromFlag: true };

  it('reads one cluster of the command team with --cluster', () => {
    expect(fleetScope(fromContext, { cluster: 'east' })).toEqual({ team: 'sre', cluster: 'east' });
    expect(fleetScope(fromFlag, { cluster: 'east' })).toEqual({ team: 'sre', cluster: 'east' });
  });

  it('reads the whole fleet without --cluster, unless --team narrows it', () => {
    expect(fleetScope(fromContext, {})).toEqual({});
    expect(fleetScope(fromContext, { allTeams: true })).toEqual({});
    expect(fleetScope(fromFlag, {})).toEqual({ team: 'sre' });
  });

  it('refuses -A with --cluster or --team', () => {
    expect(() => fleetScope(fromContext, { cluster: 'east', allTeams: true })).toThrow(/not both/);
    expect(() => fleetScope(fromFlag, { allTeams: true })).toThrow(/not both/);
  });

  it('describes itself for messages', () => {
    expect(describeScope({ team: 'sre', cluster: 'east' })).toBe('cluster sre/east');
    expect(describeScope({ team: 'sre' })).toBe('the clusters of team sre');
    expect(describeScope({})).toBe('any cluster');
  });
});
