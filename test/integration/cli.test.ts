import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Cli, type CliResult as Result } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { widgetKind } from '../support/widget-kind.ts';

// Runs the real `gantry` bin in a child process against a real server started in-process. The tests in
// each describe block are one scenario, in order (login first, then objects that later steps reuse).

let server: TestServer;
let dir: string;
let cli: Cli;
let configFile: string;
const gantry = (args: readonly string[], options: { stdin?: string } = {}): Promise<Result> =>
  cli.run(args, options);
const spawnGantry = (args: readonly string[]): ChildProcessWithoutNullStreams => cli.spawn(args);

const team = (
  name: string,
  displayName: string,
  members: { user: string; role: string }[] = [{ user: 'admin', role: 'team-admin' }],
): string =>
  [
    'apiVersion: gantry.dev/v1alpha1',
    'kind: Team',
    'metadata:',
    `  name: ${name}`,
    '  labels:',
    '    tier: core',
    'spec:',
    `  displayName: ${displayName}`,
    '  members:',
    ...members.flatMap((m) => [`    - user: ${m.user}`, `      role: ${m.role}`]),
    '',
  ].join('\n');

const teamsFile = (platformName = 'Platform'): string =>
  `${team('platform', platformName)}---\n${team('payments', 'Payments')}`;

