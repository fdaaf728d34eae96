import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** `gantry change`, run as users run it, against a real server whose engine runs the changes. */
describe('gantry change', () => {
  let server: TestServer;
  let dir: string;
  let cli: Cli;
  let admin: ReturnType<typeof client>;

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'gantry-change-cli-'));
    cli = new Cli(dir);
    admin = client(server.url, server.adminToken);
    expect((await admin.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    const object = (kind: string, name: string, spec: unknown) => ({
      apiVersion: 'gantry.dev/v1alpha1',
      kind,
      metadata: { name },
      spec,
    });
    expect(
      (
        await admin.post(
          `${BASE}/teams/ops/changewindows`,
          object('ChangeWindow', 'new-year', { allow: [{ cron: '0 3 1 1 *', duration: '1h' }] }),
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await admin.post(
          `${BASE}/teams/ops/changes`,
          object('Change', 'cordon-all', {
            nodeOperation: { operation: 'cordon' },
            targets: { selector: 'pool=batch' },
            windows: ['new-year'],
          }),
        )
      ).status,
    ).toBe(201);
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

  it('gets, describes, pauses, resumes and aborts a change; stops and releases the line', async () => {
    await eventually(
      async () => (await admin.get(`${BASE}/teams/ops/changes/cordon-all`)).body.status?.phase,
      (phase) => phase === 'Waiting',
    );
    const table = await cli.run(['change', 'get', '--team', 'ops']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+ACTION\s+PHASE\s+BATCH\s+TARGETS\s+AGE\s+MESSAGE$/);
    expect(lines[1]).toMatch(/^cordon-all\s+cordon nodes\s+Waiting\s+.*outside its allowed windows until/);

    const noReason = await cli.run(['change', 'pause', 'cordon-all', '--team', 'ops']);
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain('--reason');
    const paused = await cli.run(['change', 'pause', 'cordon-all', '--team', 'ops', '--reason', 'hold on']);
    expect(paused.stdout).toBe(
      'change/cordon-all pause requested by admin (the engine acts at its next step)\n',
    );
    await eventually(
      async () => (await cli.run(['change', 'describe', 'cordon-all', '--team', 'ops'])).stdout,
      (text) => text.includes('Paused:      by admin'),
    );
    const described = await cli.run(['change', 'describe', 'cordon-all', '--team', 'ops']);
    expect(described.stdout).toContain('Plan:        1 then 30m, 10% then 10m, 10%… then 5m; 1 at once');
    expect(described.stdout).toContain('Windows:     new-year');
    expect(described.stdout).toMatch(/^Paused: {6}by admin at \S+: hold on$/m);
    expect(described.stdout).toMatch(/0\s+\S+\s+Paused\s+.*admin: hold on/);
    const twice = await cli.run(['change', 'pause', 'cordon-all', '--team', 'ops', '--reason', 'again']);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('paused already');
    expect((await cli.run(['change', 'resume', 'cordon-all', '--team', 'ops', '--reason', 'go'])).code).toBe(
      0,
    );

    const stopped = await cli.run(['change', 'stop-the-line', '--fleet', '--reason', 'incident 9']);
    expect(stopped.stdout).toBe('line of the fleet stopped by admin: every change halts at its next step\n');
    const line = await cli.run(['change', 'line', '--team', 'ops']);
    expect(line.stdout).toMatch(/fleet\s+STOPPED\s+admin\s+\S+\s+incident 9/);
    const released = await cli.run(['change', 'release-the-line', '--fleet', '--reason', 'over']);
    expect(released.stdout).toBe('line of the fleet released (1 stop(s))\n');

    // Approve, reject and roll back are refused with the reason while nothing waits and nothing started.
    const approve = await cli.run(['change', 'approve', 'cordon-all', '--team', 'ops', '--reason', 'ok']);
    expect(approve.code).not.toBe(0);
    expect(approve.stderr).toContain('has no batch waiting for an approval');
    const rollback = await cli.run(['change', 'rollback', 'cordon-all', '--team', 'ops', '--reason', 'undo']);
    expect(rollback.code).not.toBe(0);
    expect(rollback.stderr).toContain('cannot roll back: it has not started');
    expect((await cli.run(['change', 'reject', 'cordon-all', '--team', 'ops'])).stderr).toContain(
      "required option '--reason <text>'",
    );

    expect(
      (await cli.run(['change', 'abort', 'cordon-all', '--team', 'ops', '--reason', 'not needed'])).code,
    ).toBe(0);
    await eventually(
      async () => (await cli.run(['change', 'get', 'cordon-all', '--team', 'ops', '-o', 'json'])).stdout,
      (text) => (JSON.parse(text) as { status?: { phase?: string } }).status?.phase === 'Aborted',
    );
    expect((await cli.run(['change', 'get', '--team', 'ops', '-o', 'name'])).stdout).toBe(
      'change/cordon-all\n',
    );
  });
});
