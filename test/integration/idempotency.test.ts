import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAgentPort, MemoryHostDirectory } from '@gantry/jobs';
import { resolveConfig, startServer, type RunningServer } from '../../apps/server/src/index.ts';
import { BASE, team } from '../support/http.ts';
import { TEST_ADMIN_PASSWORD, startTestServer, type TestServer } from '../support/server.ts';

const HOUR = 3_600_000;

/** `Idempotency-Key` on the generic create (ADR 0029), on SQLite; test/postgres/db-faults.test.ts does PostgreSQL. */
describe('Idempotency-Key on create', () => {
  let server: TestServer;
  let clock = Date.parse('2026-06-01T00:00:00Z');

  beforeAll(async () => {
    server = await startTestServer({ now: () => clock, config: { idempotencyKeyHours: 1 } });
  });
  afterAll(async () => {
    await server?.close();
  });

  const create = async (body: unknown, key?: string, token = server.adminToken, query = '') => {
    const response = await fetch(`${server.url}${BASE}/teams${query}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(key !== undefined ? { 'idempotency-key': key } : {}),
      },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      replayed: response.headers.get('idempotent-replayed'),
      body: (await response.json()) as { code?: string; metadata?: { uid: string; resourceVersion: string } },
    };
  };

  it('answers a retried create with the first answer, and without a key with 409', async () => {
    const first = await create(team('idem-a'), 'key-a');
    expect(first.status).toBe(201);
    expect(first.replayed).toBeNull();
    const retry = await create(team('idem-a'), 'key-a');
    expect(retry.status).toBe(201);
    expect(retry.replayed).toBe('true');
    expect(retry.body).toEqual(first.body);
    // The same body in another key order is the same request.
    const { spec, metadata, kind, apiVersion } = team('idem-a');
    const reordered = await create({ spec, metadata, kind, apiVersion }, 'key-a');
    expect(reordered.status).toBe(201);
    expect(reordered.body.metadata?.uid).toBe(first.body.metadata?.uid);
    expect((await create(team('idem-a'))).status).toBe(409);
  });

  it('refuses the same key with another body (422), and writes nothing', async () => {
    expect((await create(team('idem-b'), 'key-b')).status).toBe(201);
    const other = await create(team('idem-b2'), 'key-b');
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('GANTRY_E_IDEMPOTENCY_KEY_REUSED');
    const read = await fetch(`${server.url}${BASE}/teams/idem-b2`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(read.status).toBe(404);
  });

  it('does not record a refused create or a dry run under the key', async () => {
    expect((await create(team('idem-c'))).status).toBe(201);
    // 409: the key is not kept, so a later request may use it.
    expect((await create(team('idem-c'), 'key-c')).status).toBe(409);
    expect((await create(team('idem-d'), 'key-c', server.adminToken, '?dryRun=All')).status).toBe(200);
    const real = await create(team('idem-d'), 'key-c');
    expect(real.status).toBe(201);
    expect(real.replayed).toBeNull();
  });

  it('keeps keys of different users apart', async () => {
    const users = await fetch(`${server.url}/api/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'idem-other', password: 'a-long-enough-password-1', admin: true }),
    });
    expect(users.status).toBe(201);
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'idem-other', password: 'a-long-enough-password-1' }),
    });
    const { token } = (await login.json()) as { token: string };
    expect((await create(team('idem-e'), 'shared-key')).status).toBe(201);
    // Another user's key of the same name is another key: its create runs (and finds the team).
    expect((await create(team('idem-e'), 'shared-key', token)).status).toBe(409);
  });

  it('forgets a key after GANTRY_IDEMPOTENCY_KEY_HOURS', async () => {
    expect((await create(team('idem-f'), 'key-f')).status).toBe(201);
    clock += HOUR - 1;
    expect((await create(team('idem-f'), 'key-f')).replayed).toBe('true');
    clock += 2;
    expect((await create(team('idem-f'), 'key-f')).status).toBe(409);
  });

  it('refuses a malformed key (400)', async () => {
    const reply = await create(team('idem-g'), 'x'.repeat(256));
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('GANTRY_E_INVALID');
  });
});

/** `Idempotency-Key` on `POST /api/jobs/runs`: a retry answers the run the first request created. */
describe('Idempotency-Key on job runs', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-idem-jobs-'));
  const hosts = new MemoryHostDirectory();
  let server: RunningServer;
  let token: string;

  beforeAll(async () => {
    hosts.add('idem-ops', 'h1');
    server = await startServer(
      resolveConfig(
        {},
        { port: 0, host: '127.0.0.1', dataDir, adminPassword: TEST_ADMIN_PASSWORD, logLevel: 'silent' },
      ),
      { jobs: { port: new MemoryAgentPort(), hosts } },
    );
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
    });
    token = ((await login.json()) as { token: string }).token;
    const created = await fetch(`${server.url}${BASE}/teams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(team('idem-ops')),
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const run = async (script: string, key?: string) => {
    const response = await fetch(`${server.url}/api/jobs/runs`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: JSON.stringify({ team: 'idem-ops', script: { source: script }, targets: { hosts: ['h1'] } }),
    });
    return {
      status: response.status,
      replayed: response.headers.get('idempotent-replayed'),
      body: (await response.json()) as { id?: string; code?: string },
    };
  };
  const runCount = async () => {
    const response = await fetch(`${server.url}/api/jobs/runs?team=idem-ops`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return ((await response.json()) as { items: unknown[] }).items.length;
  };

  it('creates one run for a create and its retry, and refuses the key for another script', async () => {
    const first = await run('echo one', 'run-1');
    expect(first.status).toBe(201);
    const retry = await run('echo one', 'run-1');
    expect(retry.status).toBe(201);
    expect(retry.replayed).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
    expect(await runCount()).toBe(1);
    const other = await run('echo two', 'run-1');
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('GANTRY_E_IDEMPOTENCY_KEY_REUSED');
    // Without a key every request is a new run.
    expect((await run('echo one')).status).toBe(201);
    expect(await runCount()).toBe(2);
  });
});
