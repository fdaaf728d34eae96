import { expect } from 'vitest';
import { BASE, client, team } from './http.ts';

export type Api = ReturnType<typeof client>;

/** The password the fixture gives each user it makes. */
export const passwordOf = (username: string) => `${username}-password-1`;

/** A client logged in as `username` (made by `teamWithUsers`). */
export async function loginAs(url: string, username: string): Promise<Api> {
  const login = await client(url).post('/api/auth/login', { username, password: passwordOf(username) });
  expect(login.status).toBe(200);
  return client(url, login.body.token);
}

/**
 * The usual set-up of an API test: the admin makes each user (password `passwordOf`), a team in which
 * those given a role have it (users given `undefined` belong to no team: strangers), and each user logs in.
 * Answers a logged-in client per user.
 */
export async function teamWithUsers<Name extends string>(
  url: string,
  adminToken: string,
  teamName: string,
  roles: Record<Name, 'team-admin' | 'operator' | 'viewer' | undefined>,
): Promise<Record<Name, Api>> {
  const admin = client(url, adminToken);
  const names = Object.keys(roles) as Name[];
  for (const name of names)
    expect((await admin.post('/api/users', { username: name, password: passwordOf(name) })).status).toBe(201);
  const members = names.flatMap((name) => {
    const role = roles[name];
    return role ? [{ user: name, role }] : [];
  });
  expect((await admin.post(`${BASE}/teams`, team(teamName, members))).status).toBe(201);
  const clients = {} as Record<Name, Api>;
  for (const name of names) clients[name] = await loginAs(url, name);
  return clients;
}
