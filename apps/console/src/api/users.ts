import type { CreateUserRequest, PublicUser, UpdateUserRequest } from '@gantry/client';
import { apiRequest } from './client';

export type NewUser = CreateUserRequest;
export type UserPatch = UpdateUserRequest;

export async function listUsers(): Promise<PublicUser[]> {
  return (await apiRequest<{ items: PublicUser[] }>('/api/users')).items;
}

export function createUser(user: NewUser): Promise<PublicUser> {
  return apiRequest<PublicUser>('/api/users', { method: 'POST', body: user });
}

export function updateUser(username: string, patch: UserPatch): Promise<unknown> {
  return apiRequest<unknown>(`/api/users/${encodeURIComponent(username)}`, { method: 'PATCH', body: patch });
}

export function deleteUser(username: string): Promise<unknown> {
  return apiRequest<unknown>(`/api/users/${encodeURIComponent(username)}`, { method: 'DELETE' });
}
