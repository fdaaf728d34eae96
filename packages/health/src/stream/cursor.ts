import { ErrorCodes, InputError, decodeContinueToken, encodeContinueToken } from '@gantry/model';
import type { StreamPosition } from '@gantry/store';
import { STREAM_TABLES, type StreamPositions, type StreamTable } from './merge.ts';

/** A `since` cursor: where each table's change order was read up to (ascending). */
export interface StreamCursor {
  v: 1;
  d: 'asc';
  p: StreamPositions;
}

/** A `continue` token: where an older page starts (descending), and the tables already read to their end. */
export interface StreamContinue {
  v: 1;
  d: 'desc';
  p: StreamPositions;
  done: StreamTable[];
}

const TIME = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/;

function isPosition(value: unknown): value is StreamPosition {
  if (typeof value !== 'object' || value === null) return false;
  const { at, seq, ...rest } = value as Record<string, unknown>;
  return (
    Object.keys(rest).length === 0 &&
    typeof seq === 'number' &&
    Number.isSafeInteger(seq) &&
    seq >= 0 &&
    (at === undefined || (typeof at === 'string' && TIME.test(at)))
  );
}

function isPositions(value: unknown): value is StreamPositions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(
    ([table, position]) => (STREAM_TABLES as readonly string[]).includes(table) && isPosition(position),
  );
}

function isCursor(value: unknown): value is StreamCursor {
  const cursor = value as Partial<StreamCursor> | null;
  return (
    typeof cursor === 'object' &&
    cursor !== null &&
    cursor.v === 1 &&
    cursor.d === 'asc' &&
    isPositions(cursor.p)
  );
}

function isContinue(value: unknown): value is StreamContinue {
  const token = value as Partial<StreamContinue> | null;
  return (
    typeof token === 'object' &&
    token !== null &&
    token.v === 1 &&
    token.d === 'desc' &&
    isPositions(token.p) &&
    Array.isArray(token.done) &&
    token.done.every((table) => (STREAM_TABLES as readonly string[]).includes(table))
  );
}

export function encodeStreamCursor(positions: StreamPositions): string {
  return encodeContinueToken({ v: 1, d: 'asc', p: positions } satisfies StreamCursor);
}

export function encodeStreamContinue(positions: StreamPositions, done: Iterable<StreamTable>): string {
  return encodeContinueToken({ v: 1, d: 'desc', p: positions, done: [...done] } satisfies StreamContinue);
}

/** Reads a `since` cursor back; anything this server did not issue as one is a 400 on `since`. */
export function decodeStreamCursor(token: string): StreamCursor {
  try {
    return decodeContinueToken(token, isCursor);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(
      'since is not a cursor of the health stream',
      [{ path: 'querystring/since', message: 'is not a cursor this server issued' }],
      ErrorCodes.badRequest,
    );
  }
}

/** Reads a `continue` token back; anything else is a 400 on `continue`. */
export function decodeStreamContinue(token: string): StreamContinue {
  try {
    return decodeContinueToken(token, isContinue);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(
      'continue is not a token of the health stream',
      [{ path: 'querystring/continue', message: 'is not a token this server issued' }],
      ErrorCodes.badRequest,
    );
  }
}
