import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { eventually } from '../support/eventually.ts';
import { openSse, type SseStream } from '../support/sse.ts';

/** An open watch is authorized again while it runs, not only when it starts. */
describe('watch re-authorization', () => {
  let server: TestServer;
  let admin: ReturnType<typeof client>;
  let clock = Date.now();

  beforeAll(async () => {
    server = await startTestServer({ now: () => clock, config: { sessionTtlHours: 1, watchesPerUser: 2 } });
    admin = client(server.url, server.adminToken);
  });
  afterAll(() => server?.close());

  const newUser = async (name: string, teamName?: string) => {
    expect((await admin.post('/api/users', { username: name, password: `${name}-password-1` })).status).toBe(
      201,
    );
    if (teamName)
      expect(
        (await admin.post(`${BASE}/teams`, team(teamName, [{ user: name, role: 'viewer' }]))).status,
      ).toBe(201);
    const login = await client(server.url).post('/api/auth/login', {
      username: name,
      password: `${name}-password-1`,
    });
    expect(login.status).toBe(200);
    return login.body.token as string;
  };

  const watchTeams = async (token: string): Promise<SseStream> => {
    const stream = await openSse(`${server.url}${BASE}/teams?watch=true`, token);
    expect(stream.status).toBe(200);
    await stream.waitFor((events) => events.some((e) => e.event === 'BOOKMARK'));
    return stream;
  };

  const endsWithError = async (stream: SseStream, code: string) => {
    const events = await stream.waitFor((all) => all.some((e) => e.event === 'ERROR'), 4000);
    stream.close();
    expect(events.find((e) => e.event === 'ERROR')!.data.code).toBe(code);
  };

  it('ends the stream when the API token is revoked', async () => {
    await newUser('rita', 'rita-team');
    const ritaSession = client(
      server.url,
      (await client(server.url).post('/api/auth/login', { username: 'rita', password: 'rita-password-1' }))
        .body.token,
    );
    const created = await ritaSession.post('/api/tokens', { name: 'watcher' });
    const stream = await watchTeams(created.body.token);
    expect((await ritaSession.delete(`/api/tokens/${created.body.id}`)).status).toBe(204);
    await endsWithError(stream, 'GANTRY_E_UNAUTHENTICATED');
  });

  it('ends the stream when the session expires', async () => {
    const token = await newUser('ed', 'ed-team');
    const stream = await watchTeams(token);
    clock += 2 * 3_600_000;
    try {
      await endsWithError(stream, 'GANTRY_E_UNAUTHENTICATED');
    } finally {
      clock -= 2 * 3_600_000;
    }
  });

  it('ends the stream when the user logs out', async () => {
    const token = await newUser('lou', 'lou-team');
    const stream = await watchTeams(token);
    expect((await client(server.url, token).post('/api/auth/logout')).status).toBe(204);
    await endsWithError(stream, 'GANTRY_E_UNAUTHENTICATED');
  });

  it('ends the stream when the user is disabled', async () => {
    const token = await newUser('dee', 'dee-team');
    const stream = await watchTeams(token);
    expect((await admin.patch('/api/users/dee', { disabled: true }, 'application/json')).status).toBe(200);
    await endsWithError(stream, 'GANTRY_E_UNAUTHENTICATED');
  });

  it('ends the stream when the user is deleted', async () => {
    const token = await newUser('del', 'del-team');
    const stream = await watchTeams(token);
    expect((await admin.delete('/api/users/del')).status).toBe(204);
    await endsWithError(stream, 'GANTRY_E_UNAUTHENTICATED');
  });

  it('ends the stream when the user loses a team it watches', async () => {
    const token = await newUser('tom', 'tom-team');
    const stream = await watchTeams(token);
    expect((await admin.patch(`${BASE}/teams/tom-team`, { spec: { members: [] } })).status).toBe(200);
    await endsWithError(stream, 'GANTRY_E_FORBIDDEN');
  });

  it("delivers global kinds to a non-admin's watch as their list shows them", async () => {
    const token = await newUser('gus');
    const listed = (await client(server.url, token).get(`${BASE}/componentdefinitions`)).body.items as {
      metadata: { name: string };
    }[];
    expect(listed.length).toBeGreaterThan(0);
    const stream = await openSse(`${server.url}${BASE}/componentdefinitions?watch=true`, token);
    const events = await stream.waitFor((all) => all.some((e) => e.event === 'BOOKMARK'));
    stream.close();
    expect(
      events
        .filter((e) => e.event === 'ADDED')
        .map((e) => e.data.metadata.name)
        .sort(),
    ).toEqual(listed.map((item) => item.metadata.name).sort());
  });

  it('limits how many watches one user keeps open, and frees a place when one closes', async () => {
    const token = await newUser('wally', 'wally-team');
    const first = await watchTeams(token);
    const second = await watchTeams(token);
    const third = await openSse(`${server.url}${BASE}/teams?watch=true`, token);
    third.close();
    expect(third.status).toBe(429);
    const refused = await client(server.url, token).get(`${BASE}/teams?watch=true`);
    expect(refused.body.code).toBe('GANTRY_E_TOO_MANY_WATCHES');
    // Another user is not affected.
    const admins = await openSse(`${server.url}${BASE}/teams?watch=true`, server.adminToken);
    admins.close();
    expect(admins.status).toBe(200);
    first.close();
    const again = await eventually(
      async () => {
        const stream = await openSse(`${server.url}${BASE}/teams?watch=true`, token);
        stream.close();
        return stream.status;
      },
      (status) => status === 200,
    );
    expect(again).toBe(200);
    second.close();
  });
});
