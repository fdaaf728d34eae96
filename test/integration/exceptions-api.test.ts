import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExceptionList, ExceptionRecord, ExceptionTimeline } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, recordedReplies, team } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { teamWithUsers } from '../support/team-fixture.ts';

const TEAM = 'ops';
const MIN = 60_000;
type Api = ReturnType<typeof client>;

/**
 * Exceptions and failures through the real HTTP API on SQLite: the lifecycle by hand and its refusals,
 * roles, correlation through the server's ExceptionPort, merge, the timeline with the Gantry events on
 * the exception's entities, a HealthPolicy's thresholds, and the failure controller raising P4 once the
 * (injected) clock has passed 10 minutes.
 */
describe('exceptions API (SQLite)', () => {
  let gantry: TestServer;
  let admin: Api;
  let otto: Api; // operator
  let vera: Api; // viewer
  let offset = 0;
  const now = () => Date.now() + offset;

  beforeAll(async () => {
    gantry = await startTestServer({ now, config: { failureCheckSeconds: 1 } });
    admin = client(gantry.url, gantry.adminToken);
    ({ otto, vera } = await teamWithUsers(gantry.url, gantry.adminToken, TEAM, {
      otto: 'operator',
      vera: 'viewer',
    }));
  });
  afterAll(async () => {
    await gantry?.close();
  });

  const path = (suffix = '') => `/api/teams/${TEAM}/exceptions${suffix}`;

  it('runs the lifecycle by hand, refuses illegal transitions with 409 and viewers with 403', async () => {
    const created = await otto.post(path(), {
      title: 'checkout slow',
      severity: 'major',
      entities: [{ kind: 'Application', name: 'checkout' }],
      reason: 'customers report timeouts',
    });
    expect(created.status).toBe(201);
    const id = (created.body as ExceptionRecord).id;
    expect((await vera.post(path(`/${id}/acknowledge`), {})).status).toBe(403);
    const acked = await otto.post(path(`/${id}/acknowledge`), { reason: 'on it' });
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ state: 'acknowledged' });
    const again = await otto.post(path(`/${id}/acknowledge`), {});
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('GANTRY_E_EXCEPTION_STATE');
    expect((await otto.post(path(`/${id}/assign`), { assignee: 'otto' })).body).toMatchObject({
      assignee: 'otto',
    });
    expect((await otto.post(path(`/${id}/comment`), { message: 'rolled back' })).status).toBe(200);
    expect((await otto.post(path(`/${id}/comment`), { message: '' })).status).toBe(400);
    expect((await otto.post(path(`/${id}/mitigate`), {})).body).toMatchObject({ state: 'mitigated' });
    expect((await otto.post(path(`/${id}/resolve`), { reason: 'fixed' })).body).toMatchObject({
      state: 'resolved',
    });
    expect((await otto.post(path(`/${id}/reopen`), {})).body).toMatchObject({
      state: 'open',
      reopenCount: 1,
    });
    const review = await otto.patch(path(`/${id}`), {
      impact: 'checkout p99 over 5 s for 20 minutes',
      followUps: [{ title: 'alert on p99', owner: 'otto', done: false }],
    });
    expect(review.status).toBe(200);
    expect(review.body).toMatchObject({ impact: 'checkout p99 over 5 s for 20 minutes' });
    expect((await otto.patch(path(`/${id}`), { impact: 5 })).status).toBe(400);

    const timeline = (await vera.get(path(`/${id}/timeline`))).body as ExceptionTimeline;
    expect(timeline.entries.map((entry) => [entry.type, entry.actor, entry.toState])).toEqual([
      ['opened', 'otto', 'open'],
      ['state-changed', 'otto', 'acknowledged'],
      ['assigned', 'otto', undefined],
      ['comment', 'otto', undefined],
      ['state-changed', 'otto', 'mitigated'],
      ['state-changed', 'otto', 'resolved'],
      ['state-changed', 'otto', 'open'],
      ['review-updated', 'otto', undefined],
    ]);
    expect((await vera.get(path('/nope'))).status).toBe(404);
    expect((await client(gantry.url).get(path())).status).toBe(401);
  });

  it('correlates through the server’s ExceptionPort, lists with filters and pages, merges', async () => {
    const port = gantry.server.exceptions;
    const alert = (fingerprint: string) => ({
      fingerprint,
      labels: { alertname: 'NodeNotReady', node: fingerprint },
      state: 'firing' as const,
      startsAt: new Date(now()).toISOString(),
      endsAt: new Date(now() + 10 * MIN).toISOString(),
    });
    const rack = (name: string, nodes: string[]) => ({
      team: TEAM,
      key: `topology/rack=${name}`,
      reason: { rule: 'topology', ruleKind: 'Topology' as const, shared: { rack: name } },
      title: `rack ${name} NotReady`,
      severity: 'critical' as const,
      entities: nodes.map((node) => ({ kind: 'Node' as const, name: node, cluster: 'east' })),
      alerts: nodes.map(alert),
    });
    const r1 = await port.correlate(rack('r1', ['w-1', 'w-2']), new Date(now()));
    const r2 = await port.correlate(rack('r2', ['w-3']), new Date(now()));
    expect([r1.outcome, r2.outcome]).toEqual(['opened', 'opened']);
    expect((await port.correlate(rack('r1', ['w-1', 'w-2']), new Date(now()))).outcome).toBe('unchanged');

    const byNode = (await vera.get(path('?entity=Node/w-3&cluster=east'))).body as ExceptionList;
    expect(byNode.items.map((item) => item.id)).toEqual([r2.exceptionId]);
    const critical = (await vera.get(path('?severity=critical&state=active&limit=1'))).body as ExceptionList;
    expect(critical.items).toHaveLength(1);
    expect(critical.continue).toBeDefined();
    const next = (
      await vera.get(path(`?severity=critical&state=active&limit=1&continue=${critical.continue}`))
    ).body as ExceptionList;
    expect(next.items[0]!.id).not.toBe(critical.items[0]!.id);
    expect((await vera.get(path('?state=sleeping'))).status).toBe(400);
    expect((await vera.get(path('?continue=garbage'))).status).toBe(400);

    const merged = await otto.post(path(`/${r1.exceptionId}/merge`), {
      from: r2.exceptionId,
      reason: 'one switch',
    });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ alertCount: 3, firingAlertCount: 3 });
    expect((await vera.get(path(`/${r2.exceptionId}`))).body).toMatchObject({
      state: 'merged',
      mergedInto: r1.exceptionId,
    });
    expect((await otto.post(path(`/${r1.exceptionId}/merge`), { from: r2.exceptionId })).status).toBe(409);
  });

  it('shows the Gantry events on the entities, from 30 minutes before opening, on the timeline', async () => {
    // A node operation records an event regarding the node, as the user (ADR 0009).
    await gantry.server.store.events.fold([
      {
        team: TEAM,
        cluster: `${TEAM}/east`,
        namespace: '',
        objectKind: 'Node',
        objectName: 'w-9',
        type: 'Normal',
        reason: 'NodeCordoned',
        message: 'cordoned',
        actor: 'otto',
        count: 1,
        firstSeen: new Date(now() - 5 * MIN).toISOString(),
        lastSeen: new Date(now() - 5 * MIN).toISOString(),
      },
    ]);
    const created = await otto.post(path(), {
      title: 'w-9 down',
      severity: 'minor',
      entities: [{ kind: 'Node', name: 'w-9', cluster: 'east' }],
    });
    const timeline = (await vera.get(path(`/${(created.body as ExceptionRecord).id}/timeline`)))
      .body as ExceptionTimeline;
    expect(timeline.entries.map((entry) => entry.type)).toEqual(['event', 'opened']);
    expect(timeline.entries[0]!.event).toMatchObject({ reason: 'NodeCordoned', actor: 'otto' });
  });

  it('refuses a HealthPolicy whose thresholds do not grow, and raises failures by its thresholds', async () => {
    const policy = (p4: string, p3: string) => ({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'HealthPolicy',
      metadata: { name: 'payments' },
      spec: { selector: { application: 'payments' }, failureThresholds: { P4: p4, P3: p3 } },
    });
    const refused = await admin.post(`${BASE}/teams/${TEAM}/healthpolicies`, policy('40m', '30m'));
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([expect.objectContaining({ path: '/spec/failureThresholds/P3' })]);
    const stored = await admin.post(`${BASE}/teams/${TEAM}/healthpolicies`, policy('5m', '30m'));
    expect(stored.status).toBe(201);
    expect(stored.body.spec).toMatchObject({
      reopenWindow: '30m',
      failureThresholds: { P2: '60m', P0: '360m' },
    });

    const payments = (
      await otto.post(path(), {
        title: 'payments down',
        severity: 'critical',
        entities: [{ kind: 'Application', name: 'payments' }],
      })
    ).body as ExceptionRecord;
    const other = (await otto.post(path(), { title: 'billing down', severity: 'critical', entities: [] }))
      .body as ExceptionRecord;
    offset += 6 * MIN;
    const failures = await eventually(
      async () => (await vera.get(`/api/teams/${TEAM}/failures?level=P4`)).body as ExceptionList,
      (list) => list.items.some((item) => item.id === payments.id),
    );
    expect(failures.items.map((item) => item.id)).not.toContain(other.id);
    offset += 4 * MIN;
    await eventually(
      async () => (await vera.get(path(`/${other.id}`))).body as ExceptionRecord,
      (record) => record.level === 'P4',
    );
    const entries = ((await vera.get(path(`/${payments.id}/timeline`))).body as ExceptionTimeline).entries;
    expect(entries.find((entry) => entry.type === 'level-raised')).toMatchObject({
      level: 'P4',
      actor: 'controller/failures',
    });
  });

  it('deletes a team’s exceptions with the team', async () => {
    expect((await admin.post(`${BASE}/teams`, team('short-lived'))).status).toBe(201);
    const created = await admin.post('/api/teams/short-lived/exceptions', {
      title: 'gone soon',
      severity: 'warning',
      entities: [],
    });
    expect(created.status).toBe(201);
    expect((await admin.delete(`${BASE}/teams/short-lived`)).status).toBe(200);
    await eventually(
      () => gantry.server.store.exceptions.list({ teams: ['short-lived'], limit: 10 }),
      (page) => page.items.length === 0,
    );
    expect(await gantry.server.store.exceptions.timeline((created.body as ExceptionRecord).id, 10)).toEqual({
      entries: [],
      truncated: false,
    });
  });

  it('gave only answers that /api/openapi.json declares, with bodies its schemas allow', async () => {
    const doc = (await client(gantry.url).get('/api/openapi.json')).body;
    expect(recordedReplies.filter((reply) => reply.url.includes('/exceptions')).length).toBeGreaterThan(10);
    expect(openApiViolations(doc, recordedReplies)).toEqual([]);
  });
});
