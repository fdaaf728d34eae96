import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAgentPort, MemoryHostDirectory } from '@gantry/jobs';
import { createAgentJobHandler, type AgentJobHandler } from '@gantry/jobs/agent';
import { JOBS_CHANNEL } from '@gantry/model';
import { resolveConfig, startServer, type RunningServer } from '../../apps/server/src/index.ts';
import { Cli } from '../support/cli.ts';
import { BASE, client, team } from '../support/http.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';

// `gantry run` and `gantry jobs ...` against a real server, with three in-process agents running real
// processes.
describe('gantry run and gantry jobs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-jobs-cli-'));
  const cli = new Cli(dir);
  const port = new MemoryAgentPort();
  const hosts = new MemoryHostDirectory();
  const handlers: AgentJobHandler[] = [];
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer(
      resolveConfig(
        {},
        {
          port: 0,
          host: '127.0.0.1',
          dataDir: join(dir, 'data'),
          adminPassword: TEST_ADMIN_PASSWORD,
          logLevel: 'silent',
        },
      ),
      { jobs: { port, hosts } },
    );
    for (const host of ['web-1', 'web-2', 'db-1']) {
      hosts.add('ops', host, { role: host.split('-')[0]! });
      const workDir = mkdtempSync(join(tmpdir(), `gantry-cli-agent-${host}-`));
      const link: { report?: (channel: string, body: unknown) => void } = {};
      const handler = createAgentJobHandler({
        workDir,
        report: (channel, body) => link.report?.(channel, body),
      });
      handlers.push(handler);
      link.report = port.connect('ops', host, { [JOBS_CHANNEL]: (body) => handler.handle(body) }).report;
    }
    const admin = client(
      server.url,
      (await client(server.url).post('/api/auth/login', { username: 'admin', password: TEST_ADMIN_PASSWORD }))
        .body.token,
    );
    expect((await admin.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    const login = await cli.run(
      ['login', '--server', server.url, '--username', 'admin', '--password-stdin', '--team', 'ops'],
      {
        stdin: `${TEST_ADMIN_PASSWORD}\n`,
      },
    );
    expect(login.code).toBe(0);
    await cli.write(
      'hello.yaml',
      [
        'apiVersion: gantry.dev/v1alpha1',
        'kind: JobTemplate',
        'metadata: {name: hello}',
        'spec:',
        '  script:',
        '    interpreter: sh',
        '    source: |',
        '      echo "hello $GANTRY_PARAM_WHO x$GANTRY_PARAM_TIMES"',
        '      [ "$GANTRY_PARAM_FAIL_ON" = "$GANTRY_TARGET" ] && exit 4',
        '      echo bye',
        '  parameters:',
        '    type: object',
        '    properties:',
        '      who: {type: string}',
        '      times: {type: integer, default: 1}',
        '      fail_on: {type: string, default: ""}',
        '    required: [who]',
        '',
      ].join('\n'),
    );
    expect((await cli.run(['apply', '-f', 'hello.yaml'])).code).toBe(0);
  });

  afterAll(async () => {
    for (const handler of handlers) await handler.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a template with its parameters as flags and follows the output', async () => {
    const result = await cli.run([
      'run',
      'hello',
      '--selector',
      'role=web',
      '--who',
      'ops',
      '--times',
      '3',
      '-f',
    ]);
    expect(result.stderr).toMatch(/^jobrun\/\S+ started on 2 targets\njobrun\/\S+ Succeeded: 2 succeeded\n$/);
    expect(result.stdout.split('\n').sort()).toEqual(
      ['', '[web-1] bye', '[web-1] hello ops x3', '[web-2] bye', '[web-2] hello ops x3'].sort(),
    );
    expect(result.code).toBe(0);
  });

  it('refuses flags the template does not have, and values the schema refuses, before anything runs', async () => {
    const unknown = await cli.run(['run', 'hello', '--hosts', 'db-1', '--whom', 'x']);
    expect(unknown.stderr).toBe(
      'error: unknown parameter --whom for this template; its flags: --who, --times, --fail-on\n',
    );
    expect(unknown.code).toBe(1);
    const missing = await cli.run(['run', 'hello', '--hosts', 'db-1']);
    expect(missing.stderr).toContain('parameters.who');
    expect(missing.code).toBe(1);
    expect((await cli.run(['jobs', 'list', '-o', 'json'])).stdout).toContain('"items"');
    const listed = JSON.parse((await cli.run(['jobs', 'list', '-o', 'json'])).stdout) as { items: unknown[] };
    expect(listed.items).toHaveLength(1);
  });

  it('lists, shows, prints the logs of, and re-runs a run whose target failed', async () => {
    const failed = await cli.run([
      'run',
      'hello',
      '--hosts',
      'web-1,db-1',
      '--who',
      'x',
      '--fail-on',
      'db-1',
      '-f',
    ]);
    expect(failed.code).toBe(1);
    const id = /jobrun\/(\S+) started/.exec(failed.stderr)![1]!;
    const list = await cli.run(['jobs', 'list']);
    expect(list.stdout).toMatch(
      new RegExp(
        `^ID\\s+TEMPLATE\\s+STATE\\s+TARGETS\\s+BY\\s+AGE\\n${id}\\s+hello\\s+Failed\\s+1 failed, 1 succeeded\\s+admin`,
      ),
    );
    const get = await cli.run(['jobs', 'get', id]);
    expect(get.stdout).toMatch(/State:\s+Failed \(TargetsFailed\)/);
    expect(get.stdout).toMatch(/db-1\s+failed\s+NonZeroExit\s+4\s+1/);
    const logs = await cli.run(['jobs', 'logs', id, '--target', 'db-1']);
    expect(logs.stdout).toBe('hello x x1\n');
    const rerun = await cli.run(['jobs', 'rerun', id]);
    expect(rerun.stdout).toMatch(new RegExp(`^jobrun/\\S+ created on 1 target \\(re-run of ${id}\\)\\n$`));
    const cancel = await cli.run(['jobs', 'cancel', id]);
    expect(cancel.stderr).toContain('GANTRY_E_JOB_ENDED');
    // The runs of one host, newest first (`jobs runs` is `jobs list`).
    const rerunId = /^jobrun\/(\S+)/.exec(rerun.stdout)![1]!;
    const ids = async (host: string) =>
      (
        JSON.parse((await cli.run(['jobs', 'runs', '--host', host, '-o', 'json'])).stdout) as {
          items: { id: string }[];
        }
      ).items.map((run) => run.id);
    expect(await ids('db-1')).toEqual([rerunId, id]);
    const ofWeb2 = await ids('web-2');
    expect(ofWeb2.length).toBeGreaterThan(0);
    expect(ofWeb2).not.toContain(id);
    expect(ofWeb2).not.toContain(rerunId);
  });
});
