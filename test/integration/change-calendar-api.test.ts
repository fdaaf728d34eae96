import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeCalendar, ChangeWindowCalendar } from '@gantry/model';
import { BASE, client, recordedReplies, team } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const TEAM = 'ops';

/**
 * The ChangeWindow calendar through the real HTTP API (ADR 0031): a window's occurrences and open time,
 * a team's calendar with what applies to every change, refusals of bad ranges, who may read it, and the
 * OpenAPI contract of the answers.
 */
describe('change calendar API', () => {
  let gantry: TestServer;
  let admin: ReturnType<typeof client>;
  let stranger: ReturnType<typeof client>;
  const window = (name: string, spec: unknown) => ({
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'ChangeWindow',
    metadata: { name },
    spec,
  });

  beforeAll(async () => {
    gantry = await startTestServer();
    admin = client(gantry.url, gantry.adminToken);
    expect((await admin.post(`${BASE}/teams`, team(TEAM))).status).toBe(201);
    expect((await admin.post('/api/users', { username: 'sam', password: 'sam-password-1' })).status).toBe(
      201,
    );
    stranger = client(
      gantry.url,
      (await client(gantry.url).post('/api/auth/login', { username: 'sam', password: 'sam-password-1' })).body
        .token,
    );
    const windows = `${BASE}/teams/${TEAM}/changewindows`;
    expect(
      (
        await admin.post(
          windows,
          window('weekdays', {
            timeZone: 'America/New_York',
            allow: [{ cron: '0 9 * * 1-5', duration: '8h' }],
            appliesToAllChanges: true,
          }),
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await admin.post(
          windows,
          window('quarter-end', { freeze: [{ cron: '0 0 31 3 *', duration: '2d', reason: 'quarter end' }] }),
        )
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await gantry?.close();
  });

  it("answers a window's occurrences and open time in the range", async () => {
    const reply = await admin.get(
      `/api/teams/${TEAM}/changewindows/weekdays/occurrences?from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z`,
    );
    expect(reply.status).toBe(200);
    const calendar = reply.body as ChangeWindowCalendar;
    expect(calendar.occurrences).toHaveLength(5);
    // 09:00 in New York on EST is 14:00 UTC; after the US switch on 8 March it would be 13:00.
    expect(calendar.occurrences[0]).toMatchObject({
      type: 'allow',
      start: '2026-03-02T14:00:00.000Z',
      end: '2026-03-02T22:00:00.000Z',
    });
    expect(calendar.open).toHaveLength(5);
  });

  it('answers the team calendar: every window, and when a change honouring those for all may act', async () => {
    const reply = await admin.get(
      `/api/teams/${TEAM}/change-calendar?from=2026-03-30T00:00:00Z&to=2026-04-06T00:00:00Z`,
    );
    expect(reply.status).toBe(200);
    const calendar = reply.body as ChangeCalendar;
    expect(calendar.items.map((item) => item.window).sort()).toEqual(['quarter-end', 'weekdays']);
    const freeze = calendar.items.find((item) => item.window === 'quarter-end')!;
    expect(freeze.occurrences).toEqual([
      expect.objectContaining({ type: 'freeze', reason: 'quarter end', start: '2026-03-31T00:00:00.000Z' }),
    ]);
    // Only `weekdays` applies to every change: the quarter-end freeze does not cut its open time.
    expect(calendar.open).toHaveLength(5);
    expect(calendar.open[1]).toEqual({ start: '2026-03-31T13:00:00.000Z', end: '2026-03-31T21:00:00.000Z' });
  });

  it('refuses bad ranges with the field, unknown windows, and callers outside the team', async () => {
    const reversed = await admin.get(
      `/api/teams/${TEAM}/change-calendar?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z`,
    );
    expect(reversed.status).toBe(400);
    expect(reversed.body.code).toBe('GANTRY_E_INVALID');
    expect(reversed.body.details[0].path).toBe('querystring/to');
    const notTime = await admin.get(`/api/teams/${TEAM}/changewindows/weekdays/occurrences?from=soon`);
    expect(notTime.status).toBe(400);
    expect(notTime.body.details[0].path).toBe('querystring/from');
    expect((await admin.get(`/api/teams/${TEAM}/changewindows/nope/occurrences`)).status).toBe(404);
    expect([403, 404]).toContain((await stranger.get(`/api/teams/${TEAM}/change-calendar`)).status);
  });

  it('gave only answers that /api/openapi.json declares, with bodies its schemas allow', async () => {
    const doc = (await client(gantry.url).get('/api/openapi.json')).body;
    expect(
      recordedReplies.filter((reply) => reply.url.includes('calendar') || reply.url.includes('occurrences'))
        .length,
    ).toBeGreaterThan(5);
    expect(openApiViolations(doc, recordedReplies)).toEqual([]);
  });
});
