import { useSyncExternalStore } from 'react';
import { readSession, subscribeSession } from './session-store';

/** Whether a session is open (its CSRF token, or null when signed out). Re-renders when it changes. */
export function useSession(): string | null {
  return useSyncExternalStore(subscribeSession, readSession);
}
