import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cli } from '../support/cli.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** `gantry exceptions` and `gantry failures`, run as users run them, against a real server. */
describe('gantry exceptions and gantry failures', () => {
  let server: TestServer;
  let dir: string;
  let cli: Cli;
  const ids: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'gantry-exceptions-cli-'));
    cli = new Cli(dir);
    const admin = client(server.url, server.adminToken);
    expect((await admin.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    for (const title of ['checkout slow', 'rack r1 down']) {
      const created = await admin.post('/api/teams/ops/exceptions', {
        title,
        severity: 'major',
        entities: [{ kind: 'Node', name: 'w-3', cluster: 'east' }],
      });
      expect(created.status).toBe(201);
      ids.push(created.body.id as string);
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

  it('lists, acts, merges and shows the timeline', async () => {
    const [first, second] = ids as [string, string];
    const table = await cli.run(['exceptions', '--team', 'ops']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+SEVERITY\s+LEVEL\s+AGE\s+ALERTS\s+ASSIGNEE\s+TITLE$/);
    expect(lines).toHaveLength(3);
    expect((await cli.run(['exceptions', 'ack', first, '--team', 'ops', '--reason', 'on it'])).stdout).toBe(
      `exception/${first} acknowledged\n`,
    );
    const again = await cli.run(['exceptions', 'ack', first, '--team', 'ops']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('acknowledged');
    expect((await cli.run(['exceptions', 'assign', first, 'admin', '--team', 'ops'])).code).toBe(0);
    expect((await cli.run(['exceptions', 'comment', first, 'rolled', 'back', '--team', 'ops'])).code).toBe(0);
    expect((await cli.run(['exceptions', 'merge', first, second, '--team', 'ops'])).stdout).toBe(
      `exception/${second} merged into exception/${first}\n`,
    );
    expect((await cli.run(['exceptions', 'resolve', first, '--team', 'ops'])).code).toBe(0);
    expect((await cli.run(['exceptions', 'reopen', first, '--team', 'ops'])).code).toBe(0);
    const shown = await cli.run(['exceptions', 'get', first, '--team', 'ops']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('assignee:  admin');
    expect(shown.stdout).toMatch(/comment\s+admin\s+rolled back/);
    expect(shown.stdout).toMatch(/state-changed\s+admin\s+acknowledged — on it/);
    const json = JSON.parse(
      (await cli.run(['exceptions', 'list', '--team', 'ops', '--state', 'all', '-o', 'json'])).stdout,
    ) as {
      items: { id: string; state: string }[];
    };
    expect(json.items.map((item) => [item.id, item.state])).toEqual([
      [second, 'merged'],
      [first, 'open'],
    ]);
    const failures = await cli.run(['failures', '--team', 'ops']);
    expect(failures.code).toBe(0);
    expect(failures.stderr).toBe('No failures found.\n');
  });
});
