import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthStats } from '@gantry/model';
import { Cli } from '../support/cli.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** `gantry stats`, run as users run it, against a real server. */
describe('gantry stats', () => {
  let server: TestServer;
  let dir: string;
  let cli: Cli;

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'gantry-stats-cli-'));
    cli = new Cli(dir);
    const admin = client(server.url, server.adminToken);
    expect((await admin.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    for (const cluster of ['east', 'west']) {
      const created = await admin.post('/api/teams/ops/exceptions', {
        title: `${cluster} slow`,
        severity: 'major',
        entities: [{ kind: 'Node', name: 'w-3', cluster }],
      });
      expect(created.status).toBe(201);
      if (cluster === 'east')
        expect((await admin.post(`/api/teams/ops/exceptions/${created.body.id}/resolve`, {})).status).toBe(
          200,
        );
    }
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

  it('prints the figures per cluster with the total last', async () => {
    const result = await cli.run(['stats', '--team', 'ops', '--since', '1h', '--by', 'cluster']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^CLUSTER\s+FAILURES\s+ACKED\s+RESOLVED\s+MTTD\s+MTTA\s+MTTR\s+MTBF\s+DOWNTIME\s+AVAILABILITY$/,
    );
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 4))).toEqual([
      ['east', '1', '0', '1'],
      ['west', '1', '0', '0'],
      ['(total)', '2', '0', '1'],
    ]);
  });

  it('gives JSON with the metrics asked for, for every team at once', async () => {
    const result = await cli.run([
      'stats',
      '--all-teams',
      '--since',
      '2d',
      '--metrics',
      'count',
      '-o',
      'json',
    ]);
    expect(result.code).toBe(0);
    const stats = JSON.parse(result.stdout) as HealthStats;
    expect(stats.rangeMs).toBe(2 * 86_400_000);
    expect(stats.groups).toEqual([{ key: 'ops', failures: 2, detected: 0, acknowledged: 0, resolved: 1 }]);
  });

  it('refuses a bad metric with the parameter and what it takes', async () => {
    const result = await cli.run(['stats', '--team', 'ops', '--metrics', 'uptime']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('querystring/metrics: must be a list of count, mttd');
  });
});
