import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cli } from '../support/cli.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** `gantry alerts` and `gantry silence`, run as users run them, against a real server. */
describe('gantry alerts and gantry silence', () => {
  let server: TestServer;
  let dir: string;
  let cli: Cli;

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'gantry-alerts-cli-'));
    cli = new Cli(dir);
    const admin = client(server.url, server.adminToken);
    expect((await admin.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    expect(
      (
        await admin.post('/api/teams/ops/alertmanager/api/v2/alerts', [
          {
            labels: { alertname: 'NodeDown', severity: 'page', cluster: 'prod', node: 'w-3' },
            annotations: { summary: 'worker w-3 is down' },
          },
          { labels: { alertname: 'SlowDisk', severity: 'warning', namespace: 'kafka' } },
        ])
      ).status,
    ).toBe(200);
    const login = await cli.run(
      ['login', '--server', server.url, '--username', server.adminUsername, '--password-stdin'],
      { stdin: server.adminPassword },
    );
    expect(login.code).toBe(0);
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists alerts as a table, filtered by matchers, and as JSON', async () => {
    const table = await cli.run(['alerts', '--team', 'ops']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ALERTNAME\s+STATE\s+SEVERITY\s+AGE\s+CONCERNS\s+SUMMARY$/);
    expect(lines.slice(1).join('\n')).toMatch(
      /NodeDown\s+firing\s+page\s+\S+\s+cluster\/prod node\/w-3\s+worker w-3 is down/,
    );
    const filtered = await cli.run([
      'alerts',
      '--team',
      'ops',
      '--filter',
      'severity=~"warn.*"',
      '-o',
      'json',
    ]);
    expect(filtered.code).toBe(0);
    const items = JSON.parse(filtered.stdout).items as { labels: Record<string, string>; entities: object }[];
    expect(items.map((a) => a.labels.alertname)).toEqual(['SlowDisk']);
    expect(items[0]!.entities).toEqual({ namespace: 'kafka' });
    const wide = await cli.run(['alerts', '-A', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).toMatch(/^TEAM\s+ALERTNAME.*FINGERPRINT\s+LABELS$/);
    const bad = await cli.run(['alerts', '--team', 'ops', '--filter', 'alertname=~"("']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('querystring/filter: alertname: invalid regular expression');
  });

  it('watches: prints the list, then each alert again when it changes', async () => {
    const child = cli.spawn(['alerts', '--team', 'ops', '--watch', '--interval', '100ms', '--no-headers']);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(done()).toBe(true);
    };
    await until(() => stdout.includes('SlowDisk'));
    const admin = client(server.url, server.adminToken);
    await admin.post('/api/teams/ops/alertmanager/api/v2/alerts', [
      { labels: { alertname: 'Fresh', severity: 'info' } },
    ]);
    await until(() => stdout.includes('Fresh'));
    child.kill('SIGTERM');
    expect(stdout.match(/NodeDown/g)).toHaveLength(1);
  });

  it('creates, lists and expires silences with amtool-style matchers', async () => {
    const created = await cli.run([
      'silence',
      'create',
      'alertname=NodeDown',
      'severity=~"page|critical"',
      '--team',
      'ops',
      '--duration',
      '2h',
      '--comment',
      'replacing the disk',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const listed = await cli.run(['silence', 'list', '--team', 'ops']);
    expect(listed.stdout).toMatch(
      new RegExp(
        `${id}\\s+alertname="NodeDown",severity=~"page\\|critical"\\s+active\\s+in 1h\\s+admin\\s+replacing the disk`,
      ),
    );
    const expired = await cli.run(['silence', 'expire', id, '--team', 'ops']);
    expect(expired.stdout).toBe(`silence ${id} expired\n`);
    expect((await cli.run(['silence', 'list', '--team', 'ops'])).stderr).toBe('No silences.\n');
    const old = await cli.run(['silence', 'list', '--team', 'ops', '--expired', '-o', 'json']);
    expect(JSON.parse(old.stdout).items.map((s: { id: string }) => s.id)).toEqual([id]);
    const bad = await cli.run(['silence', 'create', 'alertname', '--team', 'ops']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('invalid matcher');
  });
});
