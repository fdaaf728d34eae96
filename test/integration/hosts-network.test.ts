import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, AgentRefusedError } from '@gantry/agent';
import type { Host, JoinTokenCreated } from '@gantry/model';
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

let server: TestServer;
let dir: string;
let tlsFront: tls.Server;
let proxy: http.Server;
let serverUrl: string;
let proxyUrl: string;
const tunnels: string[] = [];
const dirs: string[] = [];

const listen = (target: net.Server): Promise<number> =>
  new Promise((resolve) =>
    target.listen(0, '127.0.0.1', () => resolve((target.address() as AddressInfo).port)),
  );

beforeAll(async () => {
  server = await startTestServer();
  await createTeam(server);
  dir = mkdtempSync(join(tmpdir(), 'gantry-tls-'));
  // A self-signed certificate for localhost: the CA the agent pins with --ca-file.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'ca.pem'),
    ],
    { stdio: 'ignore' },
  );
  const backend = Number(new URL(server.url).port);
  // TLS in front of the server (as a load balancer would be), passing the bytes on: requests and upgrades.
  tlsFront = tls.createServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.pem')) },
    (socket) => {
      const upstream = net.connect(backend, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    },
  );
  serverUrl = `https://localhost:${await listen(tlsFront)}`;
  // An HTTP proxy that only tunnels (CONNECT), as corporate proxies do.
  proxy = http.createServer((_request, response) => response.writeHead(405).end());
  proxy.on('connect', (request: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    tunnels.push(request.url ?? '');
    const [host, port] = (request.url ?? '').split(':');
    const upstream = net.connect(Number(port), host === 'localhost' ? '127.0.0.1' : host!, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
});

afterAll(async () => {
  await server.close();
  tlsFront.close();
  proxy.close();
  for (const path of [dir, ...dirs]) rmSync(path, { recursive: true, force: true });
});

async function joinToken(): Promise<string> {
  const response = await fetch(`${server.url}/api/teams/default/join-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ uses: 5 }),
  });
  return ((await response.json()) as JoinTokenCreated).token;
}

function agent(name: string, token: string, options: { caFile?: string; env: NodeJS.ProcessEnv }): Agent {
  const workDir = mkdtempSync(join(tmpdir(), 'gantry-net-agent-'));
  dirs.push(workDir);
  return new Agent({
    server: serverUrl,
    joinToken: token,
    workDir,
    name,
    labels: {},
    version: 'test',
    ...options,
  });
}

describe('the agent through TLS and an HTTP proxy', () => {
  it('joins and connects over TLS with a pinned CA, through HTTPS_PROXY with CONNECT', async () => {
    const through = agent('proxied', await joinToken(), {
      caFile: join(dir, 'ca.pem'),
      env: { HTTPS_PROXY: proxyUrl },
    });
    await through.start();
    await through.whenConnected();
    const target = new URL(serverUrl).host;
    expect(tunnels.filter((t) => t === target).length).toBeGreaterThanOrEqual(2);
    const host = await fetch(`${server.url}/api/teams/default/hosts/proxied`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(((await host.json()) as Host).status).toBe('Online');
    await through.stop();
  });

  it('goes direct for a server NO_PROXY names', async () => {
    const before = tunnels.length;
    const direct = agent('direct', await joinToken(), {
      caFile: join(dir, 'ca.pem'),
      env: { HTTPS_PROXY: proxyUrl, NO_PROXY: 'example.com,localhost' },
    });
    await direct.start();
    await direct.whenConnected();
    expect(tunnels.length).toBe(before);
    await direct.stop();
  });

  it('refuses a server whose certificate its CA did not sign', async () => {
    const unpinned = agent('unpinned', await joinToken(), { env: {} });
    const error = await unpinned.start().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(AgentRefusedError);
    expect((error as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });
});
