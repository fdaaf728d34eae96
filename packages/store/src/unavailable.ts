/** Which bound a database call ran into. */
export type DatabaseTimeoutStage = 'acquire' | 'statement';

/**
 * The database did not answer within a configured bound (ADR 0029): no pooled connection came free within
 * the acquisition timeout, or a statement got no answer within the statement timeout. The caller answers
 * 503 with `Retry-After`. A write whose answer timed out may still have been committed.
 */
export class DatabaseTimeoutError extends Error {
  constructor(
    readonly stage: DatabaseTimeoutStage,
    readonly timeoutMs: number,
  ) {
    super(
      stage === 'acquire'
        ? `no database connection came free within ${timeoutMs} ms`
        : `the database did not answer a statement within ${timeoutMs} ms`,
    );
    this.name = 'DatabaseTimeoutError';
  }
}

/**
 * True when the database did not answer in time: our own bounds (`DatabaseTimeoutError`), or PostgreSQL
 * cancelling a statement (57014, `statement_timeout`) or ending a session left idle in a transaction
 * (25P03, `idle_in_transaction_session_timeout`).
 */
export function isDatabaseTimeout(error: unknown): boolean {
  if (error instanceof DatabaseTimeoutError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === '57014' || code === '25P03';
}

/**
 * True when an error means the database could not be reached, dropped the session or did not answer in
 * time (as opposed to a bug in a query): the request may be retried, and the caller gets 503 rather than
 * 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (isDatabaseTimeout(error)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // PostgreSQL classes 08 (connection exception) and 57P (operator intervention: shutdown, killed session).
    if (/^08/.test(code) || /^57P0[1-3]$/.test(code)) return true;
    if (
      [
        'ECONNREFUSED',
        'ECONNRESET',
        'EPIPE',
        'ETIMEDOUT',
        'SQLITE_BUSY',
        'SQLITE_IOERR',
        'SQLITE_CANTOPEN',
      ].includes(code)
    )
      return true;
  }
  return /Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    error.message,
  );
}
