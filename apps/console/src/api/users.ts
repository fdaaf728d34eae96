import { apiRequest } from './client';
import { bool, isRecord, itemsOf, str } from './normalize';
import type { User } from './types';

export async function listUsers(): Promise<User[]> {
  const body = await apiRequest<unknown>('/api/users');
  return itemsOf(body, 'users').filter(isRecord).map(toUser);
}

export interface NewUser {
  username: string;
  password: string;
  admin: boolean;
}

export async function createUser(user: NewUser): Promise<User> {
  const body = await apiRequest<unknown>('/api/users', { method: 'POST', body: user });
  return isRecord(body) ? toUser(isRecord(body['user']) ? body['user'] : body) : { ...user, disabled: false };
}

export interface UserPatch {
  password?: string;
  currentPassword?: string;
  admin?: boolean;
  disabled?: boolean;
}

export function updateUser(username: string, patch: UserPatch): Promise<unknown> {
  return apiRequest<unknown>(`/api/users/${encodeURIComponent(username)}`, { method: 'PATCH', body: patch });
}

export function deleteUser(username: string): Promise<unknown> {
  return apiRequest<unknown>(`/api/users/${encodeURIComponent(username)}`, { method: 'DELETE' });
}

function toUser(raw: Record<string, unknown>): User {
  return {
    username: str(raw, 'username', 'name') ?? '',
    admin: bool(raw, 'admin'),
    disabled: bool(raw, 'disabled'),
    createdAt: str(raw, 'createdAt', 'created'),
    updatedAt: str(raw, 'updatedAt', 'updated'),
    lastLoginAt: str(raw, 'lastLoginAt'),
  };
}
