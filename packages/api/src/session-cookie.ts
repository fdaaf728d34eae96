import { createHash, timingSafeEqual } from 'node:crypto';

/** The console's session token: HttpOnly, so that no script (an XSS) can read it. */
export const SESSION_COOKIE = 'gantry_session';
/** The CSRF token, readable by the console's script, which sends it back in CSRF_HEADER. */
export const CSRF_COOKIE = 'gantry_csrf';
export const CSRF_HEADER = 'x-gantry-csrf';

/**
 * The CSRF token of a session: derived from the session token, so it needs no storage and a token of
 * another session does not fit. Another site can make the browser send the cookie (SameSite=Strict
 * already stops most of that) but cannot read the CSRF cookie to set the header.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update(`gantry-csrf:${sessionToken}`).digest('base64url');
}

export function csrfMatches(sessionToken: string, sent: string | undefined): boolean {
  if (sent === undefined) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const actual = Buffer.from(sent);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The value of cookie `name` in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index !== -1 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

function cookie(
  name: string,
  value: string,
  maxAgeSeconds: number,
  httpOnly: boolean,
  secure: boolean,
): string {
  return [
    `${name}=${value}`,
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    'SameSite=Strict',
    ...(httpOnly ? ['HttpOnly'] : []),
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** Set-Cookie values that start a console session. */
export function sessionCookies(sessionToken: string, maxAgeSeconds: number, secure: boolean): string[] {
  return [
    cookie(SESSION_COOKIE, sessionToken, maxAgeSeconds, true, secure),
    cookie(CSRF_COOKIE, csrfTokenFor(sessionToken), maxAgeSeconds, false, secure),
  ];
}

/** Set-Cookie values that end it. */
export function clearedSessionCookies(secure: boolean): string[] {
  return [cookie(SESSION_COOKIE, '', 0, true, secure), cookie(CSRF_COOKIE, '', 0, false, secure)];
}
