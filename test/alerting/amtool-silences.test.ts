import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
