import { describe, expect, it } from 'vitest';
import { bodyProblem, jsonTooDeepAt } from './json-body.ts';

describe('nesting limits', () => {
  it('counts JSON brackets outside strings only', () => {
    expect(jsonTooDeepAt('{"a":[[1]]}', 3)).toBeUndefined();
    expect(jsonTooDeepAt('{"a":[[[1]]]}', 3)).toBe('character 7');
    expect(jsonTooDeepAt(`{"a":"${'['.repeat(50)}\\"${'{'.repeat(50)}"}`, 2)).toBeUndefined();
    // A string ending in an escaped backslash ends at the quote after it: the brackets after it count.
    expect(jsonTooDeepAt(String.raw`{"a":"\\","b":[[[1]]]}`, 3)).toBe('character 16');
    expect(jsonTooDeepAt(String.raw`{"a":"\\\"[[[","b":[1]}`, 3)).toBeUndefined();
    expect(jsonTooDeepAt('{"a":"unterminated [[[[', 3)).toBeUndefined();
  });

  it('walks parsed values without recursion and names the spot', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(bodyProblem({ a: deep }, 100)?.path).toMatch(/^\/a(\/0)+$/);
    expect(bodyProblem({ 'x/y': { z: [1] } }, 3)).toBeUndefined();
    expect(bodyProblem({ 'x/y': { z: [[1]] } }, 3)).toMatchObject({ kind: 'depth', path: '/x~1y/z/0' });
  });

  it('finds NUL and lone surrogates in strings and keys, and lets pairs through', () => {
    expect(bodyProblem({ a: ['ok', 'b\u0000'] }, 10)).toMatchObject({ kind: 'string', path: '/a/1' });
    expect(bodyProblem({ 'k\u0000': 1 }, 10)).toMatchObject({ path: '/k\u0000', message: /key/ });
    expect(bodyProblem({ a: 'x\ud800' }, 10)).toMatchObject({ message: /surrogate/ });
    expect(bodyProblem({ a: '\udc00x' }, 10)).toMatchObject({ message: /surrogate/ });
    expect(bodyProblem({ a: 'emoji \ud83d\ude00 é' }, 10)).toBeUndefined();
  });
});
