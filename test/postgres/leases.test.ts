import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElector, leaseTimings, systemClock, type LeaseStore } from '@gantry/controllers';
import { Store } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Two servers on one PostgreSQL database share the controllers through leases: each controller runs on
// exactly one of them, and moves to the other when that one goes away.

const ADMIN_URL = process.env.GANTRY_TEST_POSTGRES_URL;
if (!ADMIN_URL) {
  throw new Error(
    'GANTRY_TEST_POSTGRES_URL is not set: the postgres suite needs a PostgreSQL server (e.g. postgres://postgres:postgres@127.0.0.1:5432/postgres)',
  );
}

const LEASE_MS = 2000;
const database = `gantry_test_${randomBytes(6).toString('hex')}`;
const databaseUrl = (() => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
})();

async function admin<T>(run: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: ADMIN_URL });
  await db.connect();
  try {
    return await run(db);
  } finally {
    await db.end();
  }
}

async function metric(server: TestServer, pattern: RegExp): Promise<number> {
  const text = (await client(server.url).get('/metrics')).body as string;
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}
const isLeader = (server: TestServer) =>
  metric(server, /gantry_controller_leader\{controller="team"\} (\d+)/);
const teamReconciles = (server: TestServer) =>
  metric(server, /gantry_controller_reconciles_total\{controller="team",result="success"\} (\d+)/);

interface TeamObject {
  status?: { conditions?: { type: string; status: string; reason: string }[] };
}
async function readyReason(server: TestServer, name: string): Promise<string | undefined> {
  const reply = await client(server.url, server.adminToken).get(`${BASE}/teams/${name}`);
  return (reply.body as TeamObject).status?.conditions?.find((c) => c.type === 'Ready')?.reason;
}

let store: Store | undefined;
const servers: TestServer[] = [];

beforeAll(async () => {
  await admin((db) => db.query(`CREATE DATABASE ${database}`));
  for (const instanceId of ['a', 'b'])
    servers.push(await startTestServer({ databaseUrl, config: { leaseDurationMs: LEASE_MS, instanceId } }));
  store = await Store.open({ url: databaseUrl });
});

afterAll(async () => {
  for (const server of servers) await server.close();
  await store?.close();
  await admin((db) => db.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
});

describe('controller leases on one PostgreSQL', () => {
  let holder: TestServer;
  let standby: TestServer;

  it('exactly one server holds controller/team, and only it reconciles', async () => {
    const [a, b] = servers as [TestServer, TestServer];
    const lease = await store!.leases.get('controller/team');
    expect(['a', 'b']).toContain(lease?.holder);
    [holder, standby] = lease!.holder === 'a' ? [a, b] : [b, a];
    expect(await isLeader(holder)).toBe(1);
    expect(await isLeader(standby)).toBe(0);
    expect((await store!.leases.list()).filter((l) => l.name === 'controller/team')).toHaveLength(1);

    // Written through the standby: the holder hears of it through PostgreSQL and acts.
    const before = await teamReconciles(holder);
    const api = client(standby.url, standby.adminToken);
    expect(
      (await api.post(`${BASE}/teams`, team('analytics', [{ user: 'nobody', role: 'viewer' }]))).status,
    ).toBe(201);
    expect(
      await eventually(
        () => readyReason(standby, 'analytics'),
        (reason) => reason !== undefined,
      ),
    ).toBe('UnknownUser');
    // The create, then the controller's own status write coming back: two looks, one write.
    await eventually(
      () => teamReconciles(holder),
      (count) => count >= before + 2,
    );
    const audit = await api.get('/api/audit?name=analytics&action=status');
    expect((audit.body as { items: { source: string }[] }).items.map((entry) => entry.source)).toEqual([
      'controller/team',
    ]);
    expect(await teamReconciles(standby)).toBe(0);
    expect(await isLeader(standby)).toBe(0);
  });

  it('moves to the other server within seconds when the holder closes, which then reconciles new teams', async () => {
    // A user appears: no change event names the team, so only a full list brings `analytics` up to date.
    expect(
      (
        await client(standby.url, standby.adminToken).post('/api/users', {
          username: 'nobody',
          password: 'nobody-password-1',
        })
      ).status,
    ).toBe(201);
    const closedAt = Date.now();
    await holder.close();
    servers.splice(servers.indexOf(holder), 1);
    await eventually(
      () => isLeader(standby),
      (value) => value === 1,
      5000,
    );
    const failoverMs = Date.now() - closedAt;
    const lease = await store!.leases.get('controller/team');
    expect(lease?.holder).toBe(standby.server.config.instanceId);
    expect(lease?.transitions).toBe(1);
    expect(failoverMs).toBeLessThan(LEASE_MS);
    console.info(`controller/team failover after a clean shutdown: ${failoverMs} ms (lease ${LEASE_MS} ms)`);

    const api = client(standby.url, standby.adminToken);
    expect(
      (await api.post(`${BASE}/teams`, team('search', [{ user: 'admin', role: 'team-admin' }]))).status,
    ).toBe(201);
    expect(
      await eventually(
        () => readyReason(standby, 'search'),
        (reason) => reason !== undefined,
      ),
    ).toBe('MembersResolved');
    // The new holder starts its term by listing every team, so the one made before the failover is looked at again.
    expect(
      await eventually(
        () => readyReason(standby, 'analytics'),
        (reason) => reason === 'MembersResolved',
      ),
    ).toBe('MembersResolved');
  });

  it('moves as soon as the lease expires when the holder dies without releasing', async () => {
    const logger = pino({ level: 'silent' });
    const leading = new Set<string>();
    let dead = false;
    // A dead server's calls never complete: it neither renews nor releases.
    const dying: LeaseStore = {
      tryAcquire: (...args) => (dead ? new Promise(() => undefined) : store!.leases.tryAcquire(...args)),
      release: (...args) => (dead ? new Promise(() => undefined) : store!.leases.release(...args)),
    };
    const elector = (holder: string, leases: LeaseStore) =>
      new LeaderElector(leases, {
        leaseName: 'controller/crash-test',
        holder,
        leaseDurationMs: LEASE_MS,
        clock: systemClock(),
        logger,
        onStartedLeading: () => void leading.add(holder),
        onStoppedLeading: () => void leading.delete(holder),
      });
    const x = elector('x', dying);
    const y = elector('y', store!.leases);
    await x.start();
    await y.start();
    expect([...leading]).toEqual(['x']);
    const lastRenewal = (await store!.leases.get('controller/crash-test'))!.renewedAt;
    dead = true;
    await eventually(
      () => Promise.resolve(leading.has('y')),
      (has) => has,
      3 * LEASE_MS,
    );
    const failoverMs = Date.now() - lastRenewal;
    console.info(
      `failover after a holder died: ${failoverMs} ms after its last renewal (lease ${LEASE_MS} ms)`,
    );
    expect(failoverMs).toBeGreaterThan(LEASE_MS);
    // The standby woke up for the expiry it read (ADR 0029), not at its next poll; 400 ms for the statements
    // and timers of a loaded machine.
    expect(failoverMs).toBeLessThan(LEASE_MS + leaseTimings(LEASE_MS).takeoverMarginMs + 400);
    expect(x.isLeader()).toBe(false);
    expect((await store!.leases.get('controller/crash-test'))?.holder).toBe('y');
    await y.stop();
  });
});
