import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookMessage } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startPrometheus, type Started } from '../support/monitoring.ts';

/**
 * End to end, as an SRE team would run it: a real Prometheus scrapes a target this test serves, a rule
 * fires, Prometheus posts to Gantry (listed in its `alerting.alertmanagers`), Gantry routes and groups the
 * alert and notifies a webhook receiver in Alertmanager's v4 payload; the target recovers and the resolve
 * arrives the same way.
 */
describe('Prometheus → Gantry → a webhook receiver', () => {
  let gantry: TestServer;
  let prometheus: Started;
  let target: Server;
  let receiver: Server;
  let value = 1;
  const received: WebhookMessage[] = [];

  beforeAll(async () => {
    target = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE gantry_e2e_value gauge\ngantry_e2e_value{node="worker-3"} ${value}\n`);
    });
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(JSON.parse(body) as WebhookMessage);
        response.writeHead(200).end();
      });
    });
    const port = async (server: Server) => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      return typeof address === 'object' && address ? address.port : 0;
    };
    const targetPort = await port(target);
    const receiverPort = await port(receiver);

    gantry = await startTestServer();
    const admin = client(gantry.url, gantry.adminToken);
    expect((await admin.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    expect(
      (
        await admin.post(`${BASE}/teams/ops/notificationchannels`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'NotificationChannel',
          metadata: { name: 'oncall', team: 'ops' },
          spec: { type: 'webhook', webhook: { url: `http://127.0.0.1:${receiverPort}/alerts` } },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await admin.post(`${BASE}/teams/ops/alertroutings`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'AlertRouting',
          metadata: { name: 'main', team: 'ops' },
          spec: {
            receivers: ['oncall'],
            groupBy: ['alertname', 'cluster'],
            groupWait: '1s',
            groupInterval: '1s',
          },
        })
      ).status,
    ).toBe(201);
    const token = (await admin.post('/api/tokens', { name: 'prometheus' })).body.token as string;
    prometheus = await startPrometheus({
      token,
      'prometheus.yml': `
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - path_prefix: /api/teams/ops/alertmanager
      authorization: {credentials_file: token}
      static_configs: [{targets: ['${new URL(gantry.url).host}']}]
scrape_configs:
  - job_name: e2e-target
    static_configs: [{targets: ['127.0.0.1:${targetPort}'], labels: {cluster: prod-1}}]
`,
      'rules.yml': `
groups:
  - name: e2e
    rules:
      - alert: E2EValueHigh
        expr: gantry_e2e_value > 0
        labels: {severity: page}
        annotations: {summary: 'value {{ $value }} on {{ $labels.node }}'}
`,
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await gantry?.close();
    await new Promise((resolve) => target?.close(resolve));
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const ours = () => received.filter((m) => m.groupLabels['alertname'] === 'E2EValueHigh');

  it('notifies the firing alert, grouped as the routing says', async () => {
    const [message] = await eventually(
      async () => ours(),
      (found) => found.length > 0,
      60_000,
      100,
    );
    expect(message).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'oncall',
      groupLabels: { alertname: 'E2EValueHigh', cluster: 'prod-1' },
    });
    expect(message!.alerts).toMatchObject([
      {
        status: 'firing',
        labels: { alertname: 'E2EValueHigh', node: 'worker-3', severity: 'page', job: 'e2e-target' },
        annotations: { summary: 'value 1 on worker-3' },
      },
    ]);
    expect(message!.alerts[0]!.generatorURL).toContain('/graph?');
  });

  it('notifies the resolve when the target recovers', async () => {
    value = 0;
    const resolved = await eventually(
      async () => ours().filter((m) => m.status === 'resolved'),
      (found) => found.length > 0,
      60_000,
      100,
    );
    expect(resolved[0]!.alerts).toMatchObject([{ status: 'resolved', labels: { node: 'worker-3' } }]);
  });
});
