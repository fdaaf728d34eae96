import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, client, team } from '../support/http.ts';

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

/** Creates team `ops`; the answer's status. */
async function createTeam(url: string, token: string): Promise<number> {
  return (await client(url, token).post(`${BASE}/teams`, team('ops'))).status;
}

describe('alert ingest and SIGKILL', () => {
  it('loses no acknowledged alert when the server is killed mid-ingest', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gantry-sigkill-'));
    dirs.push(dataDir);
    const first = await startProcess(dataDir);
    let token = await login(first.url);
    expect(await createTeam(first.url, token)).toBe(201);

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

describe("alert ingest's thread and journal (ADR 0042) and SIGKILL", () => {
  it(
    'loses no acknowledged resend of an alert, with its changes in the journal',
    { timeout: 90_000 },
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'gantry-sigkill-journal-'));
      dirs.push(dataDir);
      const first = await startProcess(dataDir);
      let token = await login(first.url);
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
      expect(await createTeam(first.url, token)).toBe(201);
      const post = (alerts: unknown[]) =>
        fetch(`${first.url}/api/teams/ops/alertmanager/api/v2/alerts`, {
          method: 'POST',
          headers,
          body: JSON.stringify(alerts),
        });
      const NAMES = Array.from({ length: 200 }, (_, i) => `J${i}`);
      const startsAt = new Date().toISOString();
      const base = Date.now() + 3_600_000;
      const batch = (round: number) =>
        NAMES.map((alertname) => ({
          labels: { alertname },
          startsAt,
          endsAt: new Date(base + round * 1000).toISOString(),
        }));
      expect((await post(batch(0))).status).toBe(200);
      // Until the thread takes bodies: every resend from then on goes to the journal.
      for (;;) {
        const metrics = await (await fetch(`${first.url}/metrics`)).text();
        if (/^gantry_alerts_ingest_thread 1$/m.test(metrics)) break;
        expect((await post(batch(0))).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Resends with a later endsAt each round, two clients at once, each of half the alerts and one post
      // after the other (so its rounds are committed in order: of two posts of the same alerts in flight
      // at once, either may be committed last, and the last wins); killed meanwhile.
      const halves = [NAMES.slice(0, 100), NAMES.slice(100)];
      const acknowledged = [0, 0];
      let killed = false;
      const client = async (half: number) => {
        for (let round = 1; !killed; round++) {
          const alerts = batch(round).filter((alert) => halves[half]!.includes(alert.labels.alertname));
          try {
            if ((await post(alerts)).status === 200) acknowledged[half] = round;
          } catch {
            return;
          }
        }
      };
      const clients = [client(0), client(1)];
      while (Math.min(...acknowledged) < 10) await new Promise((resolve) => setTimeout(resolve, 5));
      first.child.kill('SIGKILL');
      killed = true;
      await Promise.all(clients);

      const second = await startProcess(dataDir);
      token = await login(second.url);
      const reply = await fetch(`${second.url}/api/teams/ops/alerts?limit=1000`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const stored = ((await reply.json()) as { items: { labels: { alertname: string }; endsAt: string }[] })
        .items;
      expect(stored.map((alert) => alert.labels.alertname).sort()).toEqual([...NAMES].sort());
      // Every alert ends no earlier than the last resend of it acknowledged (a later one may have
      // committed before its answer was lost).
      const acknowledgedEnd = (alertname: string) =>
        new Date(base + acknowledged[halves[0]!.includes(alertname) ? 0 : 1]! * 1000).toISOString();
      expect(stored.filter((alert) => alert.endsAt < acknowledgedEnd(alert.labels.alertname))).toEqual([]);
    },
  );
});
