import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExceptionRecord, HealthStreamItem, HealthStreamPage } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { client, recordedReplies } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { teamWithUsers } from '../support/team-fixture.ts';

const TEAM = 'ops';
const MIN = 60_000;
type Api = ReturnType<typeof client>;

/**
 * The health stream through the real HTTP API on SQLite (ADR 0027): the five kinds in one answer, newest
 * first; a cursor that brings new items and items changed since (an alert resolved, an exception
 * acknowledged, an exception become a failure) in their new state; the filters; paging; bad input.
 */
describe('health stream API (SQLite)', () => {
  let gantry: TestServer;
  let admin: Api;
  let otto: Api; // operator of ops
  let vera: Api; // viewer of ops
  let sam: Api; // no role in ops
  let offset = 0;
  const now = () => Date.now() + offset;
  const iso = (ms: number) => new Date(ms).toISOString();
  const stream = (query = '') => `/api/teams/${TEAM}/health/stream${query}`;
  let exceptionId = '';

  const page = async (api: Api, query = ''): Promise<HealthStreamPage> => {
    const reply = await api.get(stream(query));
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return reply.body as HealthStreamPage;
  };
  /** Follows a cursor until caught up; every item it read, by key (the newest state wins). */
  const follow = async (cursor: string, query = '') => {
    const items = new Map<string, HealthStreamItem>();
    for (let call = 0; call < 20; call += 1) {
      const answer = await page(vera, `?since=${encodeURIComponent(cursor)}${query}`);
      for (const item of answer.items) items.set(item.key, item);
      cursor = answer.cursor;
      if (!answer.more) return { items, cursor };
    }
    throw new Error('the stream never caught up');
  };
  const postAlert = (name: string, severity: string, endsAt: number) =>
    admin.post(`/api/teams/${TEAM}/alertmanager/api/v2/alerts`, [
      {
        labels: { alertname: name, severity, cluster: 'east', node: `${name.toLowerCase()}-node` },
        annotations: { summary: `${name} on east` },
        startsAt: iso(now() - MIN),
        endsAt: iso(endsAt),
      },
    ]);

  beforeAll(async () => {
    gantry = await startTestServer({ now, config: { failureCheckSeconds: 1 } });
    admin = client(gantry.url, gantry.adminToken);
    ({ otto, vera, sam } = await teamWithUsers(gantry.url, gantry.adminToken, TEAM, {
      otto: 'operator',
      vera: 'viewer',
      sam: undefined,
    }));

    await gantry.server.store.events.fold([
      {
        team: TEAM,
        cluster: `${TEAM}/east`,
        namespace: '',
        objectKind: 'Node',
        objectName: 'w-9',
        type: 'Normal',
        reason: 'NodeCordoned',
        message: 'cordoned for the kernel upgrade',
        actor: 'otto',
        count: 1,
        firstSeen: iso(now() - 3 * MIN),
        lastSeen: iso(now() - 3 * MIN),
      },
    ]);
    await gantry.server.store.risks.observe(
      { team: TEAM, kind: 'Inspection', name: 'capacity', check: 'disk' },
      [
        {
          key: 'Node/east/w-7',
          title: 'w-7 disk 91% full',
          score: 80,
          entities: [{ kind: 'Node', name: 'w-7', cluster: 'east' }],
          details: {},
        },
      ],
      iso(now() - 2 * MIN),
    );
    const created = await otto.post(`/api/teams/${TEAM}/exceptions`, {
      title: 'checkout slow',
      severity: 'major',
      entities: [{ kind: 'Application', name: 'checkout' }],
    });
    expect(created.status).toBe(201);
    exceptionId = (created.body as ExceptionRecord).id;
    expect((await postAlert('DiskFull', 'critical', now() + 30 * MIN)).status).toBe(200);
  });
  afterAll(async () => {
    await gantry?.close();
  });

  it('answers the five kinds in one stream, newest change first, each once', async () => {
    const first = await page(vera);
    const kinds = new Set(first.items.map((item) => item.kind));
    expect([...kinds].sort()).toEqual(['alert', 'event', 'exception', 'risk']);
    expect(new Set(first.items.map((item) => item.key)).size).toBe(first.items.length);
    const changed = first.items.map((item) => item.changedAt);
    expect(changed).toEqual([...changed].sort().reverse());
    const risk = first.items.find((item) => item.kind === 'risk');
    expect(risk?.kind === 'risk' && risk.risk.title).toBe('w-7 disk 91% full');
    expect(first.items.find((item) => item.key === `exception/${exceptionId}`)).toMatchObject({
      kind: 'exception',
      exception: { state: 'open', severity: 'major' },
    });
    expect(first.more).toBe(false);
    expect(first.continue).toBeUndefined();
  });

  it('pages older items by continue: every item once, newest first', async () => {
    // Once the stream is still (Gantry's own events are written in batches of 200 ms, a little after the
    // fact): two reads longer than that apart that agree.
    let all = await page(vera);
    for (let tries = 0; tries < 30; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const again = await page(vera);
      if (
        JSON.stringify(again.items.map((item) => item.key)) ===
        JSON.stringify(all.items.map((item) => item.key))
      )
        break;
      all = again;
    }
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const next = await page(vera, `?limit=1${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      expect(next.items.length).toBeLessThanOrEqual(1);
      keys.push(...next.items.map((item) => item.key));
      token = next.continue;
    } while (token);
    expect(keys).toEqual(all.items.map((item) => item.key));
  });

  it('brings, after a cursor, a new alert and the items changed since in their new state', async () => {
    const start = await page(vera);
    expect((await postAlert('MemoryHigh', 'minor', now() + 30 * MIN)).status).toBe(200);
    expect((await otto.post(`/api/teams/${TEAM}/exceptions/${exceptionId}/acknowledge`, {})).status).toBe(
      200,
    );
    // DiskFull resolves: Alertmanager's clients send it again with endsAt now.
    expect((await postAlert('DiskFull', 'critical', now())).status).toBe(200);
    const { items, cursor } = await follow(start.cursor);
    const byName = (name: string) =>
      [...items.values()].find((item) => item.kind === 'alert' && item.alert.labels.alertname === name);
    expect(byName('MemoryHigh')).toMatchObject({ alert: { state: 'firing' } });
    expect(byName('DiskFull')).toMatchObject({ alert: { state: 'resolved' } });
    expect(items.get(`exception/${exceptionId}`)).toMatchObject({ exception: { state: 'acknowledged' } });

    // An exception that lasts becomes a failure (the failure controller, on the injected clock): it comes
    // again, as a failure; the alerts, unchanged since, do not.
    offset += 11 * MIN;
    await eventually(
      async () => (await vera.get(`/api/teams/${TEAM}/exceptions/${exceptionId}`)).body as ExceptionRecord,
      (record) => record.level === 'P4',
    );
    const { items: later } = await follow(cursor);
    expect(later.get(`exception/${exceptionId}`)).toMatchObject({
      kind: 'failure',
      exception: { level: 'P4' },
    });
    expect([...later.values()].filter((item) => item.kind === 'alert')).toEqual([]);
  });

  it('filters by kinds, severity, level, entity, cluster and text', async () => {
    const keysOf = async (query: string) => (await page(vera, query)).items.map((item) => item.key);
    const kindsOf = async (query: string) =>
      new Set((await page(vera, query)).items.map((item) => item.kind));
    expect(await kindsOf('?kinds=alert')).toEqual(new Set(['alert']));
    expect(await kindsOf('?kinds=risk,event')).toEqual(new Set(['risk', 'event']));
    expect(await keysOf('?severity=major')).toEqual([`exception/${exceptionId}`]);
    // The alerts were correlated into an exception of their own, which lasted too.
    const p4 = await page(vera, '?level=P4');
    expect(p4.items.map((item) => item.key)).toContain(`exception/${exceptionId}`);
    expect(new Set(p4.items.map((item) => item.kind))).toEqual(new Set(['failure']));
    expect(await keysOf('?level=P0')).toEqual([]);
    const cordon = (await page(vera, '?kinds=event')).items.find(
      (item) => item.kind === 'event' && item.event.objectName === 'w-9',
    );
    expect(await keysOf('?entity=Node/w-9')).toEqual([cordon?.key]);
    expect(await kindsOf('?entity=Node/w-7&cluster=east')).toEqual(new Set(['risk']));
    expect(await kindsOf('?q=KERNEL')).toEqual(new Set(['event']));
    const onEast = await page(vera, '?cluster=east&kinds=alert,event,risk');
    expect(onEast.items.length).toBe(4);
    expect(await keysOf('?cluster=west')).toEqual([]);
  });

  it('refuses bad input with 400, the code and the parameter; strangers with 403', async () => {
    const bad = async (query: string, path: string, code = 'GANTRY_E_BAD_REQUEST') => {
      const reply = await vera.get(stream(query));
      expect(reply.status, query).toBe(400);
      expect(reply.body.code, query).toBe(code);
      expect(
        reply.body.details.map((d: { path: string }) => d.path),
        query,
      ).toContain(path);
    };
    await bad('?since=not-a-cursor', 'querystring/since');
    await bad(
      `?since=${Buffer.from('{"v":1,"d":"asc","p":{"alert":{"seq":-1}}}').toString('base64url')}`,
      'querystring/since',
    );
    const older = (await page(vera, '?limit=1')).continue!;
    await bad(`?since=${encodeURIComponent(older)}`, 'querystring/since');
    await bad(`?continue=garbage`, 'querystring/continue');
    const cursor = (await page(vera)).cursor;
    await bad(
      `?since=${encodeURIComponent(cursor)}&continue=${encodeURIComponent(older)}`,
      'querystring/continue',
      'GANTRY_E_INVALID',
    );
    await bad('?entity=w-9', 'querystring/entity', 'GANTRY_E_INVALID');
    await bad('?limit=0', 'querystring/limit', 'GANTRY_E_INVALID');
    expect((await vera.get(stream('?kinds=incident'))).status).toBe(400);
    expect((await vera.get(stream('?severity=huge'))).status).toBe(400);
    expect((await sam.get(stream())).status).toBe(403);
    expect((await client(gantry.url).get(stream())).status).toBe(401);
  });

  it('gave only answers that /api/openapi.json declares, with bodies its schemas allow', async () => {
    const doc = (await client(gantry.url).get('/api/openapi.json')).body;
    expect(recordedReplies.filter((reply) => reply.url.includes('/health/stream')).length).toBeGreaterThan(
      10,
    );
    expect(openApiViolations(doc, recordedReplies)).toEqual([]);
  });
});
