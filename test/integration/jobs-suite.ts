import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAgentPort, MemoryHostDirectory, type MemoryAgentLink } from '@gantry/jobs';
import { createAgentJobHandler, type AgentJobHandler } from '@gantry/jobs/agent';
import { JOBS_CHANNEL, type JobAgentMessage, type JobRunWithTargets } from '@gantry/model';
import { resolveConfig, startServer, type RunningServer } from '../../apps/server/src/index.ts';
import { eventually } from '../support/eventually.ts';
import { BASE, client, recordedReplies, team } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';

const TEAM = 'ops';
const HOSTS = Array.from({ length: 12 }, (_, i) => `host-${String(i + 1).padStart(2, '0')}`);
type Api = ReturnType<typeof client>;

interface Agent {
  host: string;
  /** The agent process dies: it reports nothing more, and the server sees it gone. */
  kill(): void;
  workDir: string;
  handler: AgentJobHandler;
  /** Everything this agent reported, in order. */
  reports: JobAgentMessage[];
}

function template(name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'gantry.dev/v1alpha1', kind: 'JobTemplate', metadata: { name }, spec };
}

/**
 * The jobs suite over one database: a real server (restarted on the same database mid-run), a dozen
 * agents in this process, each with its own work directory, running real processes, joined to the
 * server by the in-memory agent transport.
 */
