import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExceptionRecord, HealthStats } from '@gantry/model';
import { client, recordedReplies } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { teamWithUsers } from '../support/team-fixture.ts';

const TEAM = 'ops';
const MIN = 60_000;
type Api = ReturnType<typeof client>;

/**
 * Failure statistics through the real HTTP API on SQLite (ADR 0023): exceptions made and moved through
 * their lifecycle by hand on an injected clock, then the figures by team and by application, compared with
 * what the stored times give by hand; a viewer reads them, a stranger may not, bad queries are 400.
 */
describe('failure statistics API (SQLite)', () => {
  let gantry: TestServer;
  let admin: Api;
  let otto: Api; // operator of ops
  let vera: Api; // viewer of ops
  let sam: Api; // no role in ops
  let offset = 0;
  const now = () => Date.now() + offset;
  let checkout: ExceptionRecord;
  let search: ExceptionRecord;

  beforeAll(async () => {
    gantry = await startTestServer({ now });
    admin = client(gantry.url, gantry.adminToken);
    ({ otto, vera, sam } = await teamWithUsers(gantry.url, gantry.adminToken, TEAM, {
      otto: 'operator',
      vera: 'viewer',
      sam: undefined,
    }));

    const path = `/api/teams/${TEAM}/exceptions`;
    const open = async (name: string) =>
      (
        await otto.post(path, {
          title: `${name} down`,
          severity: 'major',
          entities: [
            { kind: 'Application', name },
            { kind: 'Cluster', name: 'east' },
          ],
        })
      ).body as ExceptionRecord;
    checkout = await open('checkout');
    offset += 10 * MIN;
    search = await open('search');
    offset += 5 * MIN;
    checkout = (await otto.post(`${path}/${checkout.id}/acknowledge`, {})).body as ExceptionRecord;
    offset += 15 * MIN;
    checkout = (await otto.post(`${path}/${checkout.id}/resolve`, {})).body as ExceptionRecord;
    offset += 20 * MIN;
    search = (await otto.post(`${path}/${search.id}/resolve`, {})).body as ExceptionRecord;
    offset += 180 * MIN;
  });
  afterAll(async () => {
    await gantry?.close();
  });

  const ms = (iso: string | undefined) => Date.parse(iso ?? 'missing');
  const range = () => {
    const from = new Date(ms(checkout.openedAt) - 60 * MIN).toISOString();
    const to = new Date(ms(checkout.openedAt) + 120 * MIN).toISOString();
    return { from, to, rangeMs: 180 * MIN };
  };
  const query = (extra: Record<string, string>) => {
    const { from, to } = range();
    return new URLSearchParams({ from, to, ...extra }).toString();
  };
  const repairMs = (record: ExceptionRecord) => ms(record.resolvedAt) - ms(record.openedAt);

  it('gives a team its MTTA, MTTR, MTBF, counts and availability, computed from the stored times', async () => {
    const reply = await vera.get(`/api/teams/${TEAM}/stats?${query({ by: 'team' })}`);
    expect(reply.status).toBe(200);
    const stats = reply.body as HealthStats;
    const { from, to, rangeMs } = range();
    // Opened by hand: no first alert, so impact starts at opening and nothing is detected from an alert.
    // Downtime: checkout's span and search's overlap; together from checkout's opening to search's end.
    const downtime = ms(search.resolvedAt) - ms(checkout.openedAt);
    const expected = {
      key: TEAM,
      failures: 2,
      detected: 0,
      acknowledged: 1,
      resolved: 2,
      mttaMs: ms(checkout.acknowledgedAt) - ms(checkout.openedAt),
      mttrMs: Math.round((repairMs(checkout) + repairMs(search)) / 2),
      mtbfMs: Math.round((rangeMs - downtime) / 2),
      downtimeMs: downtime,
      availability: 1 - downtime / rangeMs,
    };
    expect(stats).toEqual({
      from,
      to,
      by: 'team',
      metrics: ['count', 'mttd', 'mtta', 'mttr', 'mtbf', 'availability'],
      rangeMs,
      groups: [expected],
      total: { ...expected, key: '' },
    });
    // The clock moved 10 + 5 + 15 + 20 minutes between the actions (plus the requests' own time).
    expect(expected.mttaMs).toBeGreaterThanOrEqual(15 * MIN);
    expect(downtime).toBeGreaterThanOrEqual(50 * MIN);
  });

  it('groups by application and cluster, and picks the metrics asked for', async () => {
    const byApp = (
      await otto.get(`/api/teams/${TEAM}/stats?${query({ by: 'application', metrics: 'mttr' })}`)
    ).body as HealthStats;
    expect(byApp.groups).toEqual([
      { key: 'checkout', mttrMs: repairMs(checkout) },
      { key: 'search', mttrMs: repairMs(search) },
    ]);
    const byCluster = (
      await otto.get(`/api/teams/${TEAM}/stats?${query({ by: 'cluster', metrics: 'count,availability' })}`)
    ).body as HealthStats;
    expect(byCluster.groups.map((g) => [g.key, g.failures, g.downtimeMs])).toEqual([
      ['east', 2, ms(search.resolvedAt) - ms(checkout.openedAt)],
    ]);
  });

  it('shows an admin every team together and a member the teams they may read', async () => {
    const all = (await admin.get(`/api/stats?${query({ metrics: 'count' })}`)).body as HealthStats;
    expect(all.groups.map((g) => [g.key, g.failures])).toEqual([[TEAM, 2]]);
    const none = (await sam.get(`/api/stats?${query({ metrics: 'count' })}`)).body as HealthStats;
    expect(none.groups).toEqual([]);
  });

  it('refuses strangers with 403 and bad queries with 400 and the parameter', async () => {
    expect((await sam.get(`/api/teams/${TEAM}/stats`)).status).toBe(403);
    const badMetric = await vera.get(`/api/teams/${TEAM}/stats?metrics=mttr,uptime`);
    expect(badMetric.status).toBe(400);
    expect(badMetric.body).toMatchObject({
      code: 'GANTRY_E_INVALID',
      details: [{ path: 'querystring/metrics' }],
    });
    const backwards = await vera.get(
      `/api/teams/${TEAM}/stats?from=2026-06-02T00:00:00Z&to=2026-06-01T00:00:00Z`,
    );
    expect(backwards.status).toBe(400);
    expect((await vera.get(`/api/teams/${TEAM}/stats?by=rack`)).status).toBe(400);
  });

  it('gave only answers that /api/openapi.json declares, with bodies its schemas allow', async () => {
    const doc = (await client(gantry.url).get('/api/openapi.json')).body;
    expect(recordedReplies.filter((reply) => reply.url.includes('/stats')).length).toBeGreaterThan(5);
    expect(openApiViolations(doc, recordedReplies)).toEqual([]);
  });
});
