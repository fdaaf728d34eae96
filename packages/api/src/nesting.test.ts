import { describe, expect, it } from 'vitest';
import { jsonTooDeepAt, valueTooDeepAt } from './nesting.ts';

describe('nesting limits', () => {
  it('counts JSON brackets outside strings only', () => {
    expect(jsonTooDeepAt('{"a":[[1]]}', 3)).toBeUndefined();
    expect(jsonTooDeepAt('{"a":[[[1]]]}', 3)).toBe('character 7');
    expect(jsonTooDeepAt(`{"a":"${'['.repeat(50)}\\"${'{'.repeat(50)}"}`, 2)).toBeUndefined();
  });

  it('walks parsed values without recursion and names the spot', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(valueTooDeepAt({ a: deep }, 100)).toMatch(/^\/a(\/0)+$/);
    expect(valueTooDeepAt({ 'x/y': { z: [1] } }, 3)).toBeUndefined();
    expect(valueTooDeepAt({ 'x/y': { z: [[1]] } }, 3)).toBe('/x~1y/z/0');
  });
});
