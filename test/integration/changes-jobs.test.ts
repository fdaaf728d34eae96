import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAgentPort, MemoryHostDirectory } from '@gantry/jobs';
import { createAgentJobHandler, type AgentJobHandler } from '@gantry/jobs/agent';
import { JOBS_CHANNEL, type ChangeStatus, type JobRun } from '@gantry/model';
import { resolveConfig, startServer, type RunningServer } from '../../apps/server/src/index.ts';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';

const TEAM = 'ops';
const HOSTS = Array.from({ length: 10 }, (_, i) => `host-${String(i + 1).padStart(2, '0')}`);
const MINUTE = 60_000;

/**
 * A job run change end to end: a real server on an injected clock, agents in this process running real
 * shell scripts, the seed's plan (1 then 30 min, 10% then 10 min, the rest 10% at a time with 5 min
 * each) over the hosts a selector picks. The test moves the clock past each observation; every host
 * gets exactly one run, made by the change.
 */
describe('a jobRun change on agents, with the seed plan', () => {
  const port = new MemoryAgentPort();
  const hosts = new MemoryHostDirectory();
  const handlers: AgentJobHandler[] = [];
  const dirs: string[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-changes-jobs-'));
  let server: RunningServer;
  let api: ReturnType<typeof client>;
  let offset = 0;
  const now = () => Date.now() + offset;

  beforeAll(async () => {
    server = await startServer(
      resolveConfig(
        {},
        {
          port: 0,
          host: '127.0.0.1',
          dataDir,
          adminPassword: TEST_ADMIN_PASSWORD,
          logLevel: 'silent',
          changePollMs: 50,
          // The test moves the clock by up to 30 minutes at once: a lease that long outlives the jumps.
          leaseDurationMs: 24 * 3_600_000,
        },
      ),
      { jobs: { port, hosts }, now },
    );
    api = client(
      server.url,
      (await client(server.url).post('/api/auth/login', { username: 'admin', password: TEST_ADMIN_PASSWORD }))
        .body.token,
    );
    expect((await api.post(`${BASE}/teams`, team(TEAM))).status).toBe(201);
    HOSTS.forEach((host, i) => {
      hosts.add(TEAM, host, { role: i < 8 ? 'db' : 'web' });
      const workDir = mkdtempSync(join(tmpdir(), `gantry-agent-${host}-`));
      dirs.push(workDir);
      const link: { current?: ReturnType<MemoryAgentPort['connect']> } = {};
      const handler = createAgentJobHandler({
        workDir,
        killGraceMs: 200,
        report: (channel, body) => link.current?.report(channel, body),
      });
      handlers.push(handler);
      link.current = port.connect(TEAM, host, { [JOBS_CHANNEL]: (body) => handler.handle(body) });
    });
  });

  afterAll(async () => {
    for (const handler of handlers) await handler.stop();
    await server?.close();
    for (const dir of [...dirs, dataDir]) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'runs the template once per host, batch by batch, each observed for its bake time',
    { timeout: 90_000 },
    async () => {
      expect(
        (
          await api.post(`${BASE}/teams/${TEAM}/jobtemplates`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'JobTemplate',
            metadata: { name: 'patch' },
            spec: { script: { interpreter: 'sh', source: 'echo "patched $GANTRY_TARGET"' } },
          })
        ).status,
      ).toBe(201);
      const startedAt = now();
      expect(
        (
          await api.post(`${BASE}/teams/${TEAM}/changes`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'Change',
            metadata: { name: 'patch-dbs' },
            spec: { jobRun: { template: 'patch' }, targets: { selector: 'role=db' } },
          })
        ).status,
      ).toBe(201);

      const status = async () =>
        (await api.get(`${BASE}/teams/${TEAM}/changes/patch-dbs`)).body.status as ChangeStatus | undefined;
      const done = await eventually(
        async () => {
          const current = await status();
          // Observation is the plan's waiting: move the injected clock to its end.
          const observing = current?.batches?.find((batch) => batch.phase === 'Observing');
          if (observing) offset += Math.max(0, Date.parse(observing.observeUntil!) - now());
          return current;
        },
        (current) => current?.phase === 'Succeeded' || current?.phase === 'Paused',
        60_000,
        20,
      );
      expect(done!.phase).toBe('Succeeded');
      expect(done!.batches!.map((batch) => batch.entities.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
      expect(done!.batches!.map((batch) => batch.bake)).toEqual([
        '30m',
        '10m',
        '5m',
        '5m',
        '5m',
        '5m',
        '5m',
        '5m',
      ]);
      expect(now() - startedAt).toBeGreaterThanOrEqual((30 + 10 + 6 * 5) * MINUTE);

      const runs = (await api.get(`/api/jobs/runs?team=${TEAM}&limit=100`)).body.items as JobRun[];
      expect(runs).toHaveLength(8);
      expect(
        runs.every((run) => run.state === 'Succeeded' && run.createdBy.startsWith('change/patch-dbs#')),
      ).toBe(true);
      expect(runs.map((run) => run.targets.hosts![0]).sort()).toEqual(HOSTS.slice(0, 8));
      // Events are written in batches every 200 ms.
      const events = await eventually(
        async () =>
          (await api.get(`/api/events?team=${TEAM}&reason=EntityChanged`)).body.items as {
            objectKind: string;
          }[],
        (items) => items.length === 8,
      );
      expect(events.every((event) => event.objectKind === 'Host')).toBe(true);
    },
  );
});
