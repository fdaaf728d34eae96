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
import { FencedWriteRefused, Store, type WriteFence } from '@gantry/store';
import { nodePolicyInput } from '@gantry/healing/testing';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { widget, widgetKind } from '../support/widget-kind.ts';

// Issue 15 on PostgreSQL: leases move between two running servers and back (nothing from a term survives
// it, every controller works after coming back), and a write from a term that ended is refused.

const LEASE_MS = 1500;
/** Short periods, so that every loop shows its work within seconds of coming back. */
const SERVER_CONFIG = {
  leaseDurationMs: LEASE_MS,
  failureCheckSeconds: 1,
  healingIntervalSeconds: 1,
  healthGroupWait: '1s',
};

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
    config: { instanceId: 'a', ...SERVER_CONFIG },
  });
  b = await startTestServer({
    databaseUrl: scratch.url,
    config: { instanceId: 'b', ...SERVER_CONFIG },
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

type Api = ReturnType<typeof client>;
const resource = (kind: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'gantry.dev/v1alpha1',
  kind,
  metadata: { name },
  spec,
});
async function created(reply: Promise<{ status: number; body: unknown }>): Promise<void> {
  const { status, body } = await reply;
  expect(status, JSON.stringify(body)).toBe(201);
}

/**
 * What each lease holder not covered above does, observed from outside once every lease has moved away and
 * back twice: alert dispatch enqueues a notification, health correlation opens an exception, the failure
 * controller raises one, healing runs a policy on one, the run controller ends a job run, the schedule
 * controller writes a Schedule's next time, the inspection scheduler runs a slot, the baselines evaluator
 * writes a Baseline's status. All are started together and awaited together, so the checks cost the
 * slowest of them (about two seconds), not their sum.
 */
async function loopsWork(api: Api): Promise<void> {
  const T = 'terms';
  const team = (path: string) => `${BASE}/teams/${T}/${path}`;
  const since = new Date().toISOString();
  // alert-dispatch: a routed alert is enqueued for its channel (the log has it, delivered or not).
  await created(
    api.post(
      team('notificationchannels'),
      resource('NotificationChannel', 'nowhere', {
        type: 'webhook',
        webhook: { url: 'http://127.0.0.1:9/hook' },
      }),
    ),
  );
  await created(
    api.post(
      team('alertroutings'),
      resource('AlertRouting', 'main', {
        receivers: ['nowhere'],
        groupBy: ['alertname'],
        groupWait: '0s',
        groupInterval: '1s',
        repeatInterval: '1h',
      }),
    ),
  );
  // health-correlation: a rule that opens an exception for one alert.
  await created(
    api.post(
      team('correlationrules'),
      resource('CorrelationRule', 'probe', {
        match: "labels.alertname == 'TermsProbe'",
        threshold: 1,
        title: 'terms probe',
      }),
    ),
  );
  // controller/failures: any exception of the team is a failure at P4 after a second.
  await created(
    api.post(
      team('healthpolicies'),
      resource('HealthPolicy', 'quick', {
        failureThresholds: { P4: '1s', P3: '1h', P2: '2h', P1: '3h', P0: '4h' },
      }),
    ),
  );
  // controller/healing: a policy taking the exceptions of nodes that are not ready.
  await created(
    api.post(team('healingpolicies'), resource('HealingPolicy', 'node-not-ready', nodePolicyInput())),
  );
  // controller/jobs: a run on the unreachable cluster east ends (its target cannot start there).
  await created(
    api.post(
      team('jobtemplates'),
      resource('JobTemplate', 'probe', { cluster: { image: 'busybox', command: ['true'] } }),
    ),
  );
  // controller/schedules: a Schedule is given its next time.
  await created(
    api.post(
      team('schedules'),
      resource('Schedule', 'nightly', { template: 'probe', targets: { cluster: 'east' }, cron: '0 3 * * *' }),
    ),
  );
  // health-inspections: a slot every two seconds.
  await created(
    api.post(
      team('inspections'),
      resource('Inspection', 'nodes', {
        schedule: { cron: '*/2 * * * * *' },
        checks: [{ name: 'down', inventory: { over: 'nodes', condition: '!node.ready' } }],
      }),
    ),
  );
  // health-baselines: a Baseline on a source that does not answer gets its status all the same.
  await created(
    api.post(
      team('metricssources'),
      resource('MetricsSource', 'nowhere', { url: 'http://127.0.0.1:9', timeoutSeconds: 1 }),
    ),
  );
  await created(
    api.post(
      team('baselines'),
      resource('Baseline', 'requests', {
        source: { name: 'nowhere' },
        query: 'sum(rate(requests[5m]))',
        lookback: '2h',
      }),
    ),
  );

  const endsAt = new Date(Date.now() + 3_600_000).toISOString();
  expect(
    (
      await api.post(`/api/teams/${T}/alertmanager/api/v2/alerts`, [
        { labels: { alertname: 'TermsProbe', severity: 'critical' }, endsAt },
      ])
    ).status,
  ).toBe(200);
  const manual = await api.post(`/api/teams/${T}/exceptions`, {
    title: 'NodeNotReady on n1',
    severity: 'major',
    entities: [{ kind: 'Node', name: 'n1', cluster: 'east' }],
  });
  expect(manual.status).toBe(201);
  const exceptionId = (manual.body as { id: string }).id;
  const run = await api.post('/api/jobs/runs', { team: T, template: 'probe', targets: { cluster: 'east' } });
  expect(run.status, JSON.stringify(run.body)).toBe(201);
  const runId = (run.body as { id: string }).id;

  type Status = { observedGeneration?: number; [key: string]: unknown };
  const statusOf = async (path: string) => ((await api.get(team(path))).body as { status?: Status }).status;
  await Promise.all([
    eventually(
      async () =>
        ((await api.get(`/api/teams/${T}/notifications?channel=nowhere`)).body as { items: unknown[] }).items,
      (items) => items.length > 0,
      15_000,
      100,
    ),
    eventually(
      async () =>
        (
          (await api.get(`/api/teams/${T}/exceptions`)).body as {
            items: { title: string; origin?: string }[];
          }
        ).items,
      (items) => items.some((item) => item.title === 'terms probe'),
      15_000,
      100,
    ),
    eventually(
      async () =>
        ((await api.get(`/api/teams/${T}/exceptions/${exceptionId}`)).body as { level?: string }).level,
      (level) => level === 'P4',
      15_000,
      100,
    ),
    eventually(
      async () => (await store.healing.list({ team: T, limit: 10 })).items,
      (items) => items.some((item) => item.policy === 'node-not-ready'),
      15_000,
      100,
    ),
    eventually(
      async () => ((await api.get(`/api/jobs/runs/${runId}`)).body as { state: string }).state,
      (state) => state !== 'Running',
      15_000,
      100,
    ),
    eventually(
      () => statusOf('schedules/nightly'),
      (status) => typeof status?.['nextScheduleTime'] === 'string',
      15_000,
      100,
    ),
    eventually(
      () => statusOf('inspections/nodes'),
      (status) => typeof status?.['lastScheduleTime'] === 'string' && status['lastScheduleTime'] > since,
      15_000,
      100,
    ),
    eventually(
      () => statusOf('baselines/requests'),
      (status) => status?.observedGeneration === 1,
      15_000,
      100,
    ),
  ]);
}

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

      // The loops with leases of their own, and the runtime's other controllers, each doing its job.
      await loopsWork(api);
    },
  );

  it('refuses every fenced record write of a term that is over, changing nothing (inventory, events, correlation, escalation, inspection runs, dispatch log)', async () => {
    const LEASE = 'records-probe';
    const now = Date.now();
    expect(await store.leases.tryAcquire(LEASE, 'x', 1000, now)).toBe(true);
    const x: WriteFence = {
      lease: LEASE,
      holder: 'x',
      transitions: (await store.leases.get(LEASE))!.transitions,
    };
    const node = (name: string) => ({
      cluster: 'probe/c1',
      kind: 'Node',
      namespace: '',
      name,
      uid: name,
      data: {},
    });
    const event = (reason: string) => ({
      team: 'probe',
      cluster: '',
      namespace: '',
      objectKind: 'Cluster',
      objectName: 'c1',
      type: 'Normal' as const,
      reason,
      message: reason,
      actor: 'controller/cluster',
      count: 1,
      firstSeen: new Date(now).toISOString(),
      lastSeen: new Date(now).toISOString(),
    });
    const escalation = {
      team: 'probe',
      exceptionId: 'e1',
      policy: 'default',
      episode: 1,
      episodeStartedAt: now,
      step: 0,
      round: 0,
      state: 'active' as const,
      dueAt: now,
      updatedAt: now,
    };
    const iso = new Date(now).toISOString();
    await store.inventory.apply([{ op: 'upsert', item: node('n1') }], iso, x);
    await store.events.fold([event('Connected')], x);
    await store.correlation.startEscalation(escalation, x);
    const run = await store.risks.startRun(
      {
        team: 'probe',
        inspection: 'nodes',
        trigger: 'schedule',
        slot: iso,
        createdBy: 'probe',
        startedAt: iso,
      },
      x,
    );
    expect(run).toBeDefined();

    // Another server takes the lease: x's term is over.
    expect(await store.leases.tryAcquire(LEASE, 'y', 1000, now + 2000)).toBe(true);
    const refused = (write: Promise<unknown>) => expect(write).rejects.toBeInstanceOf(FencedWriteRefused);
    await refused(store.inventory.apply([{ op: 'upsert', item: node('n2') }], iso, x));
    await refused(store.inventory.replaceKind('probe/c1', 'Node', [], iso, x));
    await refused(store.inventory.deleteCluster('probe/c1', x));
    await refused(store.events.fold([event('Connected'), event('Late')], x));
    await refused(
      store.events.upsert([{ ...event('Seen'), source: 'kubernetes', externalId: 'probe-1' }], x),
    );
    await refused(
      store.correlation.apply(
        { groups: [{ team: 'probe', key: 'k', row: { team: 'probe', key: 'k', data: '{}' } }], members: [] },
        now,
        x,
      ),
    );
    await refused(store.correlation.startEscalation({ ...escalation, episode: 2 }, x));
    await refused(
      store.correlation.moveEscalation('probe', 'e1', escalation, { ...escalation, step: 1 }, now, x),
    );
    await refused(store.correlation.stopEscalation('probe', 'e1', 1, now, x));
    await refused(store.risks.finishRun(run!.id, 'succeeded', iso, [], x));
    await refused(store.risks.failInterrupted(new Date(now + 60_000).toISOString(), iso, x));
    await refused(
      store.alertDispatch.record(
        {
          team: 'probe',
          groupKey: 'g',
          receiver: 'hook',
          sequence: 1,
          firing: [],
          resolved: [],
          flapping: [],
          owed: [],
          sentAt: now,
          expiresAt: now + 60_000,
        },
        x,
      ),
    );
    await refused(
      store.alertDispatch.saveFlap(
        {
          team: 'probe',
          fingerprint: 'f',
          status: 'firing',
          changes: [now],
          flapping: false,
          updatedAt: now,
        },
        x,
      ),
    );

    expect(
      (await store.inventory.list({ kind: 'Node', clusters: ['probe/c1'], limit: 10 })).items,
    ).toHaveLength(1);
    expect(
      (await store.events.query({ teams: ['probe'], limit: 10 })).items.map((e) => [e.reason, e.count]),
    ).toEqual([['Connected', 1]]);
    expect(await store.correlation.getEscalation('probe', 'e1')).toMatchObject({
      episode: 1,
      step: 0,
      state: 'active',
    });
    expect((await store.correlation.loadGroups()).filter((g) => g.team === 'probe')).toEqual([]);
    expect((await store.risks.getRun('probe', run!.id))?.state).toBe('running');
    expect(await store.alertDispatch.list('probe')).toEqual([]);
    expect(await store.alertDispatch.listFlaps('probe')).toEqual([]);
  });

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
        // Y writes once: a later reconcile of its (a resync) would move the resource version checked below.
        if (writes.some((w) => w.by === by && !w.error)) return {};
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
