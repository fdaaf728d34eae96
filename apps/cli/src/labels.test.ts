import { describe, expect, it } from 'vitest';
import { parseLabelArgs } from './labels.ts';

describe('parseLabelArgs', () => {
  it('reads repeated and comma-separated key=value pairs; the last value wins', () => {
    expect(parseLabelArgs(['region=cn-hangzhou', 'env=prod,tier=db', 'env=staging', 'empty='])).toEqual({
      region: 'cn-hangzhou',
      env: 'staging',
      tier: 'db',
      empty: '',
    });
  });

  it('refuses a pair without a key', () => {
    expect(() => parseLabelArgs(['env'])).toThrow('invalid label "env": use key=value');
    expect(() => parseLabelArgs(['=prod'])).toThrow('invalid label "=prod": use key=value');
  });
});
