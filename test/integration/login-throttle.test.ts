import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Failed logins slow down the source they come from, without locking the user out elsewhere. */
describe('login throttling', () => {
  let server: TestServer;
  let clock = Date.now();

  beforeAll(async () => {
    server = await startTestServer({
      now: () => clock,
      config: { loginMaxFailures: 3, trustedProxies: '127.0.0.1' },
    });
    const admin = client(server.url, server.adminToken);
    for (const username of ['victim', 'bystander'])
      expect((await admin.post('/api/users', { username, password: `${username}-password` })).status).toBe(
        201,
      );
  });
  afterAll(() => server?.close());

  const login = async (source: string, username: string, password: string) => {
    const response = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': source },
      body: JSON.stringify({ username, password }),
    });
    const body = (await response.json()) as { code?: string };
    return {
      status: response.status,
      code: body.code,
      retryAfter: Number(response.headers.get('retry-after')),
    };
  };

  it("slows down a source guessing a user's password; the right password from a clean source still works", async () => {
    for (let i = 0; i < 3; i++) expect((await login('10.1.1.1', 'victim', 'guess')).status).toBe(401);
    const refused = await login('10.1.1.1', 'victim', 'victim-password');
    expect(refused).toMatchObject({ status: 429, code: 'GANTRY_E_RATE_LIMITED' });
    expect(refused.retryAfter).toBeGreaterThan(0);
    expect((await login('10.2.2.2', 'victim', 'victim-password')).status).toBe(200);
    // The same source may still log in as someone else: the user-at-source counter is what holds it back.
    expect((await login('10.1.1.1', 'bystander', 'bystander-password')).status).toBe(200);
  });

  it('lets the source try again once the delay passed, and doubles the delay on the next failure', async () => {
    const first = await login('10.1.1.1', 'victim', 'guess');
    expect(first.status).toBe(429);
    clock += first.retryAfter * 1000;
    expect((await login('10.1.1.1', 'victim', 'guess')).status).toBe(401);
    const second = await login('10.1.1.1', 'victim', 'guess');
    expect(second.status).toBe(429);
    expect(second.retryAfter).toBeGreaterThanOrEqual(first.retryAfter * 2 - 1);
    clock += second.retryAfter * 1000;
    expect((await login('10.1.1.1', 'victim', 'victim-password')).status).toBe(200);
  });

  it('slows down a source that sprays many user names', async () => {
    for (let i = 0; i < 15; i++) expect((await login('10.3.3.3', `user-${i}`, 'guess')).status).toBe(401);
    expect((await login('10.3.3.3', 'bystander', 'bystander-password')).status).toBe(429);
    expect((await login('10.4.4.4', 'bystander', 'bystander-password')).status).toBe(200);
  });

  it('keeps the counters in the database, where every server reads them', async () => {
    const rows = await server.server.store.loginThrottle.get(['source:10.3.3.3', 'user:victim@10.1.1.1']);
    expect(rows.map((row) => row.key).sort()).toEqual(['source:10.3.3.3']);
    expect(rows[0]!.blockedUntil).toBeGreaterThan(clock);
  });
});
