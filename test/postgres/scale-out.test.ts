import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, client, team } from '../support/http.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { openSse } from '../support/sse.ts';

/** Two servers on one PostgreSQL: writes through one reach watches on the other, and survive lost sessions. */
describe('two servers on one PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let a: TestServer;
  let b: TestServer;
  let sql: pg.Client;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    a = await startTestServer({ databaseUrl: scratch.url, config: { instanceId: 'a' } });
    b = await startTestServer({ databaseUrl: scratch.url, config: { instanceId: 'b' } });
    sql = new pg.Client({ connectionString: scratch.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await a?.close();
    await b?.close();
    await scratch?.drop();
  });

  it('delivers a write made through one server to a watch on the other', async () => {
    const stream = await openSse(`${b.url}${BASE}/teams?watch=true&labelSelector=scale%3Dout`, b.adminToken);
    await stream.waitFor((events) => events.some((e) => e.event === 'BOOKMARK'));
    const started = Date.now();
    expect(
      (await client(a.url, a.adminToken).post(`${BASE}/teams`, team('via-a', [], { scale: 'out' }))).status,
    ).toBe(201);
    await stream.waitFor((events) =>
      events.some((e) => e.event === 'ADDED' && e.data.metadata.name === 'via-a'),
    );
    // NOTIFY wakes the other server's feed at once; the 1 s safety poll would be slower than this.
    expect(Date.now() - started).toBeLessThan(900);
    stream.close();
  });

  it('keeps serving and delivering when its database sessions are killed', async () => {
    const stream = await openSse(
      `${b.url}${BASE}/teams?watch=true&labelSelector=scale%3Dkilled`,
      b.adminToken,
    );
    await stream.waitFor((events) => events.some((e) => e.event === 'BOOKMARK'));
    // Kill every session but ours: both servers' pools and their LISTEN sessions.
    const killed = await sql.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    expect(killed.rowCount).toBeGreaterThan(1);
    const admin = client(a.url, a.adminToken);
    let created = await admin.post(`${BASE}/teams`, team('after-kill', [], { scale: 'killed' }));
    // A request that was handed a dead pooled connection fails cleanly (503, not a crash); the retry works.
    for (let attempt = 0; created.status !== 201 && attempt < 5; attempt++) {
      expect(created.status).not.toBe(500);
      created = await admin.post(`${BASE}/teams`, team('after-kill', [], { scale: 'killed' }));
    }
    expect(created.status).toBe(201);
    await stream.waitFor(
      (events) => events.some((e) => e.event === 'ADDED' && e.data.metadata.name === 'after-kill'),
      10_000,
    );
    stream.close();
    expect((await client(b.url).get('/readyz')).status).toBe(200);
  });
});
