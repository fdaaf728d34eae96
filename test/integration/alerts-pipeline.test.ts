import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookMessage } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * The alert pipeline end to end in one server on SQLite: alerts posted to the Alertmanager API are stored,
 * routed by the team's AlertRouting, grouped, handed to the notification outbox and posted to a webhook
 * receiver this test serves, in Alertmanager's v4 payload; a resolve follows, also for an alert silenced
 * after it was notified (Gantry's difference from Alertmanager, prometheus/alertmanager#226).
 */
describe('the alert pipeline', () => {
  let gantry: TestServer;
  let receiver: Server;
  const received: WebhookMessage[] = [];
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(JSON.parse(body) as WebhookMessage);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    gantry = await startTestServer();
    api = client(gantry.url, gantry.adminToken);
    expect((await api.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    const channel = await api.post(`${BASE}/teams/ops/notificationchannels`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'NotificationChannel',
      metadata: { name: 'hook', team: 'ops' },
      spec: { type: 'webhook', webhook: { url: `http://127.0.0.1:${port}/hook` } },
    });
    expect(channel.status).toBe(201);
    const routing = await api.post(`${BASE}/teams/ops/alertroutings`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'AlertRouting',
      metadata: { name: 'main', team: 'ops' },
      spec: {
        receivers: ['hook'],
        groupBy: ['alertname'],
        groupWait: '200ms',
        groupInterval: '500ms',
        repeatInterval: '1h',
      },
    });
    expect(routing.status).toBe(201);
  });

  afterAll(async () => {
    await gantry?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const post = (alerts: unknown[]) => api.post('/api/teams/ops/alertmanager/api/v2/alerts', alerts);
  const messages = (alertname: string) => received.filter((m) => m.groupLabels['alertname'] === alertname);

  it('groups alerts by the routing and posts one v4 message for the group', async () => {
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    expect(
      (
        await post([
          { labels: { alertname: 'DiskFull', node: 'n1' }, annotations: { summary: 'n1 full' }, endsAt },
          { labels: { alertname: 'DiskFull', node: 'n2' }, annotations: { summary: 'n2 full' }, endsAt },
        ])
      ).status,
    ).toBe(200);
    const [message] = await eventually(
      async () => messages('DiskFull'),
      (found) => found.length >= 1,
    );
    expect(message).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'hook',
      groupLabels: { alertname: 'DiskFull' },
      commonLabels: { alertname: 'DiskFull' },
      externalURL: gantry.url,
    });
    expect(message!.alerts.map((alert) => [alert.labels['node'], alert.status])).toEqual([
      ['n1', 'firing'],
      ['n2', 'firing'],
    ]);
    // The delivery log has it, delivered, with its attempt.
    const log = await eventually(
      async () => (await api.get('/api/teams/ops/notifications?channel=hook')).body.items,
      (items: { state: string }[]) => items.some((item) => item.state === 'delivered'),
    );
    expect(log.length).toBeGreaterThanOrEqual(1);
  });

  it('delivers the resolve of an alert that was notified and silenced since', async () => {
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const labels = { alertname: 'BrokerDown', broker: 'b1' };
    expect((await post([{ labels, endsAt }])).status).toBe(200);
    await eventually(
      async () => messages('BrokerDown'),
      (found) => found.some((m) => m.status === 'firing'),
    );
    const silence = await api.post('/api/teams/ops/alertmanager/api/v2/silences', {
      matchers: [{ name: 'alertname', value: 'BrokerDown', isRegex: false, isEqual: true }],
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      createdBy: 'test',
      comment: 'maintenance',
    });
    expect(silence.status).toBe(200);
    expect((await post([{ labels, endsAt: new Date().toISOString() }])).status).toBe(200);
    const resolved = await eventually(
      async () => messages('BrokerDown').filter((m) => m.status === 'resolved'),
      (found) => found.length === 1,
    );
    expect(resolved[0]!.alerts).toMatchObject([{ status: 'resolved', labels }]);
  });
});
