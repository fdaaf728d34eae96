import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '@gantry/agent';
import type { Host, JoinTokenCreated } from '@gantry/model';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** The hosts' team. */
async function createTeam(target: TestServer): Promise<void> {
  const response = await fetch(`${target.url}/apis/gantry.dev/v1alpha1/teams`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: 'default' },
      spec: { members: [] },
    }),
  });
  if (response.status !== 201) throw new Error(`team: ${response.status} ${await response.text()}`);
}

async function eventually(assertion: () => unknown, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Two servers on one PostgreSQL: an agent held by one is reached, and revoked, through the other. */
describe('host agents with two servers on one PostgreSQL', () => {
  let scratch: ScratchDatabase;
  let a: TestServer;
  let b: TestServer;
  let workDir: string;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    a = await startTestServer({ databaseUrl: scratch.url, config: { instanceId: 'a' } });
    b = await startTestServer({ databaseUrl: scratch.url, config: { instanceId: 'b' } });
    await createTeam(b);
    workDir = mkdtempSync(join(tmpdir(), 'gantry-pg-agent-'));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await scratch?.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('delivers a message sent on the other server, takes reports once, and a revoke on the other server closes the agent at once', async () => {
    const created = await fetch(`${b.url}/api/teams/default/join-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${b.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    const { token } = (await created.json()) as JoinTokenCreated;
    const inbox: unknown[] = [];
    const reports: unknown[] = [];
    for (const server of [a, b])
      server.server.hosts.hub.onMessage('test', (_from, body) => void reports.push(body));
    const agent = new Agent({
      server: a.url,
      joinToken: token,
      workDir,
      name: 'pg-host',
      labels: {},
      version: 'test',
    });
    agent.registerChannel('test', (body) => void inbox.push(body));
    await agent.start();
    await agent.whenConnected();
    await eventually(() => expect(b.server.hosts.hub.connected('default', 'pg-host')).toBe(true));
    expect(a.server.hosts.hub.size).toBe(1);
    expect(b.server.hosts.hub.size).toBe(0);

    expect(await b.server.hosts.hub.send('default', 'pg-host', 'test', { via: 'b' })).toBe(true);
    await eventually(() => expect(inbox).toEqual([{ via: 'b' }]));
    await agent.report('test', { from: 'agent' });
    await eventually(() => expect(reports).toEqual([{ from: 'agent' }]));

    const host = await fetch(`${b.url}/api/teams/default/hosts/pg-host`, {
      headers: { authorization: `Bearer ${b.adminToken}` },
    });
    expect(((await host.json()) as Host).connected).toBe(true);

    const deleted = await fetch(`${b.url}/api/teams/default/hosts/pg-host`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${b.adminToken}` },
    });
    expect(deleted.status).toBe(200);
    await expect(agent.finished()).rejects.toThrow(/refused credential/);
    await eventually(() => expect(a.server.hosts.hub.size).toBe(0));
    await eventually(() => expect(b.server.hosts.hub.connected('default', 'pg-host')).toBe(false));
  }, 60_000);
});
