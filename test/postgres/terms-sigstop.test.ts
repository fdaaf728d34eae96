import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

// Issue 15 part 2 with real processes: the holder of `controller/team` is paused (SIGSTOP) for longer than
// its lease, the other server takes over and a Team changes through it; the paused server, resumed
// (SIGCONT), writes nothing from its old term.

const LEASE_MS = 1500;
const PASSWORD = 'sigstop-admin-pw';
const TEAMS = '/apis/gantry.dev/v1alpha1/teams';

let scratch: ScratchDatabase;
let sql: pg.Client;
const started: ChildProcess[] = [];

beforeAll(async () => {
  scratch = await createScratchDatabase();
  sql = new pg.Client({ connectionString: scratch.url });
  await sql.connect();
});
afterAll(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode !== null) continue;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  await sql?.end();
  await scratch?.drop();
});

/** `gantry server` as its own process on the scratch database; resolves with its URL once it listens. */
function startProcess(instance: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], {
    env: {
      ...process.env,
      GANTRY_PORT: '0',
      GANTRY_LOG_LEVEL: 'warn',
      GANTRY_DATABASE_URL: scratch.url,
      GANTRY_INSTANCE_ID: instance,
      GANTRY_LEASE_DURATION_MS: String(LEASE_MS),
      GANTRY_ADMIN_PASSWORD: PASSWORD,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Gantry is running at (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1]! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server ${instance} exited with ${code}: ${output}`)));
  });
}

async function login(url: string): Promise<string> {
  const reply = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  return ((await reply.json()) as { token: string }).token;
}

async function holder(lease: string): Promise<string | undefined> {
  const result = await sql.query<{ holder: string }>('SELECT holder FROM leases WHERE name = $1', [lease]);
  return result.rows[0]?.holder;
}

/** Every Team row as stored: name → resource version and status. */
async function teams(): Promise<Record<string, string>> {
  const result = await sql.query<{ name: string; body: string }>(
    "SELECT name, body FROM resources WHERE kind = 'Team' ORDER BY name",
  );
  return Object.fromEntries(
    result.rows.map((row) => {
      const body = (typeof row.body === 'string' ? JSON.parse(row.body) : row.body) as {
        metadata: { resourceVersion: string };
        status?: unknown;
      };
      return [row.name, `${body.metadata.resourceVersion} ${JSON.stringify(body.status ?? null)}`];
    }),
  );
}

async function metric(url: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}

describe('a paused server (SIGSTOP) on PostgreSQL', () => {
  it(
    'resumed after the other server took its lease and changed a Team, writes nothing from its old term',
    { timeout: 120_000 },
    async () => {
      const a = await startProcess('a');
      await eventually(
        () => holder('controller/team'),
        (name) => name === 'a',
        10_000,
      );
      const b = await startProcess('b');
      const tokenA = await login(a.url);
      const created = await fetch(`${a.url}${TEAMS}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenA}` },
        body: JSON.stringify({
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Team',
          metadata: { name: 'ops' },
          spec: { members: [] },
        }),
      });
      expect(created.status).toBe(201);
      // A reconciles it (it holds controller/team): the Team gets its status.
      await eventually(teams, (rows) => rows.ops !== undefined && !rows.ops.endsWith(' null'), 10_000);

      // A write through A, and A paused at its answer: A's reconcile of the new Team may be in flight.
      const inFlight = await fetch(`${a.url}${TEAMS}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenA}` },
        body: JSON.stringify({
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Team',
          metadata: { name: 'db' },
          spec: { members: [] },
        }),
      });
      a.child.kill('SIGSTOP');
      expect(inFlight.status).toBe(201);
      try {
        await eventually(
          () => holder('controller/team'),
          (name) => name === 'b',
          10 * LEASE_MS,
        );
        const tokenB = await login(b.url);
        const changed = await fetch(`${b.url}${TEAMS}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenB}` },
          body: JSON.stringify({
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'Team',
            metadata: { name: 'web' },
            spec: { members: [] },
          }),
        });
        expect(changed.status).toBe(201);
        // B, the holder now, reconciles both (db from its first resync).
        await eventually(
          teams,
          (rows) => [rows.web, rows.db].every((row) => row !== undefined && !row.endsWith(' null')),
          10_000,
        );
        // Paused for longer than the lease in all.
        await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
      } finally {
        a.child.kill('SIGCONT');
      }
      const settled = await teams();
      // A resumes: its timers and the change notifications it missed arrive at once. Whatever it tries
      // from its old term is refused; the Teams stay as B left them.
      await new Promise((resolve) => setTimeout(resolve, 3 * LEASE_MS));
      expect(await teams()).toEqual(settled);
      expect(await holder('controller/team')).toBe('b');
      expect(await metric(a.url, /gantry_controller_leader\{controller="team"\} (\d+)/)).toBe(0);
      const refused = await metric(a.url, /gantry_controller_fenced_writes_total\{controller="team"\} (\d+)/);
      // What A tried is counted (0 when its elector stepped down before any reconcile ran), for the report.
      console.info(`fenced writes of the resumed server (controller=team): ${refused}`);
    },
  );
});
