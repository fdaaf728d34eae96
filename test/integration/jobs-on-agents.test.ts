import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord, JobOutputPage, JobRunWithTargets, JoinTokenCreated } from '@gantry/model';
import { GANTRY_BIN } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Hosts and jobs together, on real parts: `gantry agent` processes join a real server with a join
 * token, a JobTemplate runs on them through the agent hub (WebSocket) as real processes, and their
 * output and results come back; an agent that stops heartbeating raises a HostOffline alert.
 */
describe('jobs on real agents', () => {
  let gantry: TestServer;
  let api: ReturnType<typeof client>;
  const agents: ChildProcess[] = [];

  const dirs = new Map<string, string>();

  /** Starts an agent; without a join token it comes back with the credential in its work dir. */
  function startAgent(name: string, joinToken?: string): ChildProcess {
    let dir = dirs.get(name);
    if (dir === undefined) dirs.set(name, (dir = mkdtempSync(join(tmpdir(), 'gantry-agent-'))));
    const args = ['agent', '--server', gantry.url, '--work-dir', dir, '--name', name];
    if (joinToken) args.push('--join-token', joinToken);
    const child = spawn(process.execPath, [GANTRY_BIN, ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
    agents.push(child);
    return child;
  }

  beforeAll(async () => {
    gantry = await startTestServer({ config: { agentHeartbeatSeconds: 1, hostOfflineAfterSeconds: 3 } });
    api = client(gantry.url, gantry.adminToken);
    expect((await api.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    const token = await api.post('/api/teams/ops/join-tokens', { uses: 3 });
    expect(token.status).toBe(201);
    for (const name of ['web-1', 'web-2', 'web-3']) startAgent(name, (token.body as JoinTokenCreated).token);
    await eventually(
      async () => (await api.get('/api/teams/ops/hosts')).body.items as { status: string }[],
      (items) => items.length === 3 && items.every((host) => host.status === 'Online'),
      30_000,
      100,
    );
  }, 60_000);

  afterAll(async () => {
    for (const child of agents) child.kill('SIGTERM');
    await gantry?.close();
    for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a template on every agent and collects each output and exit code', async () => {
    const template = await api.post(`${BASE}/teams/ops/jobtemplates`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'JobTemplate',
      metadata: { name: 'hello' },
      spec: {
        script: {
          interpreter: 'sh',
          source: 'echo "hello from $GANTRY_TARGET"; [ "$GANTRY_TARGET" != web-3 ]',
        },
      },
    });
    expect(template.status).toBe(201);
    const created = await api.post('/api/jobs/runs', {
      team: 'ops',
      template: 'hello',
      targets: { hosts: ['web-1', 'web-2', 'web-3'] },
      concurrency: 2,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const run = await eventually(
      async () => (await api.get(`/api/jobs/runs/${created.body.id}`)).body as JobRunWithTargets,
      (body) => body.state !== 'Running',
      60_000,
      100,
    );
    expect(run.targetList.map((target) => [target.target, target.state, target.exitCode]).sort()).toEqual([
      ['web-1', 'succeeded', 0],
      ['web-2', 'succeeded', 0],
      ['web-3', 'failed', 1],
    ]);
    const output = (await api.get(`/api/jobs/runs/${created.body.id}/output`)).body as JobOutputPage;
    expect(output.chunks.map((chunk) => chunk.data).sort()).toEqual([
      'hello from web-1\n',
      'hello from web-2\n',
      'hello from web-3\n',
    ]);
  });

  it('raises a HostOffline alert when an agent stops, and resolves it when it is back', async () => {
    agents[0]!.kill('SIGKILL');
    const web1 = async () =>
      ((await api.get('/api/teams/ops/alerts')).body.items as AlertRecord[]).find(
        (alert) => alert.labels['alertname'] === 'HostOffline' && alert.labels['host'] === 'web-1',
      );
    const offline = await eventually(web1, (alert) => alert?.state === 'firing', 30_000, 100);
    expect(offline).toMatchObject({ labels: { severity: 'warning' }, source: 'gantry-rule' });
    startAgent('web-1');
    await eventually(web1, (alert) => alert?.state === 'resolved', 30_000, 100);
  });
});
