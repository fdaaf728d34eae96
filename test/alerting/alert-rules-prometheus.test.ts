import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryAlertSink,
  createAlertRuleController,
  createPrometheusQuerier,
  registerAlertRuleAdmission,
  type SeriesState,
} from '@gantry/alerts';
import { ControllerManager, MemoryEventRecorder } from '@gantry/controllers';
import { createCelEngine } from '@gantry/delivery';
import { SYSTEM_PRINCIPAL, SecretCipher, SecretService, type Caller } from '@gantry/identity';
import { KindRegistry, builtinKinds, type AlertRuleStatus } from '@gantry/model';
import { ChangeFeed, ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import { scrapeConfig, startPrometheus, type Started } from '../support/monitoring.ts';

// A real Prometheus (Debian's, behind its own basic auth) scrapes a target this test serves; Gantry's
// evaluator, run by the controller runtime under a lease on PostgreSQL, evaluates a PromQL rule against it
// every second with the password from the secret store: pending → firing → resolved as the target's value
// flips, the same alert carried on by a second server after a leader change, SourceUnauthorized with a
// wrong password, and SourceUnreachable (condition and event) once
// Prometheus is stopped.

const admin: Caller = { principal: SYSTEM_PRINCIPAL, source: 'test' };
const PASSWORD = 'rules-test-password';
// bcrypt of PASSWORD (cost 10), as Prometheus's web config wants it; a test credential, nothing else.
const PASSWORD_HASH = '$2b$10$d6RP9kA7CBMN2z.5eimGqe7C2c.jKI0z7s9eG2E5gmrz8u6XV8LiW';
const basic = (password: string) => `Basic ${Buffer.from(`gantry:${password}`).toString('base64')}`;

let prometheus: Started | undefined;
let prometheusUrl: string;
let target: Server;
let targetPort: number;
let ready = 1;
let database: ScratchDatabase;
let store: Store;
let feed: ChangeFeed;
let resources: ResourceService;
let secrets: SecretService;
let controllers: ControllerManager;
const sink = new MemoryAlertSink();
const events = new MemoryEventRecorder();

async function ruleStatus(): Promise<AlertRuleStatus | undefined> {
  return (await resources.get(admin, 'AlertRule', 'shop', 'checkout-down')).status as
    AlertRuleStatus | undefined;
}
const evaluating = (status: AlertRuleStatus | undefined) =>
  status?.conditions?.find((condition) => condition.type === 'Evaluating');

async function series(): Promise<SeriesState[]> {
  const stored = await store.alertRuleState.get({ kind: 'AlertRule', team: 'shop', name: 'checkout-down' });
  return (stored?.series as SeriesState[] | undefined) ?? [];
}

beforeAll(async () => {
  target = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`# TYPE gantry_rules_test_ready gauge\ngantry_rules_test_ready{service="checkout"} ${ready}\n`);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetPort = (target.address() as AddressInfo).port;

  prometheus = await startPrometheus(
    {
      'prometheus.yml': scrapeConfig('rules-test', [`127.0.0.1:${targetPort}`]),
      'web.yml': `basic_auth_users:\n  gantry: '${PASSWORD_HASH}'\n`,
    },
    {
      args: (dir) => [`--web.config.file=${join(dir, 'web.yml')}`],
      headers: { authorization: basic(PASSWORD) },
    },
  );
  prometheusUrl = prometheus.url;
  // Up once it answers an authenticated query with the target's first sample.
  const querier = createPrometheusQuerier();
  await eventually(
    () =>
      querier.query(
        { url: prometheusUrl, authorization: basic(PASSWORD), timeoutMs: 1000 },
        'gantry_rules_test_ready',
        Date.now(),
      ),
    (outcome) => outcome.ok && outcome.samples.length === 1,
    60_000,
    250,
  );

  database = await createScratchDatabase('gantry_alert_rules');
  store = await Store.open({ url: database.url });
  const kinds = new KindRegistry();
  for (const kind of builtinKinds) kinds.register(kind);
  resources = new ResourceService(kinds, store.resources);
  registerAlertRuleAdmission(resources, createCelEngine());
  secrets = new SecretService(store.secrets, store.audit, new SecretCipher(randomBytes(32)), Date.now);
  feed = new ChangeFeed(store.resources, { pollIntervalMs: 100, batchSize: 500, onError: () => undefined });
  await feed.start();
  resources.onWrite(() => feed.poke());

  await resources.create(admin, 'Team', undefined, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name: 'shop' },
    spec: { members: [] },
  });
  await secrets.put(admin, 'shop', 'prometheus-auth', { password: PASSWORD });
  await resources.create(admin, 'MetricsSource', 'shop', {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'MetricsSource',
    metadata: { name: 'prometheus' },
    spec: {
      url: prometheusUrl,
      auth: { basic: { username: 'gantry', password: { name: 'prometheus-auth', key: 'password' } } },
      timeoutSeconds: 2,
    },
  });
  await resources.create(admin, 'AlertRule', 'shop', {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'AlertRule',
    metadata: { name: 'checkout-down' },
    spec: {
      promql: { expr: 'gantry_rules_test_ready == 0', source: { name: 'prometheus' } },
      interval: '1s',
      for: '3s',
      severity: 'critical',
      labels: { service: '${labels.service}-svc' },
      annotations: { summary: '${labels.service} is not ready (value ${string(value)})' },
    },
  });

  controllers = await startEvaluator('server-a');
});

