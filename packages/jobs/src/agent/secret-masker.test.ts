import { describe, expect, it } from 'vitest';
import { MASK, SecretMasker } from './secret-masker.ts';

function run(masker: SecretMasker, pieces: string[]): string {
  return pieces.map((piece) => masker.push(piece)).join('') + masker.end();
}

describe('SecretMasker', () => {
  it('masks a value inside one piece', () => {
    expect(run(new SecretMasker(['hunter2']), ['the password is hunter2, ok'])).toBe(
      `the password is ${MASK}, ok`,
    );
  });

  it('masks a value cut across pieces, at every cut', () => {
    const text = 'before s3cr3t-value after s3cr3t-value end';
    for (let cut = 0; cut <= text.length; cut++) {
      for (let second = cut; second <= text.length; second += 3) {
        const pieces = [text.slice(0, cut), text.slice(cut, second), text.slice(second)];
        expect(run(new SecretMasker(['s3cr3t-value']), pieces)).toBe(`before ${MASK} after ${MASK} end`);
      }
    }
  });

  it('masks the longer of two overlapping values whole, and ignores one-character values', () => {
    expect(run(new SecretMasker(['abc', 'abcdef', 'x']), ['xx abcdef abc'])).toBe(`xx ${MASK} ${MASK}`);
  });

  it('passes text through when there are no secrets', () => {
    const masker = new SecretMasker([]);
    expect(masker.push('hello')).toBe('hello');
    expect(masker.end()).toBe('');
  });
});
