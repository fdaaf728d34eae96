import { describe, expect, it } from 'vitest';
import { DatabaseTimeoutError, isDatabaseTimeout, isDatabaseUnavailable } from './unavailable.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('recognises lost connections and killed sessions', () => {
    expect(
      isDatabaseUnavailable(withCode('terminating connection due to administrator command', '57P01')),
    ).toBe(true);
    expect(isDatabaseUnavailable(withCode('connection failure', '08006'))).toBe(true);
    expect(isDatabaseUnavailable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('leaves query bugs and constraint violations alone', () => {
    expect(isDatabaseUnavailable(withCode('syntax error at or near "selct"', '42601'))).toBe(false);
    expect(isDatabaseUnavailable(withCode('duplicate key value', '23505'))).toBe(false);
    expect(isDatabaseUnavailable('a string')).toBe(false);
  });

  it('recognises timeouts: our bounds, statement_timeout and idle_in_transaction_session_timeout', () => {
    for (const error of [
      new DatabaseTimeoutError('acquire', 3000),
      new DatabaseTimeoutError('statement', 6000),
      withCode('canceling statement due to statement timeout', '57014'),
      withCode('terminating connection due to idle-in-transaction timeout', '25P03'),
    ]) {
      expect(isDatabaseTimeout(error)).toBe(true);
      expect(isDatabaseUnavailable(error)).toBe(true);
    }
    expect(isDatabaseTimeout(withCode('connection failure', '08006'))).toBe(false);
    expect(isDatabaseTimeout(withCode('duplicate key value', '23505'))).toBe(false);
    expect(new DatabaseTimeoutError('acquire', 3000).message).toMatch(/3000 ms/);
  });
});
