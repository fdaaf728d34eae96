/**
 * The session token lives in localStorage so that a reload keeps the user signed in. Components
 * subscribe through `useSyncExternalStore` (see use-session.ts); the API client clears it on a 401.
 */
const storageKey = 'gantry.token';
const listeners = new Set<() => void>();

export function readToken(): string | null {
  return localStorage.getItem(storageKey);
}

export function writeToken(token: string): void {
  localStorage.setItem(storageKey, token);
  notify();
}

export function clearToken(): void {
  if (localStorage.getItem(storageKey) === null) return;
  localStorage.removeItem(storageKey);
  notify();
}

export function subscribeToken(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent): void => {
    if (event.key === storageKey) listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

function notify(): void {
  for (const listener of listeners) listener();
}
