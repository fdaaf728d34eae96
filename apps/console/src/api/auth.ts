import type { CookieLoginResult, Me, ServerVersion } from '@gantry/client';
import { apiRequest } from './client';

export function login(username: string, password: string): Promise<CookieLoginResult> {
  return apiRequest<CookieLoginResult>('/api/auth/login', {
    method: 'POST',
    body: { username, password, session: 'cookie' },
  });
}

export function logout(): Promise<unknown> {
  return apiRequest<unknown>('/api/auth/logout', { method: 'POST' });
}

export function fetchMe(): Promise<Me> {
  return apiRequest<Me>('/api/me');
}

export function fetchVersion(): Promise<ServerVersion> {
  return apiRequest<ServerVersion>('/api/version');
}
