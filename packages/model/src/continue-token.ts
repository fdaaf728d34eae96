import { ErrorCodes, InputError } from './errors.ts';

/**
 * The one codec of `continue` tokens: where a listing stopped, as opaque base64url JSON. Each lister
 * chooses what it keeps in its tokens and gives a guard to check a token it reads back.
 */
export function encodeContinueToken(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Reads a token back; one this server did not issue (or that does not pass `guard`) is a 400. */
export function decodeContinueToken<T>(token: string, guard: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
  } catch {
    value = undefined;
  }
  if (guard(value)) return value;
  throw new InputError(
    'invalid continue token',
    [{ path: 'continue', message: 'is not a token this server issued' }],
    ErrorCodes.badRequest,
  );
}