describe('gantry CLI against a real server', () => {
  beforeAll(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'gantry-cli-it-'));
    configFile = join(dir, 'home', 'config');
    cli = new Cli(dir, configFile);
  });

  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('says what to do before login, and when the server is unreachable', async () => {
    const notLoggedIn = await gantry(['get', 'teams']);
    expect(notLoggedIn.code).toBe(1);
    expect(notLoggedIn.stderr).toBe('error: not logged in: run gantry login\n');

    const closedPort = await unusedPort();
    const unreachable = await gantry(
      ['login', '--server', `http://127.0.0.1:${closedPort}`, '--username', 'admin', '--password-stdin'],
      { stdin: 'x\n' },
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe(
      `error: cannot reach server http://127.0.0.1:${closedPort} (ECONNREFUSED)\n`,
    );
  });

  it('rejects a wrong password, then logs in with --password-stdin and stores a 0600 context', async () => {
    const wrong = await gantry(
      ['login', '--server', server.url, '--username', server.adminUsername, '--password-stdin'],
      { stdin: 'not-the-password\n' },
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error: login failed: .*\[GANTRY_E_UNAUTHENTICATED\]\n$/);

    const login = await gantry(
      ['login', '--server', server.url, '--username', server.adminUsername, '--password-stdin'],
      { stdin: `${server.adminPassword}\n` },
    );
    const host = new URL(server.url).host;
    expect(login.stderr).toBe('');
    expect(login.stdout).toBe(
      `Logged in to ${server.url} as ${server.adminUsername} (context "${server.adminUsername}@${host}")\n`,
    );
    expect(login.code).toBe(0);

    expect((await stat(configFile)).mode & 0o777).toBe(0o600);
    const config = parse(await readFile(configFile, 'utf8')) as {
      contexts: { name: string; server: string; token: string }[];
      'current-context': string;
    };
    expect(config['current-context']).toBe(`${server.adminUsername}@${host}`);
    expect(config.contexts).toEqual([
      { name: `${server.adminUsername}@${host}`, server: server.url, token: expect.any(String) },
    ]);

    expect((await gantry(['config', 'current-context'])).stdout).toBe(`${server.adminUsername}@${host}\n`);
    const contexts = await gantry(['config', 'get-contexts']);
    expect(contexts.stdout.split('\n')[0]).toMatch(/^CURRENT\s+NAME\s+SERVER\s+TEAM$/);
    expect(contexts.stdout.split('\n')[1]).toMatch(
      new RegExp(`^\\*\\s+${escape(config['current-context'])}\\s+${escape(server.url)}\\s+default$`),
    );
  });

  it('applies a multi-document file, and re-applying it changes nothing', async () => {
    await writeFile(join(dir, 'teams.yaml'), teamsFile());
    const first = await gantry(['apply', '-f', 'teams.yaml']);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('team/platform created\nteam/payments created\n');
    expect(first.code).toBe(0);

    const before = JSON.parse((await gantry(['get', 'team', 'platform', '-o', 'json'])).stdout) as {
      metadata: { resourceVersion: string };
    };
    const again = await gantry(['apply', '-f', 'teams.yaml']);
    expect(again.stdout).toBe('team/platform unchanged\nteam/payments unchanged\n');
    expect(again.code).toBe(0);
    const after = JSON.parse((await gantry(['get', 'team', 'platform', '-o', 'json'])).stdout) as {
      metadata: { resourceVersion: string };
    };
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it("lists Gantry's own events about an object, with the user who caused them", async () => {
    const listed = await eventually(
      () => gantry(['events', '--for', 'team/platform', '--source', 'gantry']),
      (result) => result.stdout.includes('TeamCreated'),
    );
    expect(listed.code).toBe(0);
    const [header, row] = listed.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'CLUSTER',
      'NAMESPACE',
      'LAST SEEN',
      'TYPE',
      'REASON',
      'OBJECT',
      'ACTOR',
      'MESSAGE',
    ]);
    expect(row).toMatch(/Normal\s+TeamCreated\s+Team\/platform\s+admin\s+Team platform created$/);
    const invalid = await gantry(['events', '--type', 'Error']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('invalid --types "Error"');
  });

  it('gets as json, yaml, name and an aligned table', async () => {
    const json = await gantry(['get', 'teams', '-o', 'json']);
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as {
      kind: string;
      items: { metadata: { name: string }; spec: unknown }[];
    };
    expect(list.kind).toBe('TeamList');
    const byName = new Map(list.items.map((i) => [i.metadata.name, i]));
    expect(byName.get('platform')?.spec).toEqual({
      displayName: 'Platform',
      members: [{ user: 'admin', role: 'team-admin' }],
    });
    expect(byName.get('payments')?.spec).toMatchObject({ displayName: 'Payments' });

    const yaml = await gantry(['get', 'Team', 'payments', '-o', 'yaml']);
    expect(parse(yaml.stdout)).toMatchObject({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: 'payments', labels: { tier: 'core' } },
      spec: { displayName: 'Payments', members: [{ user: 'admin', role: 'team-admin' }] },
    });

    const names = await gantry(['get', 'tm', '-l', 'tier=core', '-o', 'name']);
    expect(names.stdout.split('\n').filter(Boolean).sort()).toEqual(['team/payments', 'team/platform']);
    const none = await gantry(['get', 'teams', '-l', 'tier in (edge),!nothing']);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found.\n' });

    const table = await gantry(['get', 'teams', '-l', 'tier=core']);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME {7}AGE$/); // "payments" + 3 spaces of padding
    expect(lines.slice(1).map((l) => l.replace(/\d+[smhdy]$/, 'AGE'))).toEqual([
      'payments   AGE',
      'platform   AGE',
    ]);
  });

  it('diff shows a pending change and exits 1 without writing; exits 0 when nothing differs', async () => {
    await writeFile(join(dir, 'teams-changed.yaml'), teamsFile('Platform Engineering'));
    const changed = await gantry(['diff', '-f', 'teams-changed.yaml']);
    expect(changed.stderr).toBe('');
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('--- live/team/platform\n+++ merged/team/platform\n@@ ');
    expect(changed.stdout).toContain('\n-  displayName: Platform\n+  displayName: Platform Engineering\n');
    expect(changed.stdout).not.toContain('team/payments');

    const live = parse((await gantry(['get', 'team', 'platform', '-o', 'yaml'])).stdout) as {
      spec: { displayName: string };
    };
    expect(live.spec.displayName).toBe('Platform');

    const same = await gantry(['diff', '-f', 'teams.yaml']);
    expect(same).toMatchObject({ code: 0, stdout: '', stderr: '' });

    const applied = await gantry(['apply', '-f', 'teams-changed.yaml']);
    expect(applied.stdout).toBe('team/platform configured\nteam/payments unchanged\n');
  });

  it('--dry-run reports without writing', async () => {
    await writeFile(join(dir, 'new-team.yaml'), team('search', 'Search'));
    const dry = await gantry(['apply', '-f', 'new-team.yaml', '--dry-run']);
    expect(dry.stdout).toBe('team/search created (server dry run)\n');
    const missing = await gantry(['get', 'team', 'search']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('[GANTRY_E_NOT_FOUND]');
  });

  it('names the file, document and field of a schema violation, and applies the valid documents', async () => {
    const bad = `${team('good-team', 'Good')}---\n${team('bad-team', 'Bad', [{ user: 'admin', role: 'owner' }])}`;
    await writeFile(join(dir, 'bad.yaml'), bad);
    const result = await gantry(['apply', '-f', 'bad.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('team/good-team created\n');
    expect(result.stderr).toMatch(
      /^error: bad\.yaml \(document 2\): spec\.members\[0\]\.role: .+ \[GANTRY_E_INVALID\]\n$/,
    );

    const diff = await gantry(['diff', '-f', 'bad.yaml']);
    expect(diff.code).toBe(2);
    expect(diff.stderr).toMatch(/bad\.yaml \(document 2\): spec\.members\[0\]\.role: /);
  });

  it('names file, line and column for a YAML syntax error, and applies nothing', async () => {
    await writeFile(
      join(dir, 'broken.yaml'),
      `${team('never', 'Never')}---\nkind: Team\nmetadata:\n  name: x: y\n`,
    );
    const result = await gantry(['apply', '-f', 'broken.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error: broken.yaml:15:9: invalid YAML: Nested mappings are not allowed in compact mappings\n',
    );
    expect((await gantry(['get', 'team', 'never'])).code).toBe(1);
  });

  it('applies from stdin', async () => {
    const result = await gantry(['apply', '-f', '-'], { stdin: team('piped', 'Piped') });
    expect(result.stdout).toBe('team/piped created\n');
  });

  it('describes a team', async () => {
    const result = await gantry(['describe', 'teams', 'platform']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^Name: +platform\nKind: +Team\nAPI Version: +gantry\.dev\/v1alpha1\nLabels: +tier=core\n/,
    );
    expect(result.stdout).toContain(
      'Spec:\n  displayName: Platform Engineering\n  members:\n    - user: admin\n      role: team-admin\n',
    );
    expect(result.stdout).toContain('Conditions:\n');
  });

  it('watches: prints the list, then a row for each change as it happens', async () => {
    const child = spawnGantry(['get', 'teams', '-l', 'tier=core', '-w']);
    let output = '';
    let exited = false;
    const waiters = new Set<() => void>();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      for (const waiter of waiters) waiter();
    });
    child.on('close', () => {
      exited = true;
      for (const waiter of waiters) waiter();
    });
    // Resolves as soon as the output satisfies the predicate: driven by the child's output, no sleeping.
    const seen = (predicate: () => boolean): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (predicate()) {
            waiters.delete(check);
            resolve();
          } else if (exited) {
            waiters.delete(check);
            reject(new Error(`watch exited early; stdout: ${output}`));
          }
        };
        waiters.add(check);
        check();
      });
    try {
      const rows = (name: string): number =>
        output.split('\n').filter((l) => l.startsWith(`${name} `)).length;
      await seen(() => rows('platform') === 1 && rows('payments') === 1);
      expect(output.split('\n')[0]).toMatch(/^NAME\s+AGE$/);

      await writeFile(
        join(dir, 'watched.yaml'),
        `${team('watched', 'Watched')}---\n${team('platform', 'Platform Watch')}`,
      );
      const applied = await gantry(['apply', '-f', 'watched.yaml']);
      expect(applied.stdout).toBe('team/watched created\nteam/platform configured\n');
      // Each apply is one event, and the team controller's status write one more: watched is ADDED then
      // MODIFIED (status); platform gets MODIFIED (spec) then MODIFIED (observedGeneration).
      await seen(() => rows('watched') === 2 && rows('platform') === 3);

      await gantry(['delete', 'team', 'watched']);
      await seen(() => rows('watched') === 3);
      expect(output.split('\n').filter((l) => l.startsWith('NAME'))).toHaveLength(1);
    } finally {
      child.kill('SIGINT');
    }
  });

  it('lists api-resources and versions', async () => {
    const resources = await gantry(['api-resources']);
    expect(resources.code).toBe(0);
    const [header, ...rows] = resources.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+TEAMED\s+KIND$/);
    expect(rows.find((r) => r.startsWith('teams '))).toMatch(
      /^teams\s+tm\s+gantry\.dev\/v1alpha1\s+false\s+Team$/,
    );

    const version = await gantry(['version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^Client Version: 0\.1\.0\nServer Version: \S+.*\n$/);
    const asJson = JSON.parse((await gantry(['version', '-o', 'json'])).stdout) as {
      clientVersion: { version: string };
      serverVersion: { version: string; database: string };
    };
    expect(asJson.clientVersion.version).toBe('0.1.0');
    expect(asJson.serverVersion.database).toMatch(/sqlite/i);
  });

  it('explains a component type and a trait from their schemas', async () => {
    const webservice = await gantry(['explain', 'webservice']);
    expect(webservice.code).toBe(0);
    expect(webservice.stdout).toMatch(/^COMPONENT TYPE: webservice \(version \d+\.\d+\.\d+\)/);
    expect(webservice.stdout).toMatch(/WORKLOAD: Deployment \(apps\/v1\)/);
    expect(webservice.stdout).toMatch(/\n {2}image <string> \(required\)\n/);
    expect(webservice.stdout).toMatch(/\n {2}ports <\[\]object>/);
    const ports = await gantry(['explain', 'webservice.ports']);
    expect(ports.stdout).toMatch(/FIELD: ports <\[\]object>/);
    expect(ports.stdout).toMatch(/\n {2}port <integer> \(required\)/);
    const scaler = await gantry(['explain', 'trait/scaler']);
    expect(scaler.stdout).toMatch(/^TRAIT: scaler/);
    expect(scaler.stdout).toMatch(/CONFLICTS WITH: hpa/);
    expect(scaler.stdout).toMatch(/replicas <integer>/);
    const missing = await gantry(['explain', 'webservice.nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: webservice\.nope: no such property \(has: .*image/);
  });

  it('explains an unknown kind', async () => {
    const result = await gantry(['get', 'gizmos']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'error: the server doesn\'t have a resource type "gizmos" (known: applicationrevisions, applications, clusters, componentdefinitions, environments, hostgroups, teams, traitdefinitions; see gantry api-resources)\n',
    );
  });

  it('deletes by name and from files, and reports what is missing', async () => {
    const byName = await gantry(['delete', 'team', 'payments']);
    expect(byName).toMatchObject({ code: 0, stdout: 'team "payments" deleted\n' });
    const gone = await gantry(['get', 'team', 'payments']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: .*payments.*\[GANTRY_E_NOT_FOUND\]\n$/);

    const missing = await gantry(['delete', '-f', 'teams.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('team "platform" deleted\n');
    expect(missing.stderr).toMatch(/^error: teams\.yaml \(document 2\): .*\[GANTRY_E_NOT_FOUND\]\n$/);

    const ignoring = await gantry(['delete', '-f', 'teams.yaml', '--ignore-not-found']);
    expect(ignoring).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const left = JSON.parse((await gantry(['get', 'teams', '-o', 'json'])).stdout) as {
      items: { metadata: { name: string } }[];
    };
    expect(left.items.map((i) => i.metadata.name)).not.toContain('platform');
  });

  it('tells the user to log in again when the token is rejected', async () => {
    const text = await readFile(configFile, 'utf8');
    await writeFile(configFile, text.replace(/token: .*/, 'token: revoked-or-made-up'));
    const result = await gantry(['get', 'teams']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: not logged in or token expired: run gantry login\n');
  });
});

describe('gantry CLI with a team-scoped kind', () => {
  let widgets: TestServer;
  let w: Cli;

  const widget = (name: string, spec: string, extraMetadata: string[] = []): string =>
    [
      'apiVersion: gantry.dev/v1alpha1',
      'kind: Widget',
      'metadata:',
      `  name: ${name}`,
      ...extraMetadata,
      `spec: ${spec}`,
      '',
    ].join('\n');
  const teamDoc = (name: string): string =>
    `apiVersion: gantry.dev/v1alpha1\nkind: Team\nmetadata:\n  name: ${name}\nspec:\n  members: []\n`;

  beforeAll(async () => {
    widgets = await startTestServer({ extraKinds: [widgetKind] });
    const home = await mkdtemp(join(tmpdir(), 'gantry-cli-it-widgets-'));
    w = new Cli(home, join(home, 'config'));
  });

  afterAll(async () => {
    await widgets?.close();
    if (w) await rm(w.dir, { recursive: true, force: true });
  });

  it('logs in with an API token and a default team', async () => {
    const login = await w.run([
      'login',
      '--server',
      widgets.url,
      '--token',
      widgets.adminToken,
      '--team',
      'blue',
      '--context',
      'ops',
    ]);
    expect(login).toMatchObject({
      code: 0,
      stdout: `Logged in to ${widgets.url} as admin (context "ops")\n`,
      stderr: '',
    });
    expect((await w.run(['config', 'get-contexts'])).stdout.split('\n')[1]).toMatch(
      /^\*\s+ops\s+\S+\s+blue$/,
    );
  });

  it("puts objects in metadata.team, else the context's team, and server defaults keep re-applies unchanged", async () => {
    await w.write(
      'widgets.yaml',
      [
        teamDoc('blue'),
        teamDoc('red'),
        widget('w1', '{}'),
        widget('w2', '{replicas: 3}', ['  team: red', '  labels: {app: shop}']),
      ].join('---\n'),
    );
    const first = await w.run(['apply', '-f', 'widgets.yaml']);
    expect(first).toMatchObject({
      code: 0,
      stderr: '',
      stdout: 'team/blue created\nteam/red created\nwidget/w1 created\nwidget/w2 created\n',
    });
    const again = await w.run(['apply', '-f', 'widgets.yaml']);
    expect(again.stdout).toBe(
      'team/blue unchanged\nteam/red unchanged\nwidget/w1 unchanged\nwidget/w2 unchanged\n',
    );

    expect((await w.run(['get', 'widgets', '-o', 'name'])).stdout).toBe('widget/w1\n');
    expect((await w.run(['get', 'wd', '--team', 'red', '-o', 'name'])).stdout).toBe('widget/w2\n');
    const w1 = JSON.parse((await w.run(['get', 'Widget', 'w1', '-o', 'json'])).stdout) as {
      metadata: { team: string };
      spec: unknown;
    };
    expect(w1.metadata.team).toBe('blue');
    expect(w1.spec).toEqual({ replicas: 1, size: 'small' });

    const all = await w.run(['get', 'widgets', '-A']);
    const [header, ...rows] = all.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME {6}TEAM {6}AGE$/);
    expect(rows.map((r) => r.replace(/\d+[smhdy]$/, 'AGE'))).toEqual([
      'w1        blue      AGE',
      'w2        red       AGE',
    ]);
  });

  it('applies a KubeVela Application and prints what its conversion dropped as a warning, once per object', async () => {
    await w.write(
      'vela.yaml',
      [
        'apiVersion: core.oam.dev/v1beta1',
        'kind: Application',
        'metadata:',
        '  name: vela-web',
        '  namespace: shop',
        '  annotations: {app.oam.dev/publishVersion: "3"}',
        'spec:',
        '  components:',
        '    - {name: web, type: webservice, properties: {image: "nginx:1.27"}}',
        '  policies:',
        '    - {name: eu, type: topology, properties: {clusters: [eu-1]}}',
        '',
      ].join('\n'),
    );
    const warning =
      "Warning: KubeVela conversion: annotations app.oam.dev/publishVersion dropped: KubeVela's (or kubectl's) own bookkeeping\n";
    expect(await w.run(['apply', '-f', 'vela.yaml'])).toMatchObject({
      code: 0,
      stdout: 'application/vela-web created\n',
      stderr: warning,
    });
    // Re-applying sends a dry run (the manifest is KubeVela's, the live object Gantry's): the same warning, once.
    expect(await w.run(['apply', '-f', 'vela.yaml'])).toMatchObject({
      code: 0,
      stdout: 'application/vela-web unchanged\n',
      stderr: warning,
    });
  });

  it('names file, document and field for a schema violation', async () => {
    await mkdir(join(w.dir, 'apps'));
    await w.write(
      'apps/web.yaml',
      [widget('web-ok', '{replicas: 2}'), widget('web', '{replicas: two}')].join('---\n'),
    );
    const result = await w.run(['apply', '-f', 'apps/web.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('widget/web-ok created\n');
    expect(result.stderr).toBe(
      'error: apps/web.yaml (document 2): spec.replicas: must be integer [GANTRY_E_INVALID]\n',
    );
  });

  it('refuses a manifest whose team contradicts --team', async () => {
    await w.write('red-only.yaml', widget('w2', '{replicas: 3}', ['  team: red']));
    const result = await w.run(['apply', '-f', 'red-only.yaml', '--team', 'green']);
    expect(result).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'error: red-only.yaml (document 1): metadata.team "red" does not match --team "green"\n',
    });
  });

  it('diffs a team-scoped object against the dry-run result', async () => {
    await w.write('w1.yaml', widget('w1', '{replicas: 2}'));
    const result = await w.run(['diff', '-f', 'w1.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('--- live/widget/w1\n+++ merged/widget/w1\n');
    expect(result.stdout).toContain('\n-  replicas: 1\n+  replicas: 2\n   size: small\n');
  });

  it('describes status and conditions', async () => {
    const lastTransitionTime = new Date().toISOString();
    const response = await fetch(`${widgets.url}/apis/gantry.dev/v1alpha1/teams/blue/widgets/w1/status`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${widgets.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Widget',
        metadata: { name: 'w1', team: 'blue' },
        status: {
          readyReplicas: 1,
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'Reconciled',
              message: '1/1 replicas ready',
              lastTransitionTime,
            },
          ],
        },
      }),
    });
    expect(response.status).toBe(200);
    const result = await w.run(['describe', 'wd', 'w1']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Name: +w1\nTeam: +blue\nKind: +Widget\n/);
    expect(result.stdout).toContain(
      'Spec:\n  replicas: 1\n  size: small\nStatus:\n  readyReplicas: 1\nConditions:\n',
    );
    expect(result.stdout).toMatch(
      /\n {2}TYPE +STATUS +REASON +AGE +MESSAGE\n {2}Ready +True +Reconciled +\d+s +1\/1 replicas ready\n$/,
    );
  });

  it('follows a changed default team, deletes by selector, and explains a refused delete', async () => {
    expect((await w.run(['config', 'set-context', '--team', 'red'])).stdout).toBe(
      'Context "ops" modified.\n',
    );
    expect((await w.run(['get', 'widgets', '-o', 'name'])).stdout).toBe('widget/w2\n');

    const bySelector = await w.run(['delete', 'widgets', '-l', 'app=shop']);
    expect(bySelector).toMatchObject({ code: 0, stdout: 'widget "w2" deleted\n' });

    const refused = await w.run(['delete', 'team', 'blue']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: .*blue.*holds Widget .*\[GANTRY_E_TEAM_NOT_EMPTY\]\n$/);
    expect((await w.run(['get', 'team', 'blue'])).code).toBe(0);
    const cascaded = await w.run(['delete', 'team', 'blue', '--cascade']);
    expect(cascaded).toMatchObject({ code: 0, stdout: 'team "blue" deleted\n' });
    expect((await w.run(['get', 'team', 'blue'])).code).toBe(1);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
