import { apiRequest } from './client';
import type { LoginResult, Me } from './types';

export function login(username: string, password: string): Promise<LoginResult> {
  return apiRequest<LoginResult>('/api/auth/login', { method: 'POST', body: { username, password } });
}

export function logout(): Promise<unknown> {
  return apiRequest<unknown>('/api/auth/logout', { method: 'POST' });
}

export function fetchMe(): Promise<Me> {
  return apiRequest<Me>('/api/me');
}

export interface VersionInfo {
  version: string;
  commit?: string;
  database?: string;
}

export function fetchVersion(): Promise<VersionInfo> {
  return apiRequest<VersionInfo>('/api/version');
}
