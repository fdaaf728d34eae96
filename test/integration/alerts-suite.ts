import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord, GettableAlert, GettableSilence } from '@gantry/model';
import type { AlertsIngested, StoredAlert } from '@gantry/store';
import { eventually } from '../support/eventually.ts';
import { BASE, client, recordedReplies, team } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type Api = ReturnType<typeof client>;

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const AM = '/api/teams/ops/alertmanager/api/v2';

/** Alert ingest, the Alertmanager API v2 and Gantry's alert records, end to end over HTTP. */
export function describeAlertsSuite(database: string, databaseUrl: () => Promise<string | undefined>) {
  describe(`alert ingest on ${database}`, () => {
    let server: TestServer;
    let clock = T0;
    let admin: Api;
    let prom: Api;
    let viewer: Api;
    const ingested: AlertsIngested[] = [];

    const login = async (username: string) => {
      expect((await admin.post('/api/users', { username, password: `${username}-password-1` })).status).toBe(
        201,
      );
      const reply = await client(server.url).post('/api/auth/login', {
        username,
        password: `${username}-password-1`,
      });
      return client(server.url, reply.body.token);
    };
    const records = async (query = '') => {
      const reply = await admin.get(`/api/teams/ops/alerts${query}`);
      expect(reply.status).toBe(200);
      return reply.body.items as AlertRecord[];
    };

    beforeAll(async () => {
      const url = await databaseUrl();
      server = await startTestServer({ ...(url ? { databaseUrl: url } : {}), now: () => clock });
      server.server.store.alerts.onIngested((change) => ingested.push(change));
      admin = client(server.url, server.adminToken);
      prom = await login('prom');
      viewer = await login('watcher');
      for (const name of ['ops', 'dev'])
        expect(
          (
            await admin.post(
              `${BASE}/teams`,
              team(name, [
                { user: 'prom', role: 'operator' },
                { user: 'watcher', role: 'viewer' },
              ]),
            )
          ).status,
        ).toBe(201);
    });
    afterAll(async () => {
      await server?.close();
    });

    it('stores what Prometheus posts on the per-team path, with the entities its labels name', async () => {
      const reply = await prom.post(`${AM}/alerts`, [
        {
          labels: {
            alertname: 'NodeDown',
            severity: 'page',
            cluster: 'prod-1',
            node: 'worker-3',
            namespace: 'kafka',
            app_gantry_dev_name: 'broker',
            component: 'zk',
          },
          annotations: { summary: 'worker-3 is down' },
          startsAt: iso(T0 - 60_000),
          generatorURL: 'http://prometheus/graph',
        },
      ]);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ accepted: 1 });
      const [record] = await records();
      expect(record).toMatchObject({
        team: 'ops',
        labels: { alertname: 'NodeDown', severity: 'page' },
        annotations: { summary: 'worker-3 is down' },
        startsAt: iso(T0 - 60_000),
        endsAt: iso(T0 + 5 * 60_000),
        updatedAt: iso(T0),
        generatorURL: 'http://prometheus/graph',
        source: 'prometheus',
        state: 'firing',
        entities: {
          cluster: 'prod-1',
          node: 'worker-3',
          namespace: 'kafka',
          application: 'broker',
          component: 'zk',
        },
      });
      expect(record!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    });

    it('updates the same alert in place when it is posted again, keeping its startsAt, and bumps seq', async () => {
      const before = (await records()).find((r) => r.labels.alertname === 'NodeDown')!;
      clock = T0 + 60_000;
      const labels = before.labels;
      for (let i = 0; i < 3; i++)
        expect((await prom.post(`${AM}/alerts`, [{ labels, startsAt: iso(T0) }])).status).toBe(200);
      const after = (await records('?filter=alertname%3D%22NodeDown%22'))!;
      expect(after).toHaveLength(1);
      expect(after[0]!.startsAt).toBe(iso(T0 - 60_000));
      expect(after[0]!.endsAt).toBe(iso(clock + 5 * 60_000));
      expect(after[0]!.seq).toBeGreaterThan(before.seq);
      expect(after[0]!.fingerprint).toBe(before.fingerprint);
    });

    it('binds alerts on the global path by their team label and refuses those without one', async () => {
      const ok = await prom.post('/api/v2/alerts', [
        { labels: { alertname: 'DiskFull', team: 'dev', instance: 'db-1' } },
        { labels: { alertname: 'DiskFull', team: 'ops', instance: 'db-2' } },
      ]);
      expect(ok.status).toBe(200);
      const dev = await admin.get('/api/teams/dev/alerts');
      expect(dev.body.items.map((a: AlertRecord) => a.labels.instance)).toEqual(['db-1']);
      const none = await prom.post('/api/v2/alerts', [{ labels: { alertname: 'Orphan' } }]);
      expect(none.status).toBe(400);
      expect(typeof none.body).toBe('string');
      expect(none.body).toContain('/0/labels/team');
      const unknown = await prom.post('/api/v2/alerts', [{ labels: { alertname: 'X', team: 'nosuch' } }]);
      expect(unknown.status).toBe(403);
      const unknownForAdmin = await admin.post('/api/v2/alerts', [
        { labels: { alertname: 'X', team: 'nosuch' } },
      ]);
      expect(unknownForAdmin.status).toBe(404);
      expect(unknownForAdmin.body).toBe('team nosuch not found');
      const perTeamUnknown = await admin.post('/api/teams/nosuch/alertmanager/api/v2/alerts', [
        { labels: { alertname: 'X' } },
      ]);
      expect(perTeamUnknown.status).toBe(404);
    });

    it('refuses a whole batch with one bad alert, in Alertmanager’s error shape, storing nothing', async () => {
      const seq = await server.server.store.alerts.currentSeq();
      const cases: [unknown, string][] = [
        [[{ labels: { alertname: 'Good' } }, { labels: { severity: 'x' } }], '/1/labels/alertname'],
        [[{ labels: {} }], '/0/labels'],
        [[{ labels: { alertname: 'A', 'bad name': 'x' } }], '/0/labels/bad name'],
        [
          [{ labels: { alertname: 'A' }, startsAt: iso(T0), endsAt: iso(T0 - 1000) }],
          '/0/endsAt is before startsAt',
        ],
        [
          [
            {
              labels: {
                alertname: 'A',
                ...Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`l${i}`, 'v'])),
              },
            },
          ],
          'more than 64 labels',
        ],
        [[{ labels: { alertname: 'A', big: 'x'.repeat(5000) } }], '/0/labels/big'],
        [[{ labels: { alertname: 'A' }, startsAt: 'yesterday' }], 'startsAt'],
        [{ labels: { alertname: 'not an array' } }, 'array'],
        [[{ labels: { alertname: 'A', nul: 'a\u0000b' } }], 'must not contain NUL'],
        [[{ labels: { alertname: 'A' }, annotations: { lone: '\uDC00' } }], 'lone surrogate'],
      ];
      for (const [body, message] of cases) {
        const reply = await prom.post(`${AM}/alerts`, body);
        expect(reply.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(typeof reply.body).toBe('string');
        expect(reply.body).toContain(message);
      }
      const malformed = await prom.post(`${AM}/alerts`, '[{"labels": ', 'application/json');
      expect(malformed.status).toBe(400);
      expect(typeof malformed.body).toBe('string');
      expect(await server.server.store.alerts.currentSeq()).toBe(seq);
      expect((await records('?filter=alertname%3D%22Good%22')).length).toBe(0);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/gantry_alerts_rejected_total\{reason="missing_alertname"\} 1/);
      expect(metrics).toMatch(/gantry_alerts_rejected_total\{reason="malformed"\} [1-9]/);
      expect(metrics).toMatch(/gantry_alerts_rejected_total\{reason="too_large"\} 2/);
      expect(metrics).toMatch(/gantry_alerts_received_total\{source="prometheus"\} \d+/);
    });

    it('moves a startsAt far in the future to now, and lets viewers read but not post', async () => {
      const reply = await prom.post(`${AM}/alerts`, [
        { labels: { alertname: 'Future' }, startsAt: iso(clock + 3_600_000) },
      ]);
      expect(reply.status).toBe(200);
      const [future] = await records('?filter=alertname%3DFuture');
      expect(future!.startsAt).toBe(iso(clock));
      expect((await viewer.post(`${AM}/alerts`, [{ labels: { alertname: 'V' } }])).status).toBe(403);
      expect((await viewer.get(`${AM}/alerts`)).status).toBe(200);
      expect((await viewer.get('/api/alerts')).status).toBe(403);
    });

    it('folds a flood of duplicates into one record per fingerprint', async () => {
      const batch = Array.from({ length: 64 }, () => ({ labels: { alertname: 'Flood', pod: 'p' } }));
      const replies = await Promise.all(Array.from({ length: 10 }, () => prom.post(`${AM}/alerts`, batch)));
      expect(replies.every((r) => r.status === 200)).toBe(true);
      expect(await records('?filter=alertname%3DFlood')).toHaveLength(1);
    });

    it('answers GET /api/v2/alerts and /alerts/groups with firing alerts only, filtered by matchers', async () => {
      const all = (await prom.get(`${AM}/alerts`)).body as GettableAlert[];
      expect(all.map((a) => a.labels.alertname).sort()).toEqual(['DiskFull', 'Flood', 'Future', 'NodeDown']);
      const disk = all.find((a) => a.labels.alertname === 'DiskFull')!;
      expect(disk.status).toEqual({ state: 'active', silencedBy: [], inhibitedBy: [] });
      expect(disk.receivers).toEqual([{ name: 'ops' }]);
      const filtered = await prom.get(`${AM}/alerts?filter=${encodeURIComponent('alertname=~"Disk.*"')}`);
      expect(filtered.body.map((a: GettableAlert) => a.labels.instance)).toEqual(['db-2']);
      const groups = await prom.get(`${AM}/alerts/groups`);
      expect(groups.status).toBe(200);
      expect(groups.body.map((g: { labels: { alertname: string } }) => g.labels.alertname).sort()).toEqual([
        'DiskFull',
        'Flood',
        'Future',
        'NodeDown',
      ]);
      const bad = await prom.get(`${AM}/alerts?filter=${encodeURIComponent('alertname=~"("')}`);
      expect(bad.status).toBe(400);
      const status = await prom.get(`${AM}/status`);
      expect(status.status).toBe(200);
      expect(status.body.cluster.status).toBe('ready');
    });

    it('creates, lists, applies and expires silences as Silence objects, audited', async () => {
      const created = await prom.post(`${AM}/silences`, {
        matchers: [{ name: 'alertname', value: 'Disk.*', isRegex: true, isEqual: true }],
        startsAt: iso(clock),
        endsAt: iso(clock + 3_600_000),
        createdBy: 'prom',
        comment: 'maintenance',
      });
      expect(created.status).toBe(200);
      const id = created.body.silenceID as string;
      const listed = (await prom.get(`${AM}/silences`)).body as GettableSilence[];
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ id, status: { state: 'active' }, comment: 'maintenance' });
      const alerts = (await prom.get(`${AM}/alerts`)).body as GettableAlert[];
      expect(alerts.find((a) => a.labels.alertname === 'DiskFull')!.status).toEqual({
        state: 'suppressed',
        silencedBy: [id],
        inhibitedBy: [],
      });
      const unsilenced = (await prom.get(`${AM}/alerts?silenced=false`)).body as GettableAlert[];
      expect(unsilenced.some((a) => a.labels.alertname === 'DiskFull')).toBe(false);
      const object = await admin.get(`${BASE}/teams/ops/silences/${id}`);
      expect(object.status).toBe(200);
      expect(object.body.status).toEqual({ state: 'active' });
      clock += 1000;
      expect((await prom.delete(`${AM}/silence/${id}`)).status).toBe(200);
      const expired = await prom.get(`${AM}/silence/${id}`);
      expect(expired.body).toMatchObject({ status: { state: 'expired' }, endsAt: iso(clock) });
      expect((await prom.delete(`${AM}/silence/${id}`)).status).toBe(200);
      const { id: _id, status: _status, updatedAt: _updated, ...postable } = listed[0]!;
      expect((await viewer.post(`${AM}/silences`, postable)).status).toBe(403);
      expect((await prom.get(`${AM}/silence/nosuch`)).status).toBe(404);
      const audit = await admin.get('/api/audit?kind=Silence');
      expect(audit.status).toBe(200);
      expect(audit.body.items.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual(
        expect.arrayContaining([
          ['create', 'prom'],
          ['patch', 'prom'],
        ]),
      );
      const global = await prom.post('/api/v2/silences', {
        matchers: [{ name: 'alertname', value: 'X', isRegex: false, isEqual: true }],
        startsAt: iso(clock),
        endsAt: iso(clock + 60_000),
        createdBy: 'prom',
        comment: '',
      });
      expect(global.status).toBe(400);
    });

    it('takes Alertmanager’s webhook message and the generic webhook', async () => {
      const forwarded = await prom.post('/api/teams/ops/alerts/webhook/alertmanager', {
        version: '4',
        status: 'firing',
        receiver: 'gantry',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'Forwarded', namespace: 'web' },
            startsAt: iso(clock - 1000),
            endsAt: '0001-01-01T00:00:00Z',
          },
          {
            status: 'resolved',
            labels: { alertname: 'ForwardedDone' },
            startsAt: iso(clock - 9000),
            endsAt: iso(clock - 1000),
          },
        ],
      });
      expect(forwarded.status).toBe(200);
      expect(forwarded.body).toEqual({ accepted: 2 });
      const generic = await prom.post('/api/teams/ops/alerts/webhook', {
        alerts: [
          {
            name: 'Backup failed',
            severity: 'warning',
            summary: 'nightly backup',
            labels: { cluster: 'c1' },
          },
        ],
      });
      expect(generic.status).toBe(200);
      const bad = await prom.post('/api/teams/ops/alerts/webhook', { alerts: [{ severity: 'x' }] });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('GANTRY_E_INVALID');
      const found = await records();
      const byName = new Map(found.map((r) => [r.labels.alertname, r]));
      expect(byName.get('Forwarded')).toMatchObject({ source: 'alertmanager-webhook', state: 'firing' });
      expect(byName.get('ForwardedDone')).toMatchObject({ state: 'resolved', endsAt: iso(clock - 1000) });
      expect(byName.get('Backup failed')).toMatchObject({
        source: 'generic',
        labels: { severity: 'warning', cluster: 'c1' },
        annotations: { summary: 'nightly backup' },
        entities: { cluster: 'c1' },
      });
    });

    it('pages with continue tokens and filters by state, entity and since', async () => {
      const first = await admin.get('/api/teams/ops/alerts?limit=2');
      expect(first.body.items).toHaveLength(2);
      const second = await admin.get(`/api/teams/ops/alerts?limit=2&continue=${first.body.continue}`);
      expect(second.body.items[0].seq).toBeLessThan(first.body.items[1].seq);
      const seen = new Set<string>();
      let token: string | undefined;
      do {
        const page = await admin.get(`/api/teams/ops/alerts?limit=3${token ? `&continue=${token}` : ''}`);
        for (const item of page.body.items as AlertRecord[]) seen.add(item.fingerprint);
        token = page.body.continue;
      } while (token);
      expect(seen.size).toBe((await records()).length);
      expect((await records('?state=resolved')).map((r) => r.labels.alertname)).toEqual(['ForwardedDone']);
      expect((await records('?namespace=web')).map((r) => r.labels.alertname)).toEqual(['Forwarded']);
      expect((await records(`?since=${encodeURIComponent(iso(clock))}&cluster=c1`)).length).toBe(1);
      expect((await admin.get('/api/teams/ops/alerts?continue=junk')).status).toBe(400);
      // After the resolve timeout, alerts not posted again are resolved and leave GET /api/v2/alerts.
      clock += 10 * 60_000;
      expect((await prom.get(`${AM}/alerts`)).body).toEqual([]);
      expect((await records('?state=firing')).length).toBe(0);
      const everything = await admin.get('/api/alerts?limit=1000');
      expect(new Set(everything.body.items.map((r: AlertRecord) => r.team))).toEqual(new Set(['ops', 'dev']));
    });

    it('merges a repeat with the stored alert as Alertmanager does: an HA pair keeps the later given endsAt', async () => {
      const told: StoredAlert[] = [];
      const stop = server.server.store.alerts.onIngested((_change, alerts) =>
        told.push(...alerts.filter((alert) => alert.labels.alertname === 'Replicated')),
      );
      const labels = { alertname: 'Replicated', instance: 'db-3' };
      const startsAt = iso(clock - 60_000);
      const post = (endsAt: number | undefined, value: string) =>
        prom.post(`${AM}/alerts`, [
          { labels, annotations: { value }, startsAt, ...(endsAt ? { endsAt: iso(endsAt) } : {}) },
        ]);
      const listed = async () =>
        (await prom.get(`${AM}/alerts?filter=${encodeURIComponent('alertname="Replicated"')}`))
          .body as GettableAlert[];
      const stored = async () => (await records('?filter=alertname%3D%22Replicated%22'))[0]!;
      try {
        // Two Prometheus replicas send the same alert: the one that evaluated last has the later endsAt,
        // and its post arrives first.
        expect((await post(clock + 4 * 60_000, '3')).status).toBe(200);
        expect((await post(clock + 3 * 60_000, '2')).status).toBe(200);
        expect((await listed()).map((alert) => [alert.startsAt, alert.endsAt, alert.annotations])).toEqual([
          [startsAt, iso(clock + 4 * 60_000), { value: '2' }],
        ]);
        // The dispatcher is told the endsAt stored, not the one posted.
        expect(told.at(-1)).toMatchObject({ endsAt: iso(clock + 4 * 60_000), annotations: { value: '2' } });

        // An endsAt Gantry filled in (none posted: now + the resolve timeout) holds off no given one.
        expect((await post(undefined, '4')).status).toBe(200);
        expect((await stored()).endsAt).toBe(iso(clock + 5 * 60_000));
        expect((await post(clock + 2 * 60_000, '5')).status).toBe(200);
        expect((await stored()).endsAt).toBe(iso(clock + 2 * 60_000));

        // Two resolves: the later resolve time stays.
        expect((await post(clock - 1000, '6')).status).toBe(200);
        expect((await post(clock - 2000, '7')).status).toBe(200);
        expect(await stored()).toMatchObject({
          state: 'resolved',
          endsAt: iso(clock - 1000),
          annotations: { value: '7' },
        });
        expect(told.at(-1)).toMatchObject({ endsAt: iso(clock - 1000) });
      } finally {
        stop();
      }
    });

    it('tells the dispatcher what changed, in sequence order', async () => {
      expect(ingested.length).toBeGreaterThan(5);
      const changes = await server.server.store.alerts.changedSince(0, 10_000);
      const seqs = changes.map((c) => c.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs.at(-1)).toBe(await server.server.store.alerts.currentSeq());
      expect(ingested.at(-1)!.toSeq).toBe(seqs.at(-1));
      const tail = await server.server.store.alerts.changedSince(seqs.at(-3)!, 10);
      expect(tail.map((c) => c.seq)).toEqual(seqs.slice(-2));
    });

    it('deletes a deleted team’s alerts with it', async () => {
      expect((await admin.get('/api/teams/dev/alerts')).body.items).toHaveLength(1);
      expect((await admin.delete(`${BASE}/teams/dev`)).status).toBe(200);
      await eventually(
        async () => (await admin.get('/api/alerts?limit=1000')).body.items as AlertRecord[],
        (items) => items.every((item) => item.team === 'ops'),
      );
    });

    it('gave only answers that /api/openapi.json declares, with bodies its schemas allow', async () => {
      const doc = (await client(server.url).get('/api/openapi.json')).body;
      expect(recordedReplies.length).toBeGreaterThan(50);
      expect(openApiViolations(doc, recordedReplies)).toEqual([]);
    });
  });
}