/** A server's controller runtime with the AlertRule evaluator, campaigning for its lease as `holder`. */
async function startEvaluator(holder: string): Promise<ControllerManager> {
  const manager = new ControllerManager(
    { changes: feed, objects: store.resources, leases: store.leases },
    { holder, leaseDurationMs: 15_000, logger: pino({ level: 'silent' }) },
  ).register(
    createAlertRuleController(
      'AlertRule',
      {
        resources,
        repository: store.resources,
        inventory: store.inventory,
        secrets,
        state: store.alertRuleState,
        sink,
        recorder: events,
      },
      { externalUrl: 'http://gantry.test' },
    ),
  );
  await manager.start();
  return manager;
}

afterAll(async () => {
  await controllers?.stop();
  await feed?.stop();
  await store?.close();
  await database?.drop();
  await prometheus?.stop();
  target?.closeAllConnections();
  await new Promise((resolve) => target?.close(resolve));
});

describe('a PromQL rule against a real Prometheus', () => {
  it('evaluates quietly while the condition does not hold', async () => {
    const status = await eventually(ruleStatus, (s) => evaluating(s)?.reason === 'Evaluated', 20_000);
    expect(status?.alerts).toEqual({ pending: 0, firing: 0 });
    expect(sink.posts).toEqual([]);
  });

  it('goes pending, fires after `for`, and resolves when the target recovers', async () => {
    ready = 0;
    await eventually(ruleStatus, (s) => s?.alerts?.pending === 1, 20_000, 50);
    expect(sink.posts).toEqual([]); // pending alerts are not posted

    await eventually(
      async () => sink.last('shop'),
      (alerts) => alerts.length === 1,
      20_000,
      50,
    );
    const [firing] = sink.last('shop');
    expect(firing).toMatchObject({
      labels: {
        alertname: 'checkout-down',
        service: 'checkout-svc',
        job: 'rules-test',
        instance: `127.0.0.1:${targetPort}`,
        severity: 'critical',
        team: 'shop',
      },
      // Annotations see the alert's labels, the rule's templated ones included.
      annotations: { summary: 'checkout-svc is not ready (value 0)' },
      generatorURL: 'http://gantry.test/apis/gantry.dev/v1alpha1/teams/shop/alertrules/checkout-down',
    });
    const [state] = await series();
    expect(state?.phase).toBe('firing');
    expect(state!.firedAt! - state!.activeAt).toBeGreaterThanOrEqual(3000);
    expect(Date.parse(firing!.startsAt)).toBe(state!.firedAt);
    // Valid for four intervals past the evaluation that posted it.
    const validFor = Date.parse(firing!.endsAt) - Date.now();
    expect(validFor).toBeGreaterThan(1000);
    expect(validFor).toBeLessThanOrEqual(4000);
    expect((await ruleStatus())?.alerts).toEqual({ pending: 0, firing: 1 });

    ready = 1;
    const resolved = await eventually(
      async () => sink.last('shop'),
      (alerts) => alerts.length === 1 && Date.parse(alerts[0]!.endsAt) <= Date.now(),
      20_000,
      50,
    );
    const [after] = await series();
    expect(after?.phase).toBe('resolved');
    expect(resolved[0]).toMatchObject({
      startsAt: firing!.startsAt,
      endsAt: new Date(after!.resolvedAt!).toISOString(),
    });
    await eventually(ruleStatus, (s) => s?.alerts?.firing === 0, 10_000);
  });

  it('carries on after a leader change: the alert keeps firing with its startsAt, then resolves', async () => {
    ready = 0;
    const firing = await eventually(
      async () => sink.last('shop'),
      (alerts) => alerts.length === 1 && Date.parse(alerts[0]!.endsAt) > Date.now(),
      20_000,
      50,
    );
    // Server A stops (releasing its lease); server B takes over with nothing in memory.
    await controllers.stop();
    sink.clear();
    controllers = await startEvaluator('server-b');
    await eventually(
      async () => sink.last('shop'),
      (alerts) => alerts.length === 1,
      20_000,
      50,
    );
    expect(controllers.leading()).toEqual(['alert-rule']);
    expect(sink.last('shop')[0]).toMatchObject({ startsAt: firing[0]!.startsAt });
    expect(Date.parse(sink.last('shop')[0]!.endsAt)).toBeGreaterThan(Date.now());

    ready = 1;
    await eventually(
      async () => sink.last('shop'),
      (alerts) => alerts.length === 1 && Date.parse(alerts[0]!.endsAt) <= Date.now(),
      20_000,
      50,
    );
  });

  it('says SourceUnauthorized when the secret holds a wrong password, and recovers with the right one', async () => {
    await secrets.put(admin, 'shop', 'prometheus-auth', { password: 'not-the-password' });
    const refused = await eventually(
      ruleStatus,
      (s) => evaluating(s)?.reason === 'SourceUnauthorized',
      20_000,
      50,
    );
    expect(evaluating(refused)).toMatchObject({ status: 'False' });
    expect(evaluating(refused)?.message).not.toContain('not-the-password');
    await secrets.put(admin, 'shop', 'prometheus-auth', { password: PASSWORD });
    await eventually(ruleStatus, (s) => evaluating(s)?.reason === 'Evaluated', 20_000, 50);
    expect(events.reasons()).toEqual(['SourceUnauthorized', 'EvaluationRecovered']);
  });

  it('reports a stopped Prometheus as SourceUnreachable, a condition and a warning event, and keeps running', async () => {
    await prometheus!.stop();
    const down = await eventually(
      ruleStatus,
      (s) => evaluating(s)?.reason === 'SourceUnreachable',
      20_000,
      50,
    );
    expect(evaluating(down)).toMatchObject({
      status: 'False',
      message: expect.stringContaining(prometheusUrl),
    });
    expect(events.events.at(-1)).toMatchObject({
      type: 'Warning',
      reason: 'SourceUnreachable',
      regarding: { kind: 'AlertRule', team: 'shop', name: 'checkout-down' },
      actor: 'controller/alert-rule',
    });
    expect(controllers.leading()).toEqual(['alert-rule']);
  });
});
