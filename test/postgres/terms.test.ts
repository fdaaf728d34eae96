import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '@gantry/api';
import { ControllerManager, systemClock, type Controller } from '@gantry/controllers';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import { KindRegistry, builtinKinds } from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store, type WriteFence } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { widget, widgetKind } from '../support/widget-kind.ts';

// Issue 15 on PostgreSQL: leases move between two running servers and back (nothing from a term survives
// it, every controller works after coming back), and a write from a term that ended is refused.

const LEASE_MS = 1500;

/** A ResourceService in this process that knows the test-only Widget kind, which no server reconciles. */
function widgetService(): ResourceService {
  const kinds = new KindRegistry();
  for (const kind of [...builtinKinds, widgetKind]) kinds.register(kind);
  return new ResourceService(kinds, store.resources, () => Date.now());
}
const caller = { principal: SYSTEM_PRINCIPAL, source: 'test' };

let scratch: ScratchDatabase;
let sql: pg.Client;
let store: Store;
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  scratch = await createScratchDatabase();
  a = await startTestServer({
    databaseUrl: scratch.url,
    config: { instanceId: 'a', leaseDurationMs: LEASE_MS, failureCheckSeconds: 1 },
  });
  b = await startTestServer({
    databaseUrl: scratch.url,
    config: { instanceId: 'b', leaseDurationMs: LEASE_MS, failureCheckSeconds: 1 },
  });
  sql = new pg.Client({ connectionString: scratch.url });
  await sql.connect();
  store = await Store.open({ url: scratch.url });
});
afterAll(async () => {
  await sql?.end();
  await a?.close();
  await b?.close();
  await store?.close();
  await scratch?.drop();
});

