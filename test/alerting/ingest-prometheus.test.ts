import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord, GettableAlert } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startAlertmanager, startPrometheus, type Started } from '../support/monitoring.ts';

/**
 * A real Prometheus lists Gantry (per-team path, bearer token) and a real Alertmanager 0.25 as its
 * alertmanagers; a rule fires on a target this test serves. Gantry stores the alert with the fingerprint
 * Alertmanager itself reports, and the resolve when the target recovers.
 */
describe('Prometheus posts to Gantry', () => {
  let gantry: TestServer;
  let alertmanager: Started;
  let prometheus: Started;
  let target: Server;
  let value = 1;
  let token: string;

  beforeAll(async () => {
    target = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE gantry_test_value gauge\ngantry_test_value{node="worker-7"} ${value}\n`);
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const address = target.address();
    const targetPort = typeof address === 'object' && address ? address.port : 0;

    gantry = await startTestServer();
    const admin = client(gantry.url, gantry.adminToken);
    expect(
      (await admin.post('/api/users', { username: 'prometheus', password: 'prometheus-pw-1' })).status,
    ).toBe(201);
    expect(
      (await admin.post(`${BASE}/teams`, team('ops', [{ user: 'prometheus', role: 'operator' }]))).status,
    ).toBe(201);
    const session = await client(gantry.url).post('/api/auth/login', {
      username: 'prometheus',
      password: 'prometheus-pw-1',
    });
    const created = await client(gantry.url, session.body.token).post('/api/tokens', { name: 'prometheus' });
    expect(created.status).toBe(201);
    token = created.body.token;

    alertmanager = await startAlertmanager();
    const gantryHost = new URL(gantry.url).host;
    const amHost = new URL(alertmanager.url).host;
    prometheus = await startPrometheus({
      token: token,
      'prometheus.yml': `
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - path_prefix: /api/teams/ops/alertmanager
      authorization: {credentials_file: token}
      static_configs: [{targets: ['${gantryHost}']}]
    - static_configs: [{targets: ['${amHost}']}]
scrape_configs:
  - job_name: test-target
    static_configs: [{targets: ['127.0.0.1:${targetPort}'], labels: {cluster: prod-1, namespace: kafka}}]
`,
      'rules.yml': `
groups:
  - name: test
    rules:
      - alert: TestValueHigh
        expr: gantry_test_value > 0
        labels: {severity: page, app_gantry_dev_name: broker}
        annotations: {summary: 'value is {{ $value }} on {{ $labels.node }}'}
`,
    });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await gantry?.close();
    await new Promise((resolve) => target?.close(resolve));
  });

  const gantryAlerts = async () =>
    (await client(gantry.url, token).get('/api/teams/ops/alerts')).body.items as AlertRecord[];
  const amAlerts = async () =>
    (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as GettableAlert[];

  it('stores the firing alert with its entities and Alertmanager’s fingerprint', async () => {
    const [stored] = await eventually(gantryAlerts, (items) => items.length === 1, 60_000, 250);
    const [reference] = await eventually(amAlerts, (items) => items.length === 1, 60_000, 250);
    expect(stored).toMatchObject({
      team: 'ops',
      source: 'prometheus',
      state: 'firing',
      labels: { alertname: 'TestValueHigh', severity: 'page', node: 'worker-7', job: 'test-target' },
      annotations: { summary: 'value is 1 on worker-7' },
      entities: { cluster: 'prod-1', namespace: 'kafka', node: 'worker-7', application: 'broker' },
    });
    expect(stored!.generatorURL).toContain('/graph?');
    expect(stored!.labels).toEqual(reference!.labels);
    expect(stored!.fingerprint).toBe(reference!.fingerprint);
    expect(stored!.startsAt).toBe(new Date(reference!.startsAt).toISOString());
  });

  it('computes the fingerprint Alertmanager computes for any label set, Unicode included', async () => {
    const sets = [
      { alertname: 'Ünïcødé', zone: '日本', emoji: '🔥' },
      { alertname: 'Many', a: '1', b: '2', c: '3', z: '' },
      { alertname: 'Long', value: 'x'.repeat(3000) },
    ];
    for (const labels of sets) {
      const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ labels }]),
      });
      expect(posted.status).toBe(200);
      expect(
        (await client(gantry.url, token).post('/api/teams/ops/alertmanager/api/v2/alerts', [{ labels }]))
          .status,
      ).toBe(200);
    }
    const am = await eventually(amAlerts, (items) => items.length === 4, 10_000, 100);
    const ours = await gantryAlerts();
    for (const labels of sets) {
      const reference = am.find((a) => a.labels.alertname === labels.alertname);
      const stored = ours.find((a) => a.labels.alertname === labels.alertname);
      expect(reference, labels.alertname).toBeDefined();
      expect(stored?.fingerprint, labels.alertname).toBe(reference!.fingerprint);
    }
  });

  it('keeps the later given endsAt of an alert two replicas post (HA), as Alertmanager does', async () => {
    const now = Date.now();
    const labels = { alertname: 'Replicated', instance: 'db-3' };
    const startsAt = new Date(now - 60_000).toISOString();
    // The replica with the later endsAt first, then the other: Alertmanager keeps the later one.
    for (const endsAt of [now + 4 * 60_000, now + 3 * 60_000]) {
      const body = [{ labels, startsAt, endsAt: new Date(endsAt).toISOString() }];
      const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(posted.status).toBe(200);
      expect(
        (await client(gantry.url, token).post('/api/teams/ops/alertmanager/api/v2/alerts', body)).status,
      ).toBe(200);
    }
    const am = await eventually(amAlerts, (items) => items.some((a) => a.labels.alertname === 'Replicated'));
    const reference = am.find((a) => a.labels.alertname === 'Replicated')!;
    const stored = (await gantryAlerts()).find((a) => a.labels.alertname === 'Replicated');
    console.log('DBG', JSON.stringify(stored), reference.endsAt, new Date(now).toISOString());
    expect(Date.parse(reference.endsAt)).toBe(now + 4 * 60_000);
    expect(stored?.endsAt).toBe(new Date(reference.endsAt).toISOString());
  });

  it('stores the resolve Prometheus sends when the target recovers', async () => {
    value = 0;
    const items = await eventually(
      gantryAlerts,
      (found) => found.find((a) => a.labels.alertname === 'TestValueHigh')?.state === 'resolved',
      60_000,
      250,
    );
    const resolved = items.find((a) => a.labels.alertname === 'TestValueHigh')!;
    expect(Date.parse(resolved.endsAt)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(resolved.endsAt)).toBeGreaterThan(Date.parse(resolved.startsAt));
  });
});
