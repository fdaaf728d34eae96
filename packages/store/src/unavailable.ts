/**
 * True when an error means the database could not be reached or dropped the session (as opposed to a
 * bug in a query): the request may be retried, and the caller gets 503 rather than 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
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
