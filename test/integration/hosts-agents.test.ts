import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host, HostList, JoinTokenCreated } from '@gantry/model';
import { Agent } from '@gantry/agent';
import { resolveConfig, startServer, type RunningServer } from '../../apps/server/src/index.ts';
import { Cli, GANTRY_BIN } from '../support/cli.ts';

const TEAM = 'default';

/** Retries an assertion until it holds or `ms` pass (state another process reaches in its own time). */
async function eventually(assertion: () => unknown, ms: number): Promise<void> {
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
const PASSWORD = 'test-admin-password';
let offset = 0;
const now = () => Date.now() + offset;
let dataDir: string;
let server: RunningServer;
let port = 0;
let token: string;
const dirs: string[] = [];
const children: ChildProcess[] = [];

async function start(): Promise<void> {
  server = await startServer(
    resolveConfig(
      {},
      {
        port,
        host: '127.0.0.1',
        dataDir,
        adminPassword: PASSWORD,
        logLevel: 'silent',
        agentHeartbeatSeconds: 1,
      },
    ),
    { now },
  );
  port = Number(new URL(server.url).port);
}

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function joinToken(input: Record<string, unknown> = {}): Promise<string> {
  const created = await api<JoinTokenCreated>('POST', `/api/teams/${TEAM}/join-tokens`, input);
  expect(created.status).toBe(201);
  return created.body.token;
}

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-agent-'));
  dirs.push(dir);
  return dir;
}

function startAgentProcess(
  name: string,
  joinTokenValue: string,
  dir: string,
): ChildProcess & { log: () => string } {
  const child = spawn(
    process.execPath,
    [
      GANTRY_BIN,
      'agent',
      '--server',
      server.url,
      '--join-token',
      joinTokenValue,
      '--work-dir',
      dir,
      '--name',
      name,
      '--labels',
      `rack=r${name.slice(-1)},role=test`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.push(child);
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  return Object.assign(child, { log: () => log });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gantry-hosts-'));
  await start();
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  token = ((await login.json()) as { token: string }).token;
  const created = await api('POST', '/apis/gantry.dev/v1alpha1/teams', {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name: TEAM },
    spec: { members: [] },
  });
  expect(created.status).toBe(201);
}, 60_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await server.close();
  for (const dir of [...dirs, dataDir]) rmSync(dir, { recursive: true, force: true });
});

