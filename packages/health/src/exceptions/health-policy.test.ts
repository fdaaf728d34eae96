import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEALTH_POLICY,
  checkHealthPolicy,
  resolveHealthPolicy,
  type HealthPolicyObject,
} from './health-policy.ts';

const thresholds = { P4: '10m', P3: '30m', P2: '60m', P1: '150m', P0: '360m' };

describe('HealthPolicy', () => {
  it('defaults to P4 10m, P3 30m, P2 60m, P1 150m, P0 360m and a 30-minute reopen window', () => {
    expect(DEFAULT_HEALTH_POLICY.thresholds.map((t) => [t.level, t.ms / 60_000])).toEqual([
      ['P4', 10],
      ['P3', 30],
      ['P2', 60],
      ['P1', 150],
      ['P0', 360],
    ]);
    expect(DEFAULT_HEALTH_POLICY.reopenWindowMs).toBe(30 * 60_000);
    expect(resolveHealthPolicy([], [{ kind: 'Application', name: 'x' }])).toBe(DEFAULT_HEALTH_POLICY);
  });

  it('chooses the application’s policy, then the team’s, by the Application or a Component’s application', () => {
    const policies: HealthPolicyObject[] = [
      { name: 'z-team', spec: { selector: {}, failureThresholds: thresholds, reopenWindow: '5m' } },
      {
        name: 'checkout',
        spec: {
          selector: { application: 'checkout' },
          failureThresholds: thresholds,
          reopenWindow: '1h',
          escalationPolicy: 'shop-oncall',
        },
      },
    ];
    expect(
      resolveHealthPolicy(policies, [{ kind: 'Component', name: 'api', application: 'checkout' }]),
    ).toMatchObject({
      name: 'checkout',
      reopenWindowMs: 3_600_000,
      escalationPolicy: 'shop-oncall',
    });
    expect(resolveHealthPolicy(policies, [{ kind: 'Application', name: 'billing' }]).name).toBe('z-team');
    expect(resolveHealthPolicy(policies, []).name).toBe('z-team');
  });

  it('refuses thresholds that do not grow and durations that do not parse, with their paths', () => {
    expect(checkHealthPolicy({ selector: {}, failureThresholds: thresholds, reopenWindow: '30m' })).toEqual(
      [],
    );
    expect(
      checkHealthPolicy({
        selector: {},
        failureThresholds: { ...thresholds, P3: '10m', P1: '1h0m0s0m' },
        reopenWindow: '30x',
      }).map((e) => e.path),
    ).toEqual(['/spec/failureThresholds/P3', '/spec/failureThresholds/P1', '/spec/reopenWindow']);
  });
});
