import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord, DispatchGroupList } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, recordedReplies, team } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * `GET /api/teams/{team}/alerts/groups`: the dispatcher's aggregation groups as the console shows them, and
 * what mutes each alert now: the silences (by the id the Alertmanager API gives them) and the inhibiting
 * alerts (by fingerprint).
 */
describe('the dispatcher groups API', () => {
  let gantry: TestServer;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    gantry = await startTestServer();
    api = client(gantry.url, gantry.adminToken);
    expect((await api.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    const created = await Promise.all([
      api.post(`${BASE}/teams/ops/alertroutings`, {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'AlertRouting',
        metadata: { name: 'main', team: 'ops' },
        // The channel is missing: groups are made all the same (their notifications fail).
        spec: { receivers: ['hook'], groupBy: ['alertname'], groupWait: '1h' },
      }),
      api.post(`${BASE}/teams/ops/inhibitrules`, {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'InhibitRule',
        metadata: { name: 'node-down-mutes-pods', team: 'ops' },
        spec: {
          sourceMatchers: ['alertname="NodeDown"'],
          targetMatchers: ['alertname="PodDown"'],
          equal: ['node'],
        },
      }),
    ]);
    expect(created.map((reply) => reply.status)).toEqual([201, 201]);
  });

  afterAll(async () => {
    await gantry?.close();
  });

  it('answers the groups with their alerts, silences and inhibitions', async () => {
    const posted = await api.post('/api/teams/ops/alertmanager/api/v2/alerts', [
      { labels: { alertname: 'NodeDown', node: 'n1' } },
      { labels: { alertname: 'PodDown', node: 'n1', pod: 'a' } },
      { labels: { alertname: 'PodDown', node: 'n2', pod: 'b' } },
    ]);
    expect(posted.status).toBe(200);
    const silence = await api.post('/api/teams/ops/alertmanager/api/v2/silences', {
      matchers: [{ name: 'pod', value: 'b', isRegex: false, isEqual: true }],
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      createdBy: 'test',
      comment: 'b is moving',
    });
    expect(silence.status).toBe(200);
    const silenceId = silence.body.silenceID as string;
    const alerts = (await api.get('/api/teams/ops/alerts')).body.items as AlertRecord[];
    const fingerprint = (labels: Record<string, string>) =>
      alerts.find((alert) => Object.entries(labels).every(([name, value]) => alert.labels[name] === value))!
        .fingerprint;

    const answer = await eventually(
      async () => (await api.get('/api/teams/ops/alerts/groups')).body as DispatchGroupList,
      (list) =>
        list.groups.length === 2 &&
        list.groups.some((group) => group.alerts.some((alert) => alert.silencedBy.length > 0)),
    );
    expect(answer.dispatching).toBe(true);
    const byName = new Map(answer.groups.map((group) => [group.groupLabels['alertname'], group]));
    expect(byName.get('NodeDown')).toMatchObject({
      routing: 'main',
      receivers: ['hook'],
      groupLabels: { alertname: 'NodeDown' },
      alerts: [{ fingerprint: fingerprint({ alertname: 'NodeDown' }), silencedBy: [], inhibitedBy: [] }],
    });
    expect(byName.get('NodeDown')!.nextFlushAt).toBeDefined();
    const pods = byName.get('PodDown')!;
    expect(pods.groupKey).toContain('alertname="PodDown"');
    expect(pods.alerts).toHaveLength(2);
    const podA = pods.alerts.find((alert) => alert.fingerprint === fingerprint({ pod: 'a' }));
    const podB = pods.alerts.find((alert) => alert.fingerprint === fingerprint({ pod: 'b' }));
    expect(podA).toMatchObject({ silencedBy: [], inhibitedBy: [fingerprint({ alertname: 'NodeDown' })] });
    expect(podB).toMatchObject({ silencedBy: [silenceId], inhibitedBy: [] });
  });

  it('answers no groups for a team without alerts', async () => {
    expect((await api.post(`${BASE}/teams`, team('quiet'))).status).toBe(201);
    expect((await api.get('/api/teams/quiet/alerts/groups')).body).toEqual({ dispatching: true, groups: [] });
  });

  it('pages through every group of a team with more than 5,000 alerts, each group complete', async () => {
    expect((await api.post(`${BASE}/teams`, team('big'))).status).toBe(201);
    const routing = await api.post(`${BASE}/teams/big/alertroutings`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'AlertRouting',
      metadata: { name: 'main', team: 'big' },
      spec: { receivers: ['hook'], groupBy: ['alertname', 'shard'], groupWait: '1h' },
    });
    expect(routing.status).toBe(201);
    const SHARDS = 1_300;
    const PER_SHARD = 5;
    const alerts = Array.from({ length: SHARDS * PER_SHARD }, (_, i) => ({
      labels: { alertname: 'Disk', shard: `s${Math.floor(i / PER_SHARD)}`, disk: `d${i % PER_SHARD}` },
    }));
    for (let i = 0; i < alerts.length; i += 500) {
      const reply = await api.post('/api/teams/big/alertmanager/api/v2/alerts', alerts.slice(i, i + 500));
      expect(reply.status).toBe(200);
    }
    // The oldest alerts (shard s0), beyond the 5,000 most recent: their muting must be known all the same.
    const silence = await api.post('/api/teams/big/alertmanager/api/v2/silences', {
      matchers: [{ name: 'shard', value: 's0', isRegex: false, isEqual: true }],
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      createdBy: 'test',
      comment: 'the first shard',
    });
    expect(silence.status).toBe(200);
    const readAll = async () => {
      const groups: DispatchGroupList['groups'] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const reply = await api.get(
          `/api/teams/big/alerts/groups?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
        );
        expect(reply.status).toBe(200);
        const body = reply.body as DispatchGroupList;
        expect(body.groups.length).toBeLessThanOrEqual(500);
        groups.push(...body.groups);
        token = body.continue;
        pages += 1;
      } while (token !== undefined && pages < 20);
      return { groups, pages };
    };
    const { groups, pages } = await eventually(
      readAll,
      (read) =>
        read.groups.reduce((sum, group) => sum + group.alerts.length, 0) === alerts.length &&
        read.groups.some((group) => group.alerts.some((alert) => alert.silencedBy.length > 0)),
      30_000,
      250,
    );
    expect(pages).toBe(3);
    expect(groups).toHaveLength(SHARDS);
    expect(new Set(groups.map((group) => group.groupKey)).size).toBe(SHARDS);
    expect(groups.map((group) => group.groupKey)).toEqual(groups.map((group) => group.groupKey).sort());
    expect(groups.every((group) => group.alerts.length === PER_SHARD)).toBe(true);
    expect(new Set(groups.flatMap((group) => group.alerts.map((alert) => alert.fingerprint))).size).toBe(
      alerts.length,
    );
    const first = groups.find((group) => group.groupLabels['shard'] === 's0')!;
    expect(first.alerts.map((alert) => alert.silencedBy)).toEqual(
      Array.from({ length: PER_SHARD }, () => [silence.body.silenceID as string]),
    );
    expect(groups.filter((group) => group.alerts.some((alert) => alert.silencedBy.length > 0))).toHaveLength(
      1,
    );
    const bad = await api.get('/api/teams/big/alerts/groups?continue=not-a-token');
    expect(bad.status).toBe(400);
    expect((await api.get('/api/teams/big/alerts/groups?limit=0')).status).toBe(400);
  }, 120_000);

  it('gave only answers that /api/openapi.json declares, with bodies its schemas allow', async () => {
    const doc = (await client(gantry.url).get('/api/openapi.json')).body;
    const ours = recordedReplies.filter((reply) => reply.url.includes('/alerts/groups'));
    expect(ours.length).toBeGreaterThan(0);
    expect(openApiViolations(doc, recordedReplies)).toEqual([]);
  });
});
