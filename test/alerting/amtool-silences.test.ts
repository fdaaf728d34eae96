import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const run = promisify(execFile);

/** amtool 0.25, pointed at Gantry's per-team Alertmanager API with a bearer token, works unchanged. */
describe('amtool against Gantry', () => {
  let gantry: TestServer;
  let dir: string;
  let amtool: (...args: string[]) => Promise<string>;

  beforeAll(async () => {
    gantry = await startTestServer();
    const admin = client(gantry.url, gantry.adminToken);
    expect((await admin.post('/api/users', { username: 'sre', password: 'sre-password-12' })).status).toBe(
      201,
    );
    expect((await admin.post(`${BASE}/teams`, team('ops', [{ user: 'sre', role: 'operator' }]))).status).toBe(
      201,
    );
    const session = await client(gantry.url).post('/api/auth/login', {
      username: 'sre',
      password: 'sre-password-12',
    });
    const sre = client(gantry.url, session.body.token);
    const token = (await sre.post('/api/tokens', { name: 'amtool' })).body.token as string;
    expect(
      (
        await sre.post('/api/teams/ops/alertmanager/api/v2/alerts', [
          { labels: { alertname: 'DiskFull', instance: 'db-1', severity: 'page' } },
          { labels: { alertname: 'HighLatency', instance: 'web-1' } },
        ])
      ).status,
    ).toBe(200);
    dir = mkdtempSync(join(tmpdir(), 'gantry-amtool-'));
    writeFileSync(join(dir, 'http.yml'), `authorization:\n  credentials: ${token}\n`, { mode: 0o600 });
    amtool = async (...args: string[]) =>
      (
        await run(
          '/usr/bin/amtool',
          [
            `--alertmanager.url=${gantry.url}/api/teams/ops/alertmanager`,
            `--http.config.file=${join(dir, 'http.yml')}`,
            ...args,
          ],
          { timeout: 30_000 },
        )
      ).stdout;
  });
  afterAll(async () => {
    await gantry?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the alerts, filtered by matchers', async () => {
    const all = JSON.parse(await amtool('alert', 'query', '-o', 'json')) as {
      labels: Record<string, string>;
    }[];
    expect(all.map((a) => a.labels.alertname).sort()).toEqual(['DiskFull', 'HighLatency']);
    const simple = await amtool('alert', 'query', 'severity=page');
    expect(simple).toContain('DiskFull');
    expect(simple).not.toContain('HighLatency');
  });

  it('creates, lists and expires a silence', async () => {
    const id = (
      await amtool(
        'silence',
        'add',
        'alertname=DiskFull',
        '--duration=2h',
        '--comment=disk swap',
        '--author=sre',
      )
    ).trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const listed = JSON.parse(await amtool('silence', 'query', '-o', 'json')) as {
      id: string;
      comment: string;
      status: { state: string };
    }[];
    expect(listed.map((s) => [s.id, s.comment, s.status.state])).toEqual([[id, 'disk swap', 'active']]);
    const silenced = JSON.parse(await amtool('alert', 'query', '--silenced', '-o', 'json')) as {
      labels: Record<string, string>;
    }[];
    expect(silenced.map((a) => a.labels.alertname)).toEqual(['DiskFull']);
    // The silence is a Silence object of team ops, audited as the token's user wrote it.
    const object = await client(gantry.url, gantry.adminToken).get(`${BASE}/teams/ops/silences/${id}`);
    expect(object.body.spec).toMatchObject({ createdBy: 'sre', comment: 'disk swap' });
    await amtool('silence', 'expire', id);
    expect(JSON.parse(await amtool('silence', 'query', '-o', 'json'))).toEqual([]);
    const expired = JSON.parse(await amtool('silence', 'query', '--expired', '-o', 'json')) as {
      id: string;
    }[];
    expect(expired.map((s) => s.id)).toEqual([id]);
  });

  it("answers the routing tree's receivers and groups, the inhibiting alerts, the configuration and the peers", async () => {
    const admin = client(gantry.url, gantry.adminToken);
    const created = await Promise.all([
      admin.post(`${BASE}/teams/ops/alertroutings`, {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'AlertRouting',
        metadata: { name: 'main', team: 'ops' },
        spec: {
          receivers: ['pager'],
          groupBy: ['alertname'],
          groupWait: '1h',
          routes: [{ matchers: ['severity="page"'], receivers: ['oncall'] }],
        },
      }),
      admin.post(`${BASE}/teams/ops/inhibitrules`, {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'InhibitRule',
        metadata: { name: 'disk-mutes-replicas', team: 'ops' },
        spec: {
          sourceMatchers: ['alertname="DiskFull"'],
          targetMatchers: ['alertname="ReplicaLag"'],
          equal: ['instance'],
        },
      }),
      admin.post('/api/teams/ops/alertmanager/api/v2/alerts', [
        { labels: { alertname: 'ReplicaLag', instance: 'db-1' } },
      ]),
    ]);
    expect(created.map((reply) => reply.status)).toEqual([201, 201, 200]);
    type Listed = { labels: Record<string, string>; fingerprint: string; status: { inhibitedBy: string[] } };
    const query = async (...args: string[]) =>
      (JSON.parse(await amtool('alert', 'query', '-o', 'json', ...args)) as Listed[]).sort((a, b) =>
        a.labels.alertname!.localeCompare(b.labels.alertname!),
      );
    const oncall = await eventually(
      () => query('--receiver=oncall'),
      (alerts) => alerts.length === 1,
    );
    expect(oncall.map((alert) => alert.labels.alertname)).toEqual(['DiskFull']);
    const pager = await eventually(
      () => query('--receiver=pager', '--inhibited'),
      (alerts) => alerts.some((alert) => alert.status.inhibitedBy.length > 0),
    );
    expect(pager.map((alert) => [alert.labels.alertname, alert.status.inhibitedBy])).toEqual([
      ['ReplicaLag', [oncall[0]!.fingerprint]],
    ]);
    // Without flags amtool asks for the active alerts only: the inhibited one is left out.
    expect((await query()).map((alert) => alert.labels.alertname)).toEqual(['DiskFull', 'HighLatency']);
    const groups = (await admin.get('/api/teams/ops/alertmanager/api/v2/alerts/groups')).body as {
      labels: Record<string, string>;
      receiver: { name: string };
      alerts: Listed[];
    }[];
    expect(
      groups
        .map((group) => [
          group.receiver.name,
          group.labels,
          group.alerts.map((alert) => alert.labels.alertname),
        ])
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([
      ['oncall', { alertname: 'DiskFull' }, ['DiskFull']],
      ['pager', { alertname: 'HighLatency' }, ['HighLatency']],
      ['pager', { alertname: 'ReplicaLag' }, ['ReplicaLag']],
    ]);
    const config = await amtool('config', 'show');
    expect(config).toContain('kind: AlertRouting');
    expect(config).toContain('- oncall');
    expect(config).toContain('kind: InhibitRule');
    const status = (await admin.get('/api/teams/ops/alertmanager/api/v2/status')).body as {
      cluster: { peers: { name: string }[] };
    };
    expect(status.cluster.peers.length).toBeGreaterThan(0);
  });
});