export function jobsSuite(label: string, databaseUrl: () => Promise<string | undefined>): void {
  describe(`jobs (${label})`, () => {
    const port = new MemoryAgentPort();
    const hosts = new MemoryHostDirectory();
    const agents = new Map<string, Agent>();
    const dataDir = mkdtempSync(join(tmpdir(), 'gantry-jobs-'));
    let server: RunningServer;
    let admin: Api;
    let tina: Api; // team-admin
    let otto: Api; // operator
    let vera: Api; // viewer

    let url: string | undefined;
    const start = async () => {
      server = await startServer(
        resolveConfig(
          {},
          {
            port: 0,
            host: '127.0.0.1',
            dataDir,
            adminPassword: TEST_ADMIN_PASSWORD,
            logLevel: 'silent',
            jobLostAfterSeconds: 1,
            ...(url ? { databaseUrl: url } : {}),
          },
        ),
        { jobs: { port, hosts } },
      );
    };
    const login = async (username: string, password: string) =>
      client(
        server.url,
        (await client(server.url).post('/api/auth/login', { username, password })).body.token,
      );

    const connect = (host: string) => {
      const previous = agents.get(host);
      const workDir = previous?.workDir ?? mkdtempSync(join(tmpdir(), `gantry-agent-${host}-`));
      const reports: JobAgentMessage[] = previous?.reports ?? [];
      const link: { current?: MemoryAgentLink } = {};
      const state = { dead: false };
      const handler = createAgentJobHandler({
        workDir,
        killGraceMs: 200,
        report: (channel, body) => {
          if (state.dead) return;
          reports.push(body as JobAgentMessage);
          link.current?.report(channel, body);
        },
      });
      link.current = port.connect(TEAM, host, { [JOBS_CHANNEL]: (body) => handler.handle(body) });
      const agent: Agent = {
        host,
        kill: () => {
          state.dead = true;
          link.current?.disconnect();
        },
        workDir,
        handler,
        reports,
      };
      agents.set(host, agent);
    };

    const run = (api: Api, body: Record<string, unknown>) =>
      api.post('/api/jobs/runs', { team: TEAM, ...body });
    const ended = (api: Api, id: string, deadlineMs = 20_000) =>
      eventually(
        async () => (await api.get(`/api/jobs/runs/${id}`)).body as JobRunWithTargets,
        (body) => body.state !== 'Running',
        deadlineMs,
      );
    /** Follows the run's output with the long-poll cursor until it says done. */
    const follow = async (api: Api, id: string) => {
      const chunks: { target: string; seq: number; stream: string; data: string; id: number }[] = [];
      let cursor = 0;
      for (let i = 0; i < 200; i++) {
        const page = await api.get(`/api/jobs/runs/${id}/output?after=${cursor}&waitSeconds=5`);
        expect(page.status).toBe(200);
        chunks.push(...page.body.chunks);
        cursor = page.body.cursor;
        if (page.body.done) return chunks;
      }
      throw new Error('output never ended');
    };
    const textOf = (
      chunks: { target: string; data: string; stream: string }[],
      target: string,
      stream?: string,
    ) =>
      chunks
        .filter((c) => c.target === target && (stream === undefined || c.stream === stream))
        .map((c) => c.data)
        .join('');

    beforeAll(async () => {
      url = await databaseUrl();
      await start();
      admin = client(
        server.url,
        (
          await client(server.url).post('/api/auth/login', {
            username: 'admin',
            password: TEST_ADMIN_PASSWORD,
          })
        ).body.token,
      );
      for (const name of ['tina', 'otto', 'vera'])
        expect(
          (await admin.post('/api/users', { username: name, password: `${name}-password-1` })).status,
        ).toBe(201);
      expect(
        (
          await admin.post(
            `${BASE}/teams`,
            team(TEAM, [
              { user: 'tina', role: 'team-admin' },
              { user: 'otto', role: 'operator' },
              { user: 'vera', role: 'viewer' },
            ]),
          )
        ).status,
      ).toBe(201);
      tina = await login('tina', 'tina-password-1');
      otto = await login('otto', 'otto-password-1');
      vera = await login('vera', 'vera-password-1');
      HOSTS.forEach((host, i) => {
        hosts.add(TEAM, host, { role: i % 3 === 0 ? 'db' : 'web' });
        connect(host);
      });
    });

    afterAll(async () => {
      for (const agent of agents.values()) await agent.handler.stop();
      await server?.close();
      for (const agent of agents.values()) rmSync(agent.workDir, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('lets team-admins write templates and refuses operators', async () => {
      const hello = template('hello', {
        script: {
          interpreter: 'sh',
          source:
            'echo "hello $GANTRY_PARAM_WHO from $GANTRY_TARGET"; echo start=$(date +%s%N); sleep 0.2; echo end=$(date +%s%N)',
        },
        parameters: {
          type: 'object',
          properties: {
            who: { type: 'string', minLength: 1, maxLength: 20 },
            count: { type: 'integer', minimum: 1, maximum: 5, default: 1 },
          },
          required: ['who'],
        },
        timeoutSeconds: 30,
      });
      const refused = await otto.post(`${BASE}/teams/${TEAM}/jobtemplates`, hello);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('GANTRY_E_FORBIDDEN');
      expect((await tina.post(`${BASE}/teams/${TEAM}/jobtemplates`, hello)).status).toBe(201);
      expect(
        (
          await tina.post(
            `${BASE}/teams/${TEAM}/jobtemplates`,
            template('slow', { script: { interpreter: 'sh', source: 'echo started; sleep 1000' } }),
          )
        ).status,
      ).toBe(201);
      const empty = await tina.post(`${BASE}/teams/${TEAM}/jobtemplates`, template('empty', {}));
      expect(empty.status).toBe(400);
      expect(empty.body.details[0].path).toBe('/spec/script');
    });

    it('refuses parameters that break the schema, with their path, before anything runs', async () => {
      const before = agents.get('host-01')!.reports.length;
      const bad = await run(otto, {
        template: 'hello',
        parameters: { who: '', count: 9, extra: true },
        targets: { hosts: ['host-01'] },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('GANTRY_E_INVALID');
      expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual([
        '/parameters/count',
        '/parameters/extra',
        '/parameters/who',
      ]);
      const unknown = await run(otto, {
        template: 'hello',
        parameters: { who: 'x' },
        targets: { hosts: ['host-01', 'nope'] },
      });
      expect(unknown.status).toBe(422);
      expect(unknown.body).toMatchObject({
        code: 'GANTRY_E_JOB_NO_TARGETS',
        details: [{ path: '/targets/hosts/1' }],
      });
      const none = await run(otto, {
        template: 'hello',
        parameters: { who: 'x' },
        targets: { selector: 'role=nothing' },
      });
      expect(none.status).toBe(422);
      expect((await otto.get(`/api/jobs/runs?team=${TEAM}`)).body.items).toEqual([]);
      expect(agents.get('host-01')!.reports.length).toBe(before);
      expect(
        (await run(vera, { template: 'hello', parameters: { who: 'x' }, targets: { hosts: ['host-01'] } }))
          .status,
      ).toBe(403);
    });

    it('runs a template over every agent in batches, and follows the output to the end', async () => {
      const created = await run(otto, {
        template: 'hello',
        parameters: { who: 'ops' },
        targets: { selector: 'role' },
        batchSize: 4,
        concurrency: 2,
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        template: 'hello',
        createdBy: 'otto',
        parameters: { who: 'ops', count: 1 },
      });
      const id = created.body.id as string;
      const output = await follow(otto, id);
      const done = await ended(vera, id);
      expect(done).toMatchObject({ state: 'Succeeded', reason: 'AllSucceeded', counts: { succeeded: 12 } });
      expect(done.targetList.map((t: { target: string }) => t.target)).toEqual(HOSTS);
      for (const host of HOSTS) expect(textOf(output, host)).toContain(`hello ops from ${host}\n`);
      // Batches of 4 (in host order), two at a time: no target of a batch starts before the last one ends.
      const times = HOSTS.map((host) => {
        const text = textOf(output, host);
        return { start: BigInt(/start=(\d+)/.exec(text)![1]!), end: BigInt(/end=(\d+)/.exec(text)![1]!) };
      });
      for (let batch = 1; batch < 3; batch++) {
        const previousEnd = times
          .slice((batch - 1) * 4, batch * 4)
          .reduce((a, t) => (t.end > a ? t.end : a), 0n);
        for (const t of times.slice(batch * 4, batch * 4 + 4)) expect(t.start > previousEnd).toBe(true);
      }
      for (let i = 0; i < 12; i += 4) {
        // Never more than two at once within a batch: the third starts after one of the first two ended.
        const batch = times.slice(i, i + 4).sort((a, b) => (a.start < b.start ? -1 : 1));
        const firstEnd = batch[0]!.end < batch[1]!.end ? batch[0]!.end : batch[1]!.end;
        expect(batch[2]!.start > firstEnd).toBe(true);
      }
      // Output in order per target, and the seq numbers have no gaps.
      const seqs = output.filter((c) => c.target === 'host-01').map((c) => c.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    });

    it('audits every run with the template version and the script hash', async () => {
      const templateObject = (await otto.get(`${BASE}/teams/${TEAM}/jobtemplates/hello`)).body;
      const runs = (await otto.get(`/api/jobs/runs?team=${TEAM}&template=hello`)).body.items;
      expect(runs[0].templateVersion).toBe(templateObject.metadata.resourceVersion);
      expect(runs[0].scriptSha256).toBe(
        createHash('sha256').update(templateObject.spec.script.source).digest('hex'),
      );
      const audit = (await admin.get(`/api/audit?kind=JobRun&name=${runs[0].id}`)).body.items;
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actor: 'otto',
        action: 'run',
        team: TEAM,
        after: {
          template: 'hello',
          templateVersion: runs[0].templateVersion,
          scriptSha256: runs[0].scriptSha256,
        },
      });
    });

    it('lets only team-admins run ad-hoc scripts, recorded in full', async () => {
      const script = { interpreter: 'sh', source: 'uname -s' };
      expect((await run(otto, { script, targets: { hosts: ['host-02'] } })).status).toBe(403);
      const created = await run(tina, { script, targets: { hosts: ['host-02'] } });
      expect(created.status).toBe(201);
      expect(await ended(tina, created.body.id)).toMatchObject({ state: 'Succeeded', template: '' });
      const audit = (await admin.get(`/api/audit?kind=JobRun&name=${created.body.id}`)).body.items;
      expect(audit[0].after.script).toEqual(script);
      expect(textOf(await follow(tina, created.body.id), 'host-02')).toBe('Linux\n');
    });

    it('hands secrets to the job as environment variables and masks them in the output', async () => {
      expect(
        (await tina.put(`/api/teams/${TEAM}/secrets/db`, { data: { password: 'pa55-w0rd-xyz' } })).status,
      ).toBe(200);
      expect(
        (
          await tina.post(
            `${BASE}/teams/${TEAM}/jobtemplates`,
            template('leaky', {
              script: {
                interpreter: 'sh',
                source: 'echo "password is $DB_PASSWORD"; echo "$DB_PASSWORD" | rev >&2; echo "$DB_PASSWORD"',
              },
              secrets: [{ env: 'DB_PASSWORD', secret: 'db', key: 'password' }],
            }),
          )
        ).status,
      ).toBe(201);
      const created = await run(otto, { template: 'leaky', targets: { hosts: ['host-03'] } });
      const output = await follow(otto, created.body.id);
      expect(textOf(output, 'host-03', 'stdout')).toBe('password is ****\n****\n');
      expect(JSON.stringify(output)).not.toContain('pa55-w0rd-xyz');
      expect(textOf(output, 'host-03', 'stderr')).toBe('zyx-dr0w-55ap\n'); // reversed, it is not the secret
    });

    it('cuts output over the cap with a marker, and the run still completes', async () => {
      await tina.post(
        `${BASE}/teams/${TEAM}/jobtemplates`,
        template('chatty', {
          script: { interpreter: 'sh', source: 'head -c 300000 /dev/zero | tr "\\0" y' },
          maxOutputBytes: 2048,
        }),
      );
      const created = await run(otto, { template: 'chatty', targets: { hosts: ['host-04'] } });
      const done = await ended(otto, created.body.id);
      expect(done.state).toBe('Succeeded');
      expect(done.targetList[0]).toMatchObject({
        truncated: true,
        outputBytes: 2048 + '[gantry: output truncated at 2048 bytes]\n'.length,
      });
      const output = await follow(otto, created.body.id);
      expect(output.at(-1)).toMatchObject({
        stream: 'system',
        data: '[gantry: output truncated at 2048 bytes]\n',
      });
    });

    it('kills a script that never ends at its timeout, with its process group', async () => {
      await tina.post(
        `${BASE}/teams/${TEAM}/jobtemplates`,
        template('forever', {
          script: { interpreter: 'sh', source: 'sleep 1000 & sleep 1000' },
          timeoutSeconds: 1,
        }),
      );
      const created = await run(otto, { template: 'forever', targets: { hosts: ['host-05'] } });
      const done = await ended(otto, created.body.id);
      expect(done).toMatchObject({ state: 'Failed', reason: 'TargetsFailed' });
      expect(done.targetList[0]).toMatchObject({ state: 'timed-out', reason: 'TimedOut', signal: 'SIGTERM' });
    });

    it('stops dispatching after N failures and re-runs only the failed targets as a linked run', async () => {
      await tina.post(
        `${BASE}/teams/${TEAM}/jobtemplates`,
        template('picky', {
          script: {
            interpreter: 'sh',
            source: 'case "$GANTRY_TARGET" in host-0[1-3]) exit 7;; esac; echo fine',
          },
        }),
      );
      const six = ['host-01', 'host-02', 'host-03', 'host-04', 'host-05', 'host-06'];
      const stopped = await run(otto, {
        template: 'picky',
        targets: { hosts: six },
        concurrency: 1,
        stopAfterFailures: 2,
      });
      const first = await ended(otto, stopped.body.id);
      expect(first).toMatchObject({ state: 'Failed', reason: 'StoppedAfterFailures' });
      expect(
        first.targetList.map((t: { state: string; exitCode: number | null }) => [t.state, t.exitCode]),
      ).toEqual([
        ['failed', 7],
        ['failed', 7],
        ['cancelled', null],
        ['cancelled', null],
        ['cancelled', null],
        ['cancelled', null],
      ]);
      // Targets the stop kept from running count as failed for a re-run.
      const rerunStopped = await otto.post(`/api/jobs/runs/${stopped.body.id}/rerun-failed`);
      expect(rerunStopped.status).toBe(201);
      expect(rerunStopped.body.targets).toEqual({ hosts: six });
      await ended(otto, rerunStopped.body.id);

      const all = await run(otto, { template: 'picky', targets: { hosts: six } });
      const done = await ended(otto, all.body.id);
      expect(done.targetList.map((t: { state: string }) => t.state)).toEqual([
        'failed',
        'failed',
        'failed',
        'succeeded',
        'succeeded',
        'succeeded',
      ]);
      expect((await vera.post(`/api/jobs/runs/${all.body.id}/rerun-failed`)).status).toBe(403);
      const rerun = await otto.post(`/api/jobs/runs/${all.body.id}/rerun-failed`);
      expect(rerun.status).toBe(201);
      expect(rerun.body).toMatchObject({
        rerunOf: all.body.id,
        scriptSha256: done.scriptSha256,
        template: 'picky',
      });
      const second = await ended(otto, rerun.body.id);
      expect(
        second.targetList.map((t: { target: string; state: string }) => `${t.target}:${t.state}`),
      ).toEqual(['host-01:failed', 'host-02:failed', 'host-03:failed']);
      const stillRunning = await run(otto, { template: 'slow', targets: { hosts: ['host-09'] } });
      const early = await otto.post(`/api/jobs/runs/${stillRunning.body.id}/rerun-failed`);
      expect(early.status).toBe(409);
      expect(early.body.code).toBe('GANTRY_E_JOB_ENDED');
      expect((await otto.post(`/api/jobs/runs/${stillRunning.body.id}/cancel`)).status).toBe(200);
      await ended(otto, stillRunning.body.id);
    });

    it("lists a host's runs: exactly the runs that had it among their targets, newest first", async () => {
      const all = (await vera.get(`/api/jobs/runs?team=${TEAM}&limit=1000`)).body.items as { id: string }[];
      const withHost: string[] = [];
      for (const { id } of all) {
        const run = (await vera.get(`/api/jobs/runs/${id}`)).body as JobRunWithTargets;
        if (run.targetList.some((t) => t.target === 'host-12' && t.kind === 'host')) withHost.push(id);
      }
      expect(withHost.length).toBeGreaterThan(0);
      expect(withHost.length).toBeLessThan(all.length);
      const listed = (await vera.get(`/api/jobs/runs?team=${TEAM}&host=host-12&limit=1000`)).body.items;
      expect(listed.map((run: { id: string }) => run.id)).toEqual(withHost);
      const firstPage = (await vera.get(`/api/jobs/runs?team=${TEAM}&host=host-12&limit=1`)).body;
      expect(firstPage.items.map((run: { id: string }) => run.id)).toEqual(withHost.slice(0, 1));
      if (withHost.length > 1) {
        const next = (
          await vera.get(
            `/api/jobs/runs?team=${TEAM}&host=host-12&limit=1&continue=${encodeURIComponent(firstPage.continue)}`,
          )
        ).body;
        expect(next.items.map((run: { id: string }) => run.id)).toEqual(withHost.slice(1, 2));
      }
      expect((await vera.get(`/api/jobs/runs?team=${TEAM}&host=no-such-host`)).body.items).toEqual([]);
    });

    it("refuses a run outside the template's touches before storing it, and runs the script under its limits", async () => {
      const badSelector = await tina.post(
        `${BASE}/teams/${TEAM}/jobtemplates`,
        template('bounded-bad', { action: 'noop', touches: { hosts: 'role in (db' } }),
      );
      expect(badSelector.status).toBe(400);
      expect(badSelector.body.details[0].path).toBe('/spec/touches/hosts');
      const bounded = template('bounded', {
        script: { interpreter: 'sh', source: 'echo "files $(ulimit -n)"' },
        touches: { hosts: 'role=db', clusters: ['east'], paths: ['/var/lib/db'], limits: { openFiles: 100 } },
      });
      expect((await tina.post(`${BASE}/teams/${TEAM}/jobtemplates`, bounded)).status).toBe(201);
      const outside = await run(otto, { template: 'bounded', targets: { hosts: ['host-01', 'host-02'] } });
      expect(outside.status).toBe(422);
      expect(outside.body.code).toBe('GANTRY_E_JOB_OUTSIDE_TOUCHES');
      expect(outside.body.details).toEqual([
        { path: '/targets', message: expect.stringContaining('host host-02 does not match') },
      ]);
      expect((await otto.get(`/api/jobs/runs?team=${TEAM}&template=bounded`)).body.items).toEqual([]);
      const inside = await run(otto, { template: 'bounded', targets: { selector: 'role=db' } });
      expect(inside.status).toBe(201);
      const output = await follow(otto, inside.body.id);
      for (const host of ['host-01', 'host-04', 'host-07', 'host-10'])
        expect(textOf(output, host, 'stdout')).toBe('files 100\n');
      expect((await ended(vera, inside.body.id)).state).toBe('Succeeded');
    });

    it('cancels a run: queued targets never start, running ones are stopped', async () => {
      const created = await run(otto, {
        template: 'slow',
        targets: { hosts: HOSTS.slice(0, 4) },
        concurrency: 2,
      });
      await eventually(
        async () => (await otto.get(`/api/jobs/runs/${created.body.id}`)).body.counts,
        (counts: Record<string, number>) => counts.running === 2,
      );
      const cancelled = await otto.post(`/api/jobs/runs/${created.body.id}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.cancelRequested).toBe(true);
      const done = await ended(otto, created.body.id);
      expect(done).toMatchObject({ state: 'Cancelled', counts: { cancelled: 4 } });
      expect(done.targetList.map((t: { startedAt: string | null }) => t.startedAt !== null)).toEqual([
        true,
        true,
        false,
        false,
      ]);
      const late = await otto.post(`/api/jobs/runs/${created.body.id}/cancel`);
      expect(late.status).toBe(409);
      expect(late.body.code).toBe('GANTRY_E_JOB_ENDED');
    });

    it('marks the target of an agent killed mid-run lost after the timeout; the others finish', async () => {
      await tina.post(
        `${BASE}/teams/${TEAM}/jobtemplates`,
        template('steady', { script: { interpreter: 'sh', source: 'sleep 3; echo done' } }),
      );
      const created = await run(otto, {
        template: 'steady',
        targets: { hosts: ['host-06', 'host-07', 'host-08'] },
      });
      await eventually(
        async () => (await otto.get(`/api/jobs/runs/${created.body.id}`)).body.counts,
        (counts: Record<string, number>) => counts.running === 3,
      );
      const killed = agents.get('host-07')!;
      killed.kill();
      const done = await ended(otto, created.body.id);
      expect(done.targetList.map((t: { state: string; reason: string }) => `${t.state}/${t.reason}`)).toEqual(
        ['succeeded/Exited', 'lost/AgentGone', 'succeeded/Exited'],
      );
      await killed.handler.stop();
      connect('host-07');
    });

    it('resumes after the server is killed mid-run, running no target twice', async () => {
      await tina.post(
        `${BASE}/teams/${TEAM}/jobtemplates`,
        template('once', {
          script: { interpreter: 'sh', source: 'sleep 0.3; echo "ran on $GANTRY_TARGET"' },
        }),
      );
      const created = await run(otto, { template: 'once', targets: { selector: 'role' }, concurrency: 3 });
      const id = created.body.id as string;
      await eventually(
        async () => (await otto.get(`/api/jobs/runs/${id}`)).body.counts,
        (counts: Record<string, number>) => (counts.succeeded ?? 0) >= 1,
      );
      await server.close();
      await start();
      otto = await login('otto', 'otto-password-1');
      const done = await ended(otto, id, 30_000);
      expect(done.targetList.filter((t: { state: string }) => t.state !== 'succeeded')).toEqual([]);
      expect(done).toMatchObject({ state: 'Succeeded', counts: { succeeded: 12 } });
      for (const host of HOSTS) {
        const started = agents
          .get(host)!
          .reports.filter((r) => r.type === 'accepted' && r.runId === id && !r.duplicate);
        expect(started).toHaveLength(1);
      }
      const output = await follow(otto, id);
      for (const host of HOSTS) expect(textOf(output, host)).toBe(`ran on ${host}\n`);
    });

    it('gave only answers that /api/openapi.json declares', async () => {
      const doc = (await client(server.url).get('/api/openapi.json')).body;
      expect(recordedReplies.filter((r) => r.url.startsWith('/api/jobs')).length).toBeGreaterThan(20);
      expect(openApiViolations(doc, recordedReplies)).toEqual([]);
    });
  });
}
