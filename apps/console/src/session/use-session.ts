import { useSyncExternalStore } from 'react';
import { readToken, subscribeToken } from './token-store';

/** The current session token, or null when signed out. Re-renders when it changes. */
export function useSessionToken(): string | null {
  return useSyncExternalStore(subscribeToken, readToken);
}