async function metric(server: TestServer, pattern: RegExp): Promise<number> {
  const text = (await client(server.url).get('/metrics')).body as string;
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * What `to`'s take-over statement does to the lease row, done on its behalf: it names `to`, one transition
 * later, for a lease duration. Neither server restarts; the old holder finds out at its next renewal.
 */
async function moveLease(name: string, to: string, at = Date.now()): Promise<number> {
  // renewed_at is `at`: `heldBy(…, at)` then waits for a renewal by `to` itself, not this statement.
  await sql.query(
    'UPDATE leases SET holder = $1, transitions = transitions + 1, expires_at = $2, renewed_at = $3 WHERE name = $4',
    [to, at + LEASE_MS, at, name],
  );
  return at;
}

/** Until `holder` has renewed `name` itself since `since`: it runs what the lease guards. */
async function heldBy(name: string, holder: string, since: number): Promise<void> {
  await eventually(
    () => store.leases.get(name),
    (lease) => lease?.holder === holder && lease.renewedAt > since,
    4 * LEASE_MS,
  );
}

const other = (holder: 'a' | 'b') => (holder === 'a' ? 'b' : 'a');
/** The runtime's controllers on the servers' ControllerManagers, whose leadership /metrics reports. */
const OBSERVED = ['team', 'cluster', 'application', 'alert-rule', 'global-alert-rule'];

const leaderOf = (server: TestServer, controller: string) =>
  metric(server, new RegExp(`gantry_controller_leader\\{controller="${controller}"\\} (\\d+)`));

describe('terms on one PostgreSQL', () => {
  it(
    'moves every lease to the other server and back without restarts, and every controller works after coming back',
    { timeout: 120_000 },
    async () => {
      const leases = await eventually(
        () => store.leases.list(),
        (list) => list.length >= 13 && list.every((lease) => lease.holder === 'a' || lease.holder === 'b'),
      );
      // Every lease holder the server runs: the controller runtime's, and the loops with leases of their own.
      // A new one must join this test.
      expect(leases.map((lease) => lease.name).sort()).toEqual([
        'alert-dispatch',
        'controller/alert-rule',
        'controller/application',
        'controller/change',
        'controller/cluster',
        'controller/failures',
        'controller/global-alert-rule',
        'controller/healing',
        'controller/jobs',
        'controller/schedules',
        'controller/team',
        'health-baselines',
        'health-correlation',
        'health-inspections',
      ]);
      const servers = { a, b };
      const runner = (name: string) =>
        name.startsWith('controller/') ? name.slice('controller/'.length) : undefined;

      const initial = new Map(leases.map((lease) => [lease.name, lease.holder as 'a' | 'b']));
      // Twice: every lease goes to the other server at once, then every lease comes back.
      for (let round = 0; round < 4; round += 1) {
        const away = round % 2 === 0;
        const at = Date.now();
        for (const [name, holder] of initial) await moveLease(name, away ? other(holder) : holder, at);
        for (const [name, holder] of initial) {
          const to = away ? other(holder) : holder;
          await heldBy(name, to, at);
          const controller = runner(name);
          if (controller && OBSERVED.includes(controller)) {
            await eventually(
              () => leaderOf(servers[to], controller),
              (value) => value === 1,
              4 * LEASE_MS,
            );
            await eventually(
              () => leaderOf(servers[other(to)], controller),
              (value) => value === 0,
              4 * LEASE_MS,
            );
          }
        }
      }

      // Each controller does its job after coming back, on whichever server holds it now.
      const api = client(a.url, a.adminToken);
      expect(
        (await api.post(`${BASE}/teams`, team('terms', [{ user: 'admin', role: 'team-admin' }]))).status,
      ).toBe(201);
      const teamReason = async () =>
        (
          (await api.get(`${BASE}/teams/terms`)).body as {
            status?: { conditions?: { type: string; reason: string }[] };
          }
        ).status?.conditions?.find((c) => c.type === 'Ready')?.reason;
      expect(await eventually(teamReason, (reason) => reason !== undefined)).toBe('MembersResolved');

      expect(
        (
          await api.post(`${BASE}/teams/terms/clusters`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'Cluster',
            metadata: { name: 'east' },
            spec: { kubeconfigSecret: { name: 'east-kubeconfig', key: 'kubeconfig' } },
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await api.post(`${BASE}/teams/terms/applications`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'Application',
            metadata: { name: 'hello' },
            spec: {
              components: [
                { name: 'api', type: 'webservice', properties: { image: 'hello:7', ports: [{ port: 80 }] } },
              ],
              topology: { clusters: ['east'], namespace: 'shop' },
            },
          })
        ).status,
      ).toBe(201);
      const rule = parse(
        readFileSync(join(import.meta.dirname, '../../examples/alerting/global-node-not-ready.yaml'), 'utf8'),
      ) as Record<string, unknown>;
      expect((await api.post(`${BASE}/globalalertrules`, rule)).status).toBe(201);
      const teamRule = parse(
        readFileSync(join(import.meta.dirname, '../../examples/alerting/application-unhealthy.yaml'), 'utf8'),
      ) as Record<string, unknown>;
      expect((await api.post(`${BASE}/teams/terms/alertrules`, teamRule)).status).toBe(201);
      expect(
        (
          await api.post(`${BASE}/teams/terms/changes`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'Change',
            metadata: { name: 'cordon-one' },
            spec: {
              nodeOperation: { operation: 'cordon' },
              targets: { names: ['east/node-1'] },
              plan: { batches: [{ size: '1', bake: '0s' }] },
            },
          })
        ).status,
      ).toBe(201);
      const observed = (path: string) => async () =>
        ((await api.get(path)).body as { status?: { observedGeneration?: number } }).status
          ?.observedGeneration;
      for (const path of [
        `${BASE}/teams/terms/clusters/east`,
        `${BASE}/teams/terms/applications/hello`,
        `${BASE}/globalalertrules/node-not-ready`,
        `${BASE}/teams/terms/alertrules/application-unhealthy`,
        `${BASE}/teams/terms/changes/cordon-one`,
      ])
        expect(await eventually(observed(path), (generation) => generation === 1)).toBe(1);
      // The application's revision is its newest, not one remembered from a term before.
      const app = (await api.get(`${BASE}/teams/terms/applications/hello`)).body as {
        status: { latestRevision?: number };
      };
      expect(app.status.latestRevision).toBe(1);
    },
  );

  it('refuses the write of a leader paused mid-reconcile once another took the lease, counting and logging it once', async () => {
    const resources = widgetService();
    await resources.create(caller, 'Team', undefined, team('paused'));
    await resources.create(caller, 'Widget', 'paused', widget('paused', 'w'));

    // X: a controller whose reconcile reads the team, passes its signal check, and is then held (as a
    // process stopped at that instant would be) before it writes status, with its term's fence.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reachedWrite!: () => void;
    const atWrite = new Promise<void>((resolve) => (reachedWrite = resolve));
    const writes: { by: string; fence: WriteFence | undefined; error?: unknown }[] = [];
    const writer = (by: string, hold: boolean): Controller => ({
      name: 'paused-writer',
      kind: 'Widget',
      reconcile: async (ctx, key) => {
        if (key.name !== 'w') return {};
        if (ctx.signal.aborted) return {};
        if (hold) {
          reachedWrite();
          await held;
        }
        try {
          await resources.replaceStatus(
            caller,
            'Widget',
            'paused',
            'w',
            { metadata: { name: 'w' }, status: { readyReplicas: by === 'x' ? 1 : 2 } },
            ctx.term.fence ? { fence: ctx.term.fence } : {},
          );
          writes.push({ by, fence: ctx.term.fence });
        } catch (error) {
          writes.push({ by, fence: ctx.term.fence, error });
          throw error;
        }
        return {};
      },
    });
    const lines: string[] = [];
    const xMetrics = new Metrics();
    const manager = (holder: string, controller: Controller, metrics: Metrics) =>
      new ControllerManager(
        { changes: { subscribe: () => () => undefined }, objects: store.resources, leases: store.leases },
        {
          holder,
          leaseDurationMs: LEASE_MS,
          clock: systemClock(),
          logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
          metrics,
        },
      ).register(controller);
    const x = manager('x', writer('x', true), xMetrics);
    await x.start();
    await atWrite;

    // Meanwhile Y takes the lease and writes.
    const y = manager('y', writer('y', false), new Metrics());
    const at = await moveLease('controller/paused-writer', 'y');
    await y.start();
    await heldBy('controller/paused-writer', 'y', at);
    await eventually(
      () => Promise.resolve(writes.some((w) => w.by === 'y' && !w.error)),
      (done) => done,
      4 * LEASE_MS,
    );

    // X resumes: its write is refused, and nothing it did lands.
    const before = await store.resources.currentResourceVersion();
    release();
    await eventually(
      () => Promise.resolve(writes.find((w) => w.by === 'x')),
      (write) => write !== undefined,
    );
    expect(writes.find((w) => w.by === 'x')?.error).toMatchObject({ name: 'FencedWriteRefused' });
    expect(await store.resources.currentResourceVersion()).toBe(before);
    expect((await resources.get(caller, 'Widget', 'paused', 'w')).status).toEqual({ readyReplicas: 2 });
    const text = await xMetrics.registry.metrics();
    expect(text).toContain('gantry_controller_fenced_writes_total{controller="paused-writer"} 1');
    expect(text).toContain(
      'gantry_controller_reconciles_total{controller="paused-writer",result="fenced"} 1',
    );
    expect(lines.filter((line) => line.includes('a write was refused'))).toHaveLength(1);
    await x.stop();
    await y.stop();
  });

  it('costs one folded read per fenced status write (measured)', async () => {
    const resources = widgetService();
    await resources.create(caller, 'Team', undefined, team('bench'));
    await resources.create(caller, 'Widget', 'bench', widget('bench', 'w'));
    expect(await store.leases.tryAcquire('controller/bench', 'z', 60_000, Date.now())).toBe(true);
    const lease = (await store.leases.get('controller/bench'))!;
    const fence = { lease: 'controller/bench', holder: 'z', transitions: lease.transitions };
    // Fenced and unfenced writes alternate, so that the machine's load weighs on both alike; medians of
    // single writes, robust to the outliers a shared machine produces.
    const N = 600;
    const plain: number[] = [];
    const fenced: number[] = [];
    const write = async (value: number, withFence: boolean) => {
      const started = performance.now();
      await resources.replaceStatus(
        caller,
        'Widget',
        'bench',
        'w',
        { metadata: { name: 'w' }, status: { observedGeneration: value } },
        withFence ? { fence } : {},
      );
      return performance.now() - started;
    };
    for (let i = 0; i < 50; i++) await write(i, i % 2 === 0); // warm up
    for (let i = 0; i < N; i++) {
      const first = i % 2 === 0;
      const a1 = await write(1000 + 2 * i, first);
      const a2 = await write(1001 + 2 * i, !first);
      (first ? fenced : plain).push(a1);
      (first ? plain : fenced).push(a2);
    }
    const quantile = (values: number[], q: number) =>
      [...values].sort((x, y) => x - y)[Math.floor(q * (values.length - 1))]!;
    const summary = (values: number[]) =>
      `median ${quantile(values, 0.5).toFixed(3)} ms, p90 ${quantile(values, 0.9).toFixed(3)} ms`;
    console.info(
      `status write through ResourceService on PostgreSQL, ${N} each, alternating: unfenced ${summary(plain)}; ` +
        `fenced ${summary(fenced)}; median extra ${(quantile(fenced, 0.5) - quantile(plain, 0.5)).toFixed(3)} ms`,
    );
    expect(
      ((await resources.get(caller, 'Widget', 'bench', 'w')).status as { observedGeneration: number })
        .observedGeneration,
    ).toBe(1001 + 2 * (N - 1));
  });
});
