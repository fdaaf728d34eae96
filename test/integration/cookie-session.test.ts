import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../support/server.ts';

/** The console's session: an HttpOnly cookie, with a CSRF header on every unsafe call. */
describe('cookie session', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  const login = async () => {
    const response = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD, session: 'cookie' }),
    });
    expect(response.status).toBe(200);
    const cookies = response.headers.getSetCookie();
    const body = (await response.json()) as Record<string, unknown>;
    return { cookies, body };
  };

  const cookieHeader = (cookies: string[]) => cookies.map((c) => c.split(';')[0]).join('; ');

  const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  it('sets an HttpOnly, SameSite=Strict session cookie and a CSRF token, and no token in the body', async () => {
    const { cookies, body } = await login();
    const session = cookies.find((c) => c.startsWith('gantry_session='))!;
    expect(session).toMatch(/; HttpOnly/i);
    expect(session).toMatch(/; SameSite=Strict/i);
    expect(session).toMatch(/; Path=\//i);
    const csrf = cookies.find((c) => c.startsWith('gantry_csrf='))!;
    expect(csrf).toMatch(/; SameSite=Strict/i);
    expect(csrf).not.toMatch(/HttpOnly/i);
    expect(body.token).toBeUndefined();
    expect(typeof body.csrfToken).toBe('string');
    expect(csrf.split(';')[0]).toBe(`gantry_csrf=${body.csrfToken as string}`);
  });

  it('authenticates reads by the cookie, and unsafe calls only with the CSRF header', async () => {
    const { cookies, body } = await login();
    const cookie = cookieHeader(cookies);
    expect((await call('GET', '/api/me', { cookie })).status).toBe(200);
    const without = await call('POST', '/api/tokens', { cookie }, { name: 'x' });
    expect(without.status).toBe(403);
    expect(((await without.json()) as { code: string }).code).toBe('GANTRY_E_CSRF');
    expect(
      (await call('POST', '/api/tokens', { cookie, 'x-gantry-csrf': 'forged' }, { name: 'x' })).status,
    ).toBe(403);
    const other = await login();
    expect(
      (
        await call(
          'POST',
          '/api/tokens',
          { cookie, 'x-gantry-csrf': other.body.csrfToken as string },
          { name: 'x' },
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await call(
          'POST',
          '/api/tokens',
          { cookie, 'x-gantry-csrf': body.csrfToken as string },
          { name: 'x' },
        )
      ).status,
    ).toBe(201);
  });

  it('leaves bearer tokens as they were: no CSRF header needed', async () => {
    const reply = await call(
      'POST',
      '/api/tokens',
      { authorization: `Bearer ${server.adminToken}` },
      { name: 'y' },
    );
    expect(reply.status).toBe(201);
  });

  it('ends the session on logout and clears the cookies', async () => {
    const { cookies, body } = await login();
    const cookie = cookieHeader(cookies);
    const out = await call('POST', '/api/auth/logout', { cookie, 'x-gantry-csrf': body.csrfToken as string });
    expect(out.status).toBe(204);
    const cleared = out.headers.getSetCookie();
    expect(cleared.find((c) => c.startsWith('gantry_session='))).toMatch(/Max-Age=0/i);
    expect(cleared.find((c) => c.startsWith('gantry_csrf='))).toMatch(/Max-Age=0/i);
    expect((await call('GET', '/api/me', { cookie })).status).toBe(401);
  });
});
