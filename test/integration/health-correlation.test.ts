import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@gantry/controllers';
import { createCelEngine } from '@gantry/delivery';
import { createHealthCorrelation, MemoryExceptions, type HealthCorrelation } from '@gantry/health';
import type { WebhookMessage } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Correlation and escalation end to end against real parts: alerts posted to the real ingest
 * (`POST /api/v2/alerts`), node records in the store's fleet inventory, the correlation runner and the
 * escalator (`createHealthCorrelation`, as the server wires them) over the server's store and outbox, the in-memory exception port, and a real
 * webhook NotificationChannel posting to a receiver this test serves on 127.0.0.1. A storm of node alerts
 * of one rack is one exception and one first notification; the second step follows while it is not
 * acknowledged. Invalid CEL in a CorrelationRule is refused at apply time with its path.
 */
describe('health correlation and escalation', () => {
  let gantry: TestServer;
  let receiver: Server;
  const received: { at: number; message: WebhookMessage }[] = [];
  let api: ReturnType<typeof client>;
  let health: HealthCorrelation;
  const exceptions = new MemoryExceptions();
  const errors: unknown[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ at: Date.now(), message: JSON.parse(body) as WebhookMessage });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    gantry = await startTestServer();
    api = client(gantry.url, gantry.adminToken);
    expect((await api.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    expect(
      (
        await api.post(`${BASE}/teams/ops/notificationchannels`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'NotificationChannel',
          metadata: { name: 'hook', team: 'ops' },
          spec: { type: 'webhook', webhook: { url: `http://127.0.0.1:${port}/hook` } },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api.post(`${BASE}/teams/ops/escalationpolicies`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'EscalationPolicy',
          metadata: { name: 'default', team: 'ops' },
          spec: {
            steps: [
              { delay: '0s', channels: ['hook'] },
              { delay: '1500ms', channels: ['hook'] },
            ],
          },
        })
      ).status,
    ).toBe(201);

    // 30 nodes of cluster c1 in rack r1, as the fleet inventory records them (a team's cluster `team/name`).
    const store = gantry.server.store;
    await store.inventory.apply(
      Array.from({ length: 30 }, (_, i) => ({
        op: 'upsert' as const,
        item: {
          cluster: 'ops/c1',
          kind: 'Node',
          namespace: '',
          name: `worker-${i}`,
          uid: `uid-${i}`,
          data: { labels: { 'topology.kubernetes.io/zone': 'z1', 'topology.gantry.dev/rack': 'r1' } },
        },
      })),
      new Date().toISOString(),
    );

    health = createHealthCorrelation(
      {
        store,
        port: exceptions,
        reader: exceptions,
        notifications: gantry.server.notifications,
        subscribe: () => () => undefined,
        cel: createCelEngine(),
        clock: systemClock(),
        externalUrl: gantry.url,
        onError: (error) => errors.push(error),
      },
      { groupWaitMs: 1_000, rackLabel: 'topology.gantry.dev/rack', defaultPolicy: 'default' },
    );
    await health.start();
  });

  afterAll(async () => {
    await health?.stop();
    await gantry?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('refuses a CorrelationRule with invalid CEL at apply time, naming the path and the expression', async () => {
    const reply = await api.post(`${BASE}/teams/ops/correlationrules`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'CorrelationRule',
      metadata: { name: 'broken', team: 'ops' },
      spec: {
        match: 'labels.alertname ==',
        groupBy: [{ name: 'row', cel: 'labels.node.substring(' }],
        title: 'x',
      },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('GANTRY_E_INVALID');
    const details = reply.body.details as { path: string; message: string }[];
    expect(details.map((d) => d.path)).toEqual(['/spec/match', '/spec/groupBy/0/cel']);
    expect(details[0]!.message).toContain('labels.alertname ==');
    expect((await api.get(`${BASE}/teams/ops/correlationrules/broken`)).status).toBe(404);
  });

  it('turns a storm of one rack into one exception, one first notification, then the next step', async () => {
    const endsAt = new Date(Date.now() + 3_600_000).toISOString();
    const postedAt = Date.now();
    for (let batch = 0; batch < 3; batch++) {
      const alerts = Array.from({ length: 10 }, (_, j) => {
        const node = `worker-${batch * 10 + j}`;
        return ['NodeNotReady', 'KubeletDown'].map((alertname) => ({
          labels: { alertname, team: 'ops', cluster: 'c1', node, severity: 'critical' },
          annotations: { summary: `${node} is down` },
          endsAt,
        }));
      }).flat();
      expect((await api.post('/api/v2/alerts', alerts)).status).toBe(200);
    }
    const [first] = await eventually(
      () => Promise.resolve(received),
      (found) => found.length >= 1,
    );
    expect(exceptions.exceptions).toHaveLength(1);
    const [exception] = exceptions.exceptions;
    expect(exception!.correlationKey).toBe('topology/rack/z1/r1');
    expect(exception!.alerts.size).toBe(60);
    expect(first!.message).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'hook',
      groupKey: `health/ops/${exception!.id}`,
      commonLabels: {
        alertname: 'GantryException',
        exception: exception!.id,
        severity: 'critical',
        cluster: 'c1',
      },
      commonAnnotations: {
        title: 'Rack r1 (zone z1): NodeNotReady, KubeletDown on 30 nodes',
        escalation: 'step 1',
      },
    });
    // The first notification came after the group wait (1 s), well within a second more.
    expect(first!.at - postedAt).toBeLessThan(2_000 + 1_000);

    const both = await eventually(
      () => Promise.resolve(received),
      (found) => found.length >= 2,
    );
    expect(both.map((r) => r.message.commonAnnotations['escalation'])).toEqual(['step 1', 'step 2']);
    expect(exception!.timeline.map((a) => a.type)).toEqual(['notification', 'escalation']);

    // Acknowledged: nothing more; the policy has no third step either, and nothing is sent twice.
    exceptions.acknowledge('ops', exception!.id, new Date());
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(received).toHaveLength(2);
    expect(exceptions.exceptions).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
