import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaos, startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import type {
  AlertList,
  AlertRuleStatus,
  ExceptionList,
  ExceptionRecord,
  ExceptionTimeline,
  HealthStats,
  InventoryNode,
} from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * The health center end to end on real parts: a rack of kwok nodes of a test-bed cluster goes NotReady
 * (kwok's node chaos stage) → the fleet inventory sees it through Gantry's watch of the cluster → Gantry's
 * own AlertRule (CEL over nodes) fires one alert per node into the ingest → correlation holds them for the
 * group wait and folds them, by the rack label the fleet inventory carries for each node, into ONE
 * exception whose reason names the rack → ONE notification to the first step's webhook channel → the
 * EscalationPolicy's next step after its delay, not acknowledged → a failure at P4 once the exception has
 * lasted 10 minutes → the team's statistics count it once. The other rack's nodes stay Ready and join
 * nothing.
 *
 * Time is the server's injected clock (`now`), moved forward instead of waited for: the group wait, the
 * escalation delay and the 10 minutes. Timers stay on the wall clock, so the loops that act on the moved
 * time (correlation's and escalation's 5 s polls, the failure check every second) do so within seconds.
 * The AlertRule is applied once the rack is down, with a 5-minute interval: its first evaluation fires
 * at once (`for` 0s), and a firing rule alert is valid for four intervals, so one evaluation keeps the
 * alerts firing across every jump of the clock (the next one is five wall-clock minutes away).
 */

const MIN = 60_000;
const GROUP_WAIT_MS = 30_000;
const ESCALATION_DELAY_MS = 5 * MIN;
/** Not the default label: the server's GANTRY_HEALTH_RACK_LABEL must reach correlation. */
const RACK_LABEL = 'dc.example.com/rack';
const ZONE_LABEL = 'topology.kubernetes.io/zone';

describe('health center on the test bed: a rack goes NotReady', () => {
  let bed: Testbed;
  let east: TestbedCluster;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  let receiver: WebhookReceiver;
  /** How far the server's clock is ahead of the wall clock. */
  let offset = 0;
  let zone: string;
  let rackR1: string[];
  let rackR2: string[];
  let exception: ExceptionRecord;
  /** The rule's alerts, one per node of rack r1. */
  let fingerprints: string[];

  const serverNow = () => Date.now() + offset;
  /** Moves the server's clock forward to `at` (server time). */
  const advanceTo = (at: number) => {
    expect(at).toBeGreaterThan(serverNow());
    offset += at - serverNow();
  };
  const nodes = async () =>
    ((await api.get('/api/inventory/nodes?team=sre&cluster=east')).body as { items: InventoryNode[] }).items;
  const exceptions = async () => ((await api.get('/api/teams/sre/exceptions')).body as ExceptionList).items;

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 1, nodes: 6, progress: true });
    [east] = bed.clusters as [TestbedCluster];
    receiver = await startWebhookReceiver();
    server = await startTestServer({
      now: serverNow,
      config: { failureCheckSeconds: 1, healthRackLabel: RACK_LABEL },
    });
    api = client(server.url, server.adminToken);

    // Two racks of three nodes in one zone of the cluster's region (the test bed spreads its nodes over
    // three zones; a rack stands in one).
    const names = (await east.client.get<{ items: { metadata: { name: string } }[] }>('/api/v1/nodes')).items
      .map((n) => n.metadata.name)
      .sort();
    expect(names).toHaveLength(6);
    rackR1 = names.slice(0, 3);
    rackR2 = names.slice(3);
    zone = `${east.region}a`;
    for (const [rack, members] of [
      ['r1', rackR1],
      ['r2', rackR2],
    ] as const)
      for (const node of members)
        await east.client.patch(`/api/v1/nodes/${node}`, {
          metadata: { labels: { [RACK_LABEL]: rack, [ZONE_LABEL]: zone } },
        });

    expect((await api.post(`${BASE}/teams`, team('sre'))).status).toBe(201);
    expect(
      (await api.put('/api/teams/sre/secrets/east-kubeconfig', { data: { kubeconfig: east.kubeconfig } }))
        .status,
    ).toBe(200);
    const create = async (plural: string, kind: string, name: string, spec: unknown) =>
      expect(
        (
          await api.post(`${BASE}/teams/sre/${plural}`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind,
            metadata: { name },
            spec,
          })
        ).status,
      ).toBe(201);
    await create('clusters', 'Cluster', 'east', { kubeconfigSecret: { name: 'east-kubeconfig' } });
    await create('notificationchannels', 'NotificationChannel', 'oncall', {
      type: 'webhook',
      webhook: { url: `${receiver.url}/oncall` },
    });
    await create('notificationchannels', 'NotificationChannel', 'lead', {
      type: 'webhook',
      webhook: { url: `${receiver.url}/lead` },
    });
    // The team's `default` policy (GANTRY_HEALTH_ESCALATION_POLICY): on-call at once, the lead 5 min later.
    await create('escalationpolicies', 'EscalationPolicy', 'default', {
      steps: [
        { delay: '0s', channels: ['oncall'] },
        { delay: '5m', channels: ['lead'] },
      ],
    });

    // The fleet inventory has every node, Ready, with its rack as the node's label says.
    const expected = JSON.stringify([
      ...rackR1.map((name) => [name, true, 'r1', zone]),
      ...rackR2.map((name) => [name, true, 'r2', zone]),
    ]);
    await eventually(
      async () =>
        JSON.stringify(
          (await nodes())
            .map((n) => [n.name, n.ready, n.labels[RACK_LABEL], n.labels[ZONE_LABEL]])
            .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        ),
      (seen) => seen === expected,
      60_000,
      250,
    );
  }, 900_000);

  afterAll(async () => {
    await server?.close();
    await receiver?.close();
    await bed?.stop();
  });

  it("fires Gantry's node rule once per NotReady node of the rack, and for no node of the other rack", async () => {
    for (const node of rackR1)
      await chaos.makeNodeNotReady(east.client, node, {
        reason: 'PowerLost',
        message: 'rack r1 PDU tripped',
      });
    await expect
      .poll(
        async () =>
          (await nodes())
            .filter((n) => !n.ready)
            .map((n) => n.name)
            .sort(),
        {
          timeout: 60_000,
          interval: 250,
        },
      )
      .toEqual(rackR1);

    expect(
      (
        await api.post(`${BASE}/teams/sre/alertrules`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'AlertRule',
          metadata: { name: 'node-not-ready' },
          spec: {
            cel: { over: 'nodes', condition: '!node.ready' },
            interval: '5m',
            severity: 'critical',
            annotations: { summary: 'Node ${labels.node} in cluster ${labels.cluster} is not Ready' },
          },
        })
      ).status,
    ).toBe(201);

    const alerts = await eventually(
      async () => ((await api.get('/api/teams/sre/alerts')).body as AlertList).items,
      (items) => items.length >= 3,
      20_000,
      250,
    );
    expect(alerts.map((a) => a.labels.node).sort()).toEqual(rackR1);
    fingerprints = alerts.map((a) => a.fingerprint).sort();
    for (const alert of alerts) {
      expect(alert).toMatchObject({
        state: 'firing',
        source: 'gantry-rule',
        labels: { alertname: 'node-not-ready', team: 'sre', cluster: 'east', severity: 'critical' },
        entities: { cluster: 'east', node: alert.labels.node },
      });
    }
    await expect
      .poll(
        async () =>
          (
            (await api.get(`${BASE}/teams/sre/alertrules/node-not-ready`)).body as {
              status?: AlertRuleStatus;
            }
          ).status?.alerts,
        { timeout: 10_000, interval: 250 },
      )
      .toEqual({ pending: 0, firing: 3 });

    // Held for the group wait: no exception yet, so nobody has been told.
    expect(await exceptions()).toEqual([]);
    expect(receiver.received).toEqual([]);
  });

  it('folds the rack’s alerts into one exception after the group wait, its reason naming the rack', async () => {
    const firstStart = Math.min(
      ...((await api.get('/api/teams/sre/alerts')).body as AlertList).items.map((a) =>
        Date.parse(a.startsAt),
      ),
    );
    advanceTo(firstStart + GROUP_WAIT_MS + 1_000);
    const opened = await eventually(exceptions, (items) => items.length > 0, 20_000, 250);
    expect(opened).toHaveLength(1);
    exception = opened[0]!;
    expect(exception).toMatchObject({
      team: 'sre',
      state: 'open',
      severity: 'critical',
      title: `Rack r1 (zone ${zone}): node-not-ready on 3 nodes`,
      correlationKey: `topology/rack/${zone}/r1`,
      correlationReason: {
        rule: 'topology',
        ruleKind: 'Topology',
        shared: { domain: 'rack', zone, rack: 'r1' },
      },
      alertCount: 3,
      firingAlertCount: 3,
    });
    expect(exception.level).toBeUndefined();
    expect(Date.parse(exception.openedAt)).toBeGreaterThanOrEqual(firstStart + GROUP_WAIT_MS);
    const nodesOf = exception.entities.filter((e) => e.kind === 'Node');
    expect(nodesOf.map((e) => e.name).sort()).toEqual(rackR1);
    expect(nodesOf.every((e) => e.cluster === 'east')).toBe(true);
    expect(exception.entities.filter((e) => e.kind === 'Cluster')).toEqual([
      { kind: 'Cluster', name: 'east' },
    ]);
    for (const node of rackR2) expect(JSON.stringify(exception.entities)).not.toContain(node);
    // As the node pages ask: a node of rack r1 has the exception, a node of rack r2 none.
    const of = async (node: string) =>
      ((await api.get(`/api/teams/sre/exceptions?entity=Node/${node}&cluster=east`)).body as ExceptionList)
        .items;
    expect((await of(rackR1[0]!)).map((e) => e.id)).toEqual([exception.id]);
    expect(await of(rackR2[0]!)).toEqual([]);
  });

  it('notifies the first step once, then the next step after its delay while nobody acknowledges', async () => {
    await expect.poll(() => receiver.received.length, { timeout: 20_000, interval: 100 }).toBe(1);
    const [first] = receiver.received;
    expect(first!.path).toBe('/oncall');
    expect(first!.message).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'oncall',
      groupKey: `health/sre/${exception.id}`,
      commonLabels: {
        alertname: 'GantryException',
        exception: exception.id,
        team: 'sre',
        severity: 'critical',
        cluster: 'east',
      },
      commonAnnotations: {
        title: exception.title,
        state: 'open',
        escalation: 'step 1',
        correlation_key: `topology/rack/${zone}/r1`,
      },
    });
    expect(first!.message.alerts).toHaveLength(1);
    for (const node of rackR1) expect(first!.message.commonAnnotations['entities']).toContain(node);

    advanceTo(Date.parse(exception.openedAt) + ESCALATION_DELAY_MS + 1_000);
    await expect.poll(() => receiver.received.length, { timeout: 20_000, interval: 100 }).toBe(2);
    const second = receiver.received[1]!;
    expect(second.path).toBe('/lead');
    expect(second.message).toMatchObject({
      receiver: 'lead',
      groupKey: `health/sre/${exception.id}`,
      commonLabels: { alertname: 'GantryException', exception: exception.id },
      commonAnnotations: { escalation: 'step 2', state: 'open' },
    });
    const timeline = (await api.get(`/api/teams/sre/exceptions/${exception.id}/timeline`))
      .body as ExceptionTimeline;
    expect(timeline.entries.find((e) => e.type === 'opened')?.details).toEqual({
      reason: exception.correlationReason,
    });
    expect(
      timeline.entries
        .filter((e) => e.type === 'alert-joined')
        .map((e) => e.fingerprint)
        .sort(),
    ).toEqual(fingerprints);
    // Before the opening: the cluster's own Kubernetes Events on the rack's nodes, as Gantry's watch of the
    // cluster recorded them (here the node controller's RegisteredNode; this cluster emits no event when
    // a node turns NotReady), and none on the other rack's nodes, which are not the exception's.
    const nodeEvents = timeline.entries.filter(
      (e) => e.type === 'event' && e.event?.source === 'kubernetes' && e.event.objectKind === 'Node',
    );
    expect([...new Set(nodeEvents.map((e) => e.event!.objectName))].sort()).toEqual(rackR1);
    expect(nodeEvents.every((e) => Date.parse(e.at) < Date.parse(exception.openedAt))).toBe(true);
    expect(
      timeline.entries
        .filter((e) => e.type === 'notification' || e.type === 'escalation')
        .map((e) => e.message),
    ).toEqual(['notified oncall', 'escalated (step 2) to lead']);
    const current = (await api.get(`/api/teams/sre/exceptions/${exception.id}`)).body as ExceptionRecord;
    expect(current).toMatchObject({ state: 'open', alertCount: 3, firingAlertCount: 3 });
    expect(current.level).toBeUndefined();
  });

  it('becomes a failure at P4 once it has lasted 10 minutes', async () => {
    const opened = Date.parse(exception.episodeOpenedAt);
    advanceTo(opened + 10 * MIN + 1_000);
    const failed = await eventually(
      async () => (await api.get(`/api/teams/sre/exceptions/${exception.id}`)).body as ExceptionRecord,
      (record) => record.level !== undefined,
      20_000,
      250,
    );
    expect(failed).toMatchObject({ state: 'open', level: 'P4', firingAlertCount: 3 });
    expect(failed.levelRaisedAt).toEqual({ P4: new Date(opened + 10 * MIN).toISOString() });
    const failures = ((await api.get('/api/teams/sre/failures')).body as ExceptionList).items;
    expect(failures.map((f) => [f.id, f.level])).toEqual([[exception.id, 'P4']]);
    // Still the one exception, and in all this time (the escalator polls every 5 s) nothing else was
    // sent: one page for the rack, one escalation, and the policy's steps are all taken.
    expect((await exceptions()).map((e) => e.id)).toEqual([exception.id]);
    expect(receiver.received.map((r) => r.path)).toEqual(['/oncall', '/lead']);
  });

  it('counts the rack’s failure once in the team’s statistics', async () => {
    const byClass = (await api.get('/api/teams/sre/stats?by=class')).body as HealthStats;
    expect(byClass.groups.map((g) => [g.key, g.failures])).toEqual([['P4', 1]]);
    expect(byClass.total).toMatchObject({ failures: 1, detected: 1, acknowledged: 0, resolved: 0 });
    // Detected after the group wait: the first alert started at least that long before the opening.
    expect(byClass.total.mttdMs).toBeGreaterThanOrEqual(GROUP_WAIT_MS);
    expect(byClass.total.mttdMs).toBeLessThan(GROUP_WAIT_MS + 20_000);
    // Down since the first alert, still open: its downtime so far, once (not once per node).
    expect(byClass.total.downtimeMs).toBeGreaterThanOrEqual(10 * MIN + GROUP_WAIT_MS);
    expect(byClass.total.downtimeMs).toBeLessThan(12 * MIN);
    // Three nodes of one cluster are one failure of that cluster, not three.
    const byCluster = (await api.get('/api/teams/sre/stats?by=cluster&metrics=count')).body as HealthStats;
    expect(byCluster.groups.map((g) => [g.key, g.failures])).toEqual([['east', 1]]);
    expect(byCluster.total.failures).toBe(1);
  });
});
