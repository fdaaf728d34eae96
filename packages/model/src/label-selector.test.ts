import { describe, expect, it } from 'vitest';
import { InputError } from './errors.ts';
import { matchesSelector, parseLabelSelector } from './label-selector.ts';

describe('label selectors', () => {
  it('parses every Kubernetes form', () => {
    expect(
      parseLabelSelector(
        'env=prod, tier==web,zone!=a,region in (eu, us),team notin (x),canary,!legacy,example.com/owner=ana',
      ),
    ).toEqual([
      { key: 'env', op: 'in', values: ['prod'] },
      { key: 'tier', op: 'in', values: ['web'] },
      { key: 'zone', op: 'notIn', values: ['a'] },
      { key: 'region', op: 'in', values: ['eu', 'us'] },
      { key: 'team', op: 'notIn', values: ['x'] },
      { key: 'canary', op: 'exists' },
      { key: 'legacy', op: 'notExists' },
      { key: 'example.com/owner', op: 'in', values: ['ana'] },
    ]);
    expect(parseLabelSelector('  ')).toEqual([]);
  });

  it('matches labels', () => {
    const selector = parseLabelSelector('env in (prod,staging),!legacy,zone!=b');
    expect(matchesSelector(selector, { env: 'prod' })).toBe(true);
    expect(matchesSelector(selector, { env: 'prod', zone: 'b' })).toBe(false);
    expect(matchesSelector(selector, { env: 'dev' })).toBe(false);
    expect(matchesSelector(selector, { env: 'staging', legacy: '' })).toBe(false);
    expect(matchesSelector(selector, undefined)).toBe(false);
    expect(matchesSelector(parseLabelSelector('toString'), {})).toBe(false);
  });

  it.each(['a in (b', 'a=b,', '=x', 'a=b c', 'Bad Key=1', 'a=' + 'v'.repeat(64), 'a in (x y)'])(
    'refuses %j with GANTRY_E_BAD_SELECTOR',
    (text) => {
      let thrown: unknown;
      try {
        parseLabelSelector(text);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InputError);
      expect((thrown as InputError).code).toBe('GANTRY_E_BAD_SELECTOR');
    },
  );
});
