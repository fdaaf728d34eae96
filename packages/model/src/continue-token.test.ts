import { describe, expect, it } from 'vitest';
import { decodeContinueToken, encodeContinueToken } from './continue-token.ts';
import { InputError } from './errors.ts';

const isPair = (value: unknown): value is [string, number] =>
  Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'number';

describe('continue tokens', () => {
  it('round-trip a position', () => {
    const token = encodeContinueToken(['2025-01-01T00:00:00.000Z', 42]);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeContinueToken(token, isPair)).toEqual(['2025-01-01T00:00:00.000Z', 42]);
  });

  it('refuse a token that is not base64url JSON, or not the lister’s shape, with GANTRY_E_BAD_REQUEST', () => {
    for (const token of ['%%%', encodeContinueToken({ other: true })]) {
      let caught: unknown;
      try {
        decodeContinueToken(token, isPair);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InputError);
      expect(caught).toMatchObject({ status: 400, code: 'GANTRY_E_BAD_REQUEST' });
    }
  });
});
