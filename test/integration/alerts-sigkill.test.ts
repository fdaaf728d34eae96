import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const started: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `gantry server` as its own process on `dataDir`; resolves with its URL once it listens. */
function startProcess(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], {
    env: {
      ...process.env,
      GANTRY_PORT: '0',
      GANTRY_LOG_LEVEL: 'warn',
      GANTRY_DATA_DIR: dataDir,
      GANTRY_ADMIN_PASSWORD: 'sigkill-admin-pw',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Gantry is running at (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1]! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

async function login(url: string): Promise<string> {
  const reply = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'sigkill-admin-pw' }),
  });
  return ((await reply.json()) as { token: string }).token;
}

describe('alert ingest and SIGKILL', () => {
  it('loses no acknowledged alert when the server is killed mid-ingest', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gantry-sigkill-'));
    dirs.push(dataDir);
    const first = await startProcess(dataDir);
    let token = await login(first.url);
    const created = await fetch(`${first.url}/apis/gantry.dev/v1alpha1/teams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Team',
        metadata: { name: 'ops' },
        spec: {},
      }),
    });
    expect(created.status).toBe(201);

    // Four clients post distinct alerts back to back; the server is killed while they do.
    const acknowledged: string[] = [];
    let next = 0;
    let killed = false;
    const client = async () => {
      while (!killed) {
        const names = Array.from({ length: 16 }, () => `A${next++}`);
        try {
          const reply = await fetch(`${first.url}/api/teams/ops/alertmanager/api/v2/alerts`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify(names.map((alertname) => ({ labels: { alertname } }))),
          });
          if (reply.status === 200) acknowledged.push(...names);
        } catch {
          return; // the connection died with the server
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);
    while (acknowledged.length < 400) await new Promise((resolve) => setTimeout(resolve, 5));
    first.child.kill('SIGKILL');
    killed = true;
    await Promise.all(clients);

    const second = await startProcess(dataDir);
    token = await login(second.url);
    const stored = new Set<string>();
    let continueToken: string | undefined;
    do {
      const reply = await fetch(
        `${second.url}/api/teams/ops/alerts?limit=5000${continueToken ? `&continue=${continueToken}` : ''}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      const page = (await reply.json()) as { items: { labels: { alertname: string } }[]; continue?: string };
      for (const item of page.items) stored.add(item.labels.alertname);
      continueToken = page.continue;
    } while (continueToken);
    expect(acknowledged.length).toBeGreaterThanOrEqual(400);
    expect(acknowledged.filter((name) => !stored.has(name))).toEqual([]);
  });
});
