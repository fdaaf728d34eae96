import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChangeStatus, JobRun } from '@gantry/model';
import { GANTRY_BIN } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { freePort } from '../support/monitoring.ts';

const TEAM = 'ops';
const HOSTS = ['host-01', 'host-02', 'host-03', 'host-04'];
const PASSWORD = 'sigkill-admin-pw';

const children: ChildProcess[] = [];
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** `gantry server` as its own process; resolves once it listens. */
function startServerProcess(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], {
    env: {
      ...process.env,
      GANTRY_PORT: String(port),
      GANTRY_LOG_LEVEL: 'warn',
      GANTRY_DATA_DIR: dataDir,
      GANTRY_ADMIN_PASSWORD: PASSWORD,
      GANTRY_CHANGE_POLL_MS: '100',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Gantry is running at')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => reject(new Error(`server exited (${code ?? signal}): ${output}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * The change engine's journal against real processes (ADR 0026): a server on SQLite runs a jobRun change
 * over four real `gantry agent` processes, one host per batch, each batch observed for 2 s; the server is
 * SIGKILLed while a batch applies, while one is observed, and as the next starts, and started again on
 * the same data. Each time the new process carries on from the journal: the change succeeds, every host ran
 * the template exactly once (one job run, made under the step's key), and no observation ended before its
 * stored end.
 */
describe('a change across SIGKILL of the server', () => {
  it(
    'resumes from its journal after each kill: every host changed once, none skipped',
    { timeout: 180_000 },
    async () => {
      const dataDir = tempDir('gantry-changes-sigkill-');
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      let server = await startServerProcess(dataDir, port);
      const login = async () =>
        client(
          url,
          (await client(url).post('/api/auth/login', { username: 'admin', password: PASSWORD })).body.token,
        );
      let api = await login();
      expect((await api.post(`${BASE}/teams`, team(TEAM))).status).toBe(201);
      const token = await api.post(`/api/teams/${TEAM}/join-tokens`, { uses: HOSTS.length });
      expect(token.status).toBe(201);
      for (const host of HOSTS) {
        const agent = spawn(
          process.execPath,
          [
            GANTRY_BIN,
            'agent',
            '--server',
            url,
            '--join-token',
            token.body.token,
            '--work-dir',
            tempDir('gantry-agent-'),
            '--name',
            host,
          ],
          { stdio: ['ignore', 'ignore', 'ignore'] },
        );
        children.push(agent);
      }
      await eventually(
        async () =>
          (await api.get(`/api/teams/${TEAM}/hosts`)).body.items as {
            name: string;
            status: string;
          }[],
        (items) => items.filter((host) => host.status === 'Online').length === HOSTS.length,
        30_000,
      );
      expect(
        (
          await api.post(`${BASE}/teams/${TEAM}/jobtemplates`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'JobTemplate',
            metadata: { name: 'mark' },
            spec: { script: { interpreter: 'sh', source: 'echo "marked $GANTRY_TARGET"; sleep 1' } },
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await api.post(`${BASE}/teams/${TEAM}/changes`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'Change',
            metadata: { name: 'mark-all' },
            spec: {
              jobRun: { template: 'mark' },
              targets: { names: HOSTS },
              plan: { batches: [{ size: '1', bake: '2s', repeat: true }] },
            },
          })
        ).status,
      ).toBe(201);

      const status = async () =>
        (await api.get(`${BASE}/teams/${TEAM}/changes/mark-all`)).body?.status as ChangeStatus | undefined;
      // Where to kill: a batch applying (its host's job in flight), a batch observed, the next batch starting.
      const killPoints: ((current: ChangeStatus) => boolean)[] = [
        (current) => current.batches?.[0]?.phase === 'Applying',
        (current) => current.batches?.[1]?.phase === 'Observing',
        (current) =>
          current.batches?.[2]?.phase === 'Applying' || current.batches?.[2]?.phase === 'Observing',
      ];
      for (const killPoint of killPoints) {
        const atKill = await eventually(
          status,
          (current) => current !== undefined && killPoint(current),
          60_000,
          10,
        );
        await killed(server);
        server = await startServerProcess(dataDir, port);
        api = await login();
        // The new process carries on from the journal: more steps than there were at the kill.
        await eventually(
          status,
          (current) => (current?.journalEntries ?? 0) > (atKill!.journalEntries ?? 0),
          30_000,
          20,
        );
      }

      const done = await eventually(
        status,
        (current) => current?.phase === 'Succeeded' || current?.phase === 'Failed',
        60_000,
      );
      expect(done!.phase).toBe('Succeeded');
      expect(done!.batches!.map((batch) => batch.entities)).toEqual(HOSTS.map((host) => [host]));
      for (const batch of done!.batches!) {
        expect(batch.phase).toBe('Completed');
        expect(Date.parse(batch.completedAt!)).toBeGreaterThanOrEqual(Date.parse(batch.observeUntil!));
      }
      const runs = (await api.get(`/api/jobs/runs?team=${TEAM}&limit=100`)).body.items as JobRun[];
      expect(runs.map((run) => run.targets.hosts![0]).sort()).toEqual(HOSTS);
      expect(
        runs.every((run) => run.state === 'Succeeded' && run.createdBy.startsWith('change/mark-all#')),
      ).toBe(true);
    },
  );
});
