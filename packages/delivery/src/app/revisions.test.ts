import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256 } from './hash.ts';
import { revisionName } from './revisions.ts';
import { compareVersions } from './seed.ts';

describe('revision names', () => {
  it('are <app>-v<N>, shortened with a hash past 63 characters and still distinct', () => {
    expect(revisionName('checkout', 3)).toBe('checkout-v3');
    const long = 'a'.repeat(60);
    const other = `${'a'.repeat(59)}b`;
    expect(revisionName(long, 12).length).toBeLessThanOrEqual(63);
    expect(revisionName(long, 12)).toMatch(/-v12$/);
    expect(revisionName(long, 12)).not.toBe(revisionName(other, 12));
    expect(revisionName(long, 12)).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});

describe('hashing', () => {
  it('ignores key order and undefined fields, not values', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}',
    );
    expect(sha256({ a: 1, b: 2 })).toBe(sha256({ b: 2, a: 1 }));
    expect(sha256({ a: 1 })).not.toBe(sha256({ a: 2 }));
  });
});

describe('compareVersions', () => {
  it('compares numerically, part by part', () => {
    expect(compareVersions('1.10.0', '1.2.0')).toBeGreaterThan(0);
    expect(compareVersions('1.0.0', '1.0.0')).toBe(0);
    expect(compareVersions('1.0.0-rc.1', '1.0.1')).toBeLessThan(0);
  });
});
