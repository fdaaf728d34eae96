/**
 * The console's session is an HttpOnly cookie that no script can read (an XSS cannot steal it). What the
 * script sees is the session's CSRF token, in the readable cookie `gantry_csrf`: its presence means
 * signed in, and every call sends it back in `X-Gantry-CSRF`. Components subscribe through
 * `useSyncExternalStore` (see use-session.ts); the API client ends the session on a 401.
 */
const csrfCookie = 'gantry_csrf';
const listeners = new Set<() => void>();

// Earlier consoles kept the bearer token in localStorage: drop it.
try {
  localStorage.removeItem('gantry.token');
} catch {
  // storage unavailable: nothing to drop
}

/** The session's CSRF token, or null when signed out. */
export function readSession(): string | null {
  for (const part of document.cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === csrfCookie && value.join('=') !== '') return value.join('=');
  }
  return null;
}

/** Called after a login that set the cookies. */
export function startSession(): void {
  notify();
}

/** Forgets the session here (the server revokes it on logout; a 401 means it already did). */
export function endSession(): void {
  // The server's logout answer may have cleared the cookie already; listeners still need to hear of it.
  if (readSession() !== null) document.cookie = `${csrfCookie}=; Path=/; Max-Age=0; SameSite=Strict`;
  notify();
}

/** Headers that every API call carries: the CSRF token of the session. */
export function sessionHeaders(): Record<string, string> {
  const csrf = readSession();
  return csrf ? { 'X-Gantry-CSRF': csrf } : {};
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}