describe('hosts and agents against a real server', () => {
  it('runs a dozen agent processes from the CLI, each with its own name, work dir and credential; deleting a host refuses its agent at once', async () => {
    const shared = await joinToken({ uses: 12, labels: { site: 'lab' } });
    const agents = Array.from({ length: 12 }, (_, i) => {
      const dir = workDir();
      return {
        name: `node-${String(i).padStart(2, '0')}`,
        dir,
        child: startAgentProcess(`node-${String(i).padStart(2, '0')}`, shared, dir),
      };
    });
    await eventually(async () => {
      const list = await api<HostList>('GET', `/api/teams/${TEAM}/hosts?status=Online`);
      expect(list.body.items.map((host) => host.name).sort()).toEqual(agents.map((a) => a.name));
    }, 60_000);
    const list = (await api<HostList>('GET', `/api/teams/${TEAM}/hosts`)).body.items;
    expect(new Set(list.map((host) => host.credentialId)).size).toBe(12);
    for (const host of list) {
      expect(host.connected).toBe(true);
      expect(host.labels).toMatchObject({ site: 'lab', role: 'test' });
      expect(host.facts?.cpus).toBeGreaterThan(0);
      expect(host.facts?.memoryBytes).toBeGreaterThan(0);
    }
    for (const agent of agents) expect(statSync(join(agent.dir, 'credential.json')).mode & 0o777).toBe(0o600);
    // Label selector and pagination.
    const page = await api<HostList>('GET', `/api/teams/${TEAM}/hosts?labelSelector=rack%3Dr1&limit=1`);
    expect(page.body.items.map((host) => host.name)).toEqual(['node-01']);
    expect(page.body.continue).toBeDefined();
    const rest = await api<HostList>(
      'GET',
      `/api/teams/${TEAM}/hosts?labelSelector=rack%3Dr1&continue=${page.body.continue}`,
    );
    expect(rest.body.items.map((host) => host.name)).toEqual(['node-11']);
    // A HostGroup: its selector, with labelSelector on top; a bad selector is refused at its path.
    const group = (name: string, selector: string) =>
      api<{ code?: string; details?: { path: string }[] }>(
        'POST',
        `/apis/gantry.dev/v1alpha1/teams/${TEAM}/hostgroups`,
        {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'HostGroup',
          metadata: { name, team: TEAM },
          spec: { selector },
        },
      );
    expect((await group('rack-two', 'rack in (r2,r3)')).status).toBe(201);
    const bad = await group('broken', 'rack in (r2');
    expect(bad).toMatchObject({
      status: 400,
      body: { code: 'GANTRY_E_BAD_SELECTOR', details: [{ path: '/spec/selector' }] },
    });
    const grouped = await api<HostList>(
      'GET',
      `/api/teams/${TEAM}/hosts?group=rack-two&labelSelector=rack%21%3Dr3`,
    );
    expect(grouped.body.items.map((host) => host.name)).toEqual(['node-02']);
    expect((await api('GET', `/api/teams/${TEAM}/hosts?group=nope`)).status).toBe(404);

    // The link to the Kubernetes node of the same name, in a cluster of the team (not of another team).
    const at = new Date().toISOString();
    await server.store.inventory.apply(
      [
        {
          op: 'upsert',
          item: { cluster: `${TEAM}/c1`, kind: 'Node', namespace: '', name: 'node-05', uid: 'u5', data: {} },
        },
        {
          op: 'upsert',
          item: { cluster: 'other/c2', kind: 'Node', namespace: '', name: 'node-06', uid: 'u6', data: {} },
        },
      ],
      at,
    );
    expect((await api<Host>('GET', `/api/teams/${TEAM}/hosts/node-05`)).body.node).toEqual({
      cluster: 'c1',
      node: 'node-05',
    });
    expect((await api<Host>('GET', `/api/teams/${TEAM}/hosts/node-06`)).body.node).toBeNull();
    const back = await api<HostList>('GET', `/api/teams/${TEAM}/clusters/c1/nodes/node-05/hosts`);
    expect(back.body.items.map((host) => host.name)).toEqual(['node-05']);
    expect(
      (await api<HostList>('GET', `/api/teams/${TEAM}/clusters/c1/nodes/node-06/hosts`)).body.items,
    ).toEqual([]);

    // The join token is used up.
    const tokens = await api<{ items: { state: string; uses: number }[] }>(
      'GET',
      `/api/teams/${TEAM}/join-tokens`,
    );
    expect(tokens.body.items[0]).toMatchObject({ state: 'UsedUp', uses: 12 });

    const victim = agents[3]!;
    const deletedAt = Date.now();
    expect((await api<Host>('DELETE', `/api/teams/${TEAM}/hosts/${victim.name}`)).status).toBe(200);
    expect(await exitCode(victim.child)).toBe(3);
    expect(Date.now() - deletedAt).toBeLessThan(5_000);
    expect(victim.child.log()).toMatch(/refused credential/);
    expect(server.hosts.hub.connected(TEAM, victim.name)).toBe(false);
    expect(server.hosts.hub.connected(TEAM, agents[4]!.name)).toBe(true);
    for (const agent of agents) agent.child.kill('SIGTERM');
    for (const agent of agents) expect(await exitCode(agent.child)).not.toBeNull();
  }, 120_000);

  it('refuses a join token that is expired, used up or revoked, with its own code', async () => {
    const join = (tokenValue: string, name: string) =>
      fetch(`${server.url}/api/agent/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: tokenValue, name, agentVersion: 'test' }),
      }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { code: string },
      }));
    const once = await joinToken();
    expect((await join(once, 'first')).status).toBe(200);
    expect(await join(once, 'second')).toMatchObject({
      status: 401,
      body: { code: 'GANTRY_E_JOIN_TOKEN_USED_UP' },
    });
    const revoked = await joinToken();
    expect((await api('DELETE', `/api/teams/${TEAM}/join-tokens/${revoked.split('.')[0]}`)).status).toBe(200);
    expect(await join(revoked, 'third')).toMatchObject({
      status: 401,
      body: { code: 'GANTRY_E_JOIN_TOKEN_REVOKED' },
    });
    const expiring = await joinToken({ ttlSeconds: 60 });
    offset += 61_000;
    try {
      expect(await join(expiring, 'fourth')).toMatchObject({
        status: 401,
        body: { code: 'GANTRY_E_JOIN_TOKEN_EXPIRED' },
      });
    } finally {
      offset -= 61_000;
    }
    expect((await api('POST', '/api/teams/nosuchteam/join-tokens', {})).status).toBe(404);
    expect(await join('jt0000000000000000.not-a-real-secret-at-all', 'fifth')).toMatchObject({
      status: 401,
      body: { code: 'GANTRY_E_UNAUTHENTICATED' },
    });
    expect((await api('DELETE', `/api/teams/${TEAM}/hosts/first`)).status).toBe(200);
  });

  it('carries channel messages both ways; a cut-off agent buffers reports and delivers each once, in order, after the server restarts; its clock an hour off changes nothing', async () => {
    const received: unknown[] = [];
    const subscribe = () =>
      server.hosts.hub.onMessage('test', (from, body) => {
        expect(from).toEqual({ team: TEAM, host: 'skewed' });
        received.push(body);
      });
    subscribe();
    const inbox: unknown[] = [];
    const skewedDir = workDir();
    const agent = new Agent({
      server: server.url,
      joinToken: await joinToken(),
      workDir: skewedDir,
      name: 'skewed',
      labels: {},
      version: 'test',
      now: () => Date.now() - 3_600_000,
      backoffBaseMs: 100,
      backoffCapMs: 500,
    });
    agent.registerChannel('test', (body) => void inbox.push(body));
    await agent.start();
    await agent.whenConnected();
    expect(agent.clockSkewMs).toBeGreaterThan(3_590_000);
    const host = (await api<Host>('GET', `/api/teams/${TEAM}/hosts/skewed`)).body;
    expect(host.status).toBe('Online');
    expect(Math.abs(Date.parse(host.lastHeartbeat!) - Date.now())).toBeLessThan(10_000);

    expect(await server.hosts.hub.send(TEAM, 'skewed', 'test', { n: 1 })).toBe(true);
    expect(await server.hosts.hub.send(TEAM, 'nobody', 'test', { n: 1 })).toBe(false);
    await eventually(() => expect(inbox).toEqual([{ n: 1 }]), 10_000);
    await agent.report('test', { r: 1 });
    await eventually(() => expect(received).toEqual([{ r: 1 }]), 10_000);

    // Cut off: the server stops; reports wait in the work dir; a message is queued before the restart.
    await server.close();
    for (let i = 2; i <= 6; i++) await agent.report('test', { r: i });
    expect(agent.connected).toBe(false);
    await start();
    subscribe();
    expect(await server.hosts.hub.send(TEAM, 'skewed', 'test', { n: 2 })).toBe(true);
    await eventually(() => expect(received).toEqual([1, 2, 3, 4, 5, 6].map((r) => ({ r }))), 30_000);
    await eventually(() => expect(inbox).toEqual([{ n: 1 }, { n: 2 }]), 30_000);
    await agent.stop();
    // Messages queued while the agent is stopped, more than one batch (500), arrive whole and in order
    // when it starts again from its work dir (no join token: its credential is there).
    for (let n = 3; n <= 700; n++) await server.hosts.hub.send(TEAM, 'skewed', 'test', { n });
    const again = new Agent({
      server: server.url,
      workDir: skewedDir,
      name: 'skewed',
      labels: {},
      version: 'test',
    });
    again.registerChannel('test', (body) => void inbox.push(body));
    await again.start();
    await eventually(
      () => expect(inbox).toEqual(Array.from({ length: 700 }, (_, i) => ({ n: i + 1 }))),
      30_000,
    );
    await again.stop();
  }, 90_000);

  it('acknowledges a report only once its group commit succeeded: after a failed batch it comes again, and is applied once', async () => {
    let failing = true;
    /** Reports whose write failed alone (a failed batch is tried again one report at a time). */
    const failedAlone = new Set<unknown>();
    const applied: unknown[] = [];
    const off = server.hosts.hub.onReports('batch', (reports) => {
      if (failing) {
        if (reports.length === 1) failedAlone.add((reports[0]!.body as { b: number }).b);
        return Promise.reject(new Error('the database is away'));
      }
      for (const report of reports) applied.push(report.body);
      return Promise.resolve();
    });
    const agent = new Agent({
      server: server.url,
      joinToken: await joinToken(),
      workDir: workDir(),
      name: 'batcher',
      labels: {},
      version: 'test',
      backoffBaseMs: 100,
      backoffCapMs: 300,
    });
    await agent.start();
    await agent.whenConnected();
    for (let b = 1; b <= 5; b++) await agent.report('batch', { b });
    await eventually(() => expect(failedAlone.size).toBe(5), 10_000);
    expect(applied).toEqual([]);
    // Not acknowledged, so the agent still has them: it sends them again on its next connection.
    failing = false;
    await server.hosts.hub.disconnectAll();
    await eventually(() => expect(applied).toEqual([1, 2, 3, 4, 5].map((b) => ({ b }))), 20_000);
    // Acknowledged now: another reconnect sends nothing again, and a repeat would be dropped by receipt.
    await server.hosts.hub.disconnectAll();
    await agent.whenConnected();
    await agent.report('batch', { b: 6 });
    await eventually(() => expect(applied).toHaveLength(6), 10_000);
    expect(applied).toEqual([1, 2, 3, 4, 5, 6].map((b) => ({ b })));
    off();
    await agent.stop();
  }, 60_000);

  it('marks a silent host Offline with a Warning event and the hook, and Online again when it comes back', async () => {
    const offline: string[] = [];
    const online: string[] = [];
    server.hosts.hub.onHostOffline((host) => offline.push(host.name));
    server.hosts.hub.onHostOnline((host) => online.push(host.name));
    const agent = new Agent({
      server: server.url,
      joinToken: await joinToken(),
      workDir: workDir(),
      name: 'quiet',
      labels: {},
      version: 'test',
    });
    await agent.start();
    await agent.whenConnected();
    await eventually(() => expect(online).toContain('quiet'), 10_000);
    await agent.stop();
    await server.hosts.hub.flush();
    offset += 10 * 60_000;
    try {
      await server.hosts.hub.sweep();
    } finally {
      offset -= 10 * 60_000;
    }
    expect(offline).toContain('quiet');
    const host = (await api<Host>('GET', `/api/teams/${TEAM}/hosts/quiet`)).body;
    expect(host).toMatchObject({ status: 'Offline', connected: false });
    await eventually(async () => {
      const events = await api<{ items: { reason: string; type: string }[] }>(
        'GET',
        `/api/events?team=${TEAM}&kind=Host&name=quiet&source=gantry`,
      );
      expect(events.body.items.map((event) => `${event.type}/${event.reason}`)).toEqual(
        expect.arrayContaining(['Normal/HostOnline', 'Warning/HostOffline']),
      );
    }, 10_000);
  }, 60_000);
  it('rotates the credential by the server clock (the old one works for its grace period), and brings a host marked Offline back Online on its heartbeats', async () => {
    const dir = workDir();
    const agent = new Agent({
      server: server.url,
      joinToken: await joinToken(),
      workDir: dir,
      name: 'rotating',
      labels: {},
      version: 'test',
    });
    await agent.start();
    await agent.whenConnected();
    const before = JSON.parse(readFileSync(join(dir, 'credential.json'), 'utf8')) as {
      credential: string;
      credentialId: string;
    };
    const day = 25 * 3_600_000;
    offset += day;
    try {
      // (The admin's session has expired on this clock: the checks go to the services.)
      // Every heartbeat now looks a day old: the sweep marks the host Offline; its next heartbeats bring it back.
      await server.hosts.hub.sweep();
      expect((await server.hosts.hosts.get(TEAM, 'rotating')).status).toBe('Offline');
      await eventually(async () => {
        await server.hosts.hub.flush();
        expect((await server.hosts.hosts.get(TEAM, 'rotating')).status).toBe('Online');
      }, 10_000);
      // The agent learns the server's time from its answers: a day on, it rotates.
      await eventually(() => expect(agent.credentialId).not.toBe(before.credentialId), 10_000);
      const after = JSON.parse(readFileSync(join(dir, 'credential.json'), 'utf8')) as {
        credentialId: string;
      };
      expect(after.credentialId).toBe(agent.credentialId);
      expect(statSync(join(dir, 'credential.json')).mode & 0o777).toBe(0o600);
      expect((await server.hosts.hosts.get(TEAM, 'rotating')).credentialId).toBe(after.credentialId);
      expect(agent.connected).toBe(true);
      expect((await server.hosts.access.authenticate(`Bearer ${before.credential}`)).id).toBe(
        before.credentialId,
      );
      offset += 11 * 60_000;
      await expect(server.hosts.access.authenticate(`Bearer ${before.credential}`)).rejects.toThrow(
        /expired/,
      );
    } finally {
      offset = 0;
    }
    await agent.stop();
  }, 60_000);

  it('works from the CLI: join-token create, list and revoke; get, describe and delete host', async () => {
    const cli = new Cli(workDir());
    const login = await cli.run(
      ['login', '--server', server.url, '--username', 'admin', '--password-stdin'],
      {
        stdin: `${PASSWORD}\n`,
      },
    );
    expect(login.code).toBe(0);
    const created = await cli.run([
      'join-token',
      'create',
      '--uses',
      '2',
      '--ttl',
      '1h',
      '--labels',
      'site=cli',
    ]);
    expect(created.code).toBe(0);
    const tokenValue = created.stdout.trim();
    expect(tokenValue).toMatch(/^jt[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain(`gantry agent --server ${server.url} --join-token ${tokenValue}`);
    const agentDir = workDir();
    const child = startAgentProcess('cli-host', tokenValue, agentDir);
    await eventually(async () => {
      const got = await cli.run(['get', 'hosts', '-l', 'site=cli', '--status', 'Online']);
      expect(got.stderr).toBe('');
      expect(got.stdout).toMatch(
        /^NAME\s+STATUS\s+SINCE\s+OS\s+CPUS\s+MEMORY\s+AGENT\s+NODE\ncli-host\s+Online\s/,
      );
    }, 30_000);
    const described = await cli.run(['describe', 'host', 'cli-host']);
    expect(described.stdout).toMatch(/Name:\s+cli-host\nTeam:\s+default\nStatus:\s+Online/);
    expect(described.stdout).toMatch(/Labels:\s+\n {2}site=cli\n {2}rack=rt\n {2}role=test/);
    expect(described.stdout).toContain('Facts:');

    const id = tokenValue.split('.')[0]!;
    expect((await cli.run(['join-token', 'list'])).stdout).toMatch(new RegExp(`${id}\\s+Active\\s+1/2`));
    expect((await cli.run(['join-token', 'revoke', id])).stdout).toBe(`join token ${id} revoked\n`);
    expect((await cli.run(['join-token', 'list'])).stdout).toMatch(new RegExp(`${id}\\s+Revoked`));

    const audit = await api<{ items: { action: string; kind: string; name: string; actor: string }[] }>(
      'GET',
      `/api/audit?team=${TEAM}&kind=JoinToken&name=${id}`,
    );
    expect(audit.body.items.map((entry) => `${entry.actor} ${entry.action}`)).toEqual([
      'admin revoke',
      'admin create',
    ]);
    const deleted = await cli.run(['delete', 'host', 'cli-host']);
    expect(deleted).toMatchObject({ code: 0, stdout: 'host/cli-host deleted (credential revoked)\n' });
    expect(await exitCode(child)).toBe(3);
    const missing = await cli.run(['describe', 'host', 'cli-host']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('host cli-host not found in team default');
    const hostAudit = await api<{ items: { action: string; actor: string }[] }>(
      'GET',
      `/api/audit?team=${TEAM}&kind=Host&name=cli-host`,
    );
    expect(hostAudit.body.items.map((entry) => `${entry.actor} ${entry.action}`)).toEqual([
      'admin delete',
      'agent:cli-host join',
    ]);
  }, 60_000);
});
