import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { nodePolicyInput, nodeTreeInput } from '@gantry/healing/testing';
import { Cli } from '../support/cli.ts';
import { seedHealingRun } from '../support/healing-runs.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const TEAM = 'bigdata';

/** `gantry heal ...` as users run it, against a real server with runs stored as the controller stores them. */
describe('gantry heal', () => {
  let server: TestServer;
  let dir: string;
  let cli: Cli;
  const t0 = Date.now();

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'gantry-heal-cli-'));
    cli = new Cli(dir);
    const admin = client(server.url, server.adminToken);
    expect((await admin.post(`${BASE}/teams`, team(TEAM))).status).toBe(201);
    const runs = server.server.store.healing;
    // The exception the healed run healed, resolved: MTTR with healing counts its episode.
    const exception = await admin.post(`/api/teams/${TEAM}/exceptions`, {
      title: 'Node n1 NotReady',
      severity: 'major',
      entities: [],
    });
    expect(exception.status).toBe(201);
    expect((await admin.post(`/api/teams/${TEAM}/exceptions/${exception.body.id}/resolve`, {})).status).toBe(
      200,
    );
    await seedHealingRun(runs, TEAM, t0, 'healed', {
      triggerId: exception.body.id as string,
      policy: 'node-not-ready',
      node: 'n1',
      phase: 'Healed',
      createdMinAgo: 60,
      triggerSinceMinAgo: 65,
      endedMinAgo: 45,
      rootCause: 'HostDown',
      actions: [{ action: 'cordon-drain', state: 'succeeded' }],
    });
    await seedHealingRun(runs, TEAM, t0, 'waiting', {
      policy: 'node-not-ready',
      node: 'n2',
      phase: 'AwaitingApproval',
      reason: 'ApprovalRequested',
      createdMinAgo: 5,
      rootCause: 'HostDown',
      approval: { action: 'cordon-drain', expiresInMin: 30 },
    });
    const object = (kind: string, name: string, spec: unknown) => ({
      apiVersion: 'gantry.dev/v1alpha1',
      kind,
      metadata: { name },
      spec,
    });
    writeFileSync(
      join(dir, 'draft.yaml'),
      [
        stringify(
          object(
            'HealingPolicy',
            'draft',
            nodePolicyInput({
              trigger: { exceptions: { match: 'exception.title.contains("NotReady")' } },
              diagnosis: { tree: 'node-down' },
            }),
          ),
        ),
        stringify(object('DiagnosisTree', 'node-down', nodeTreeInput())),
      ].join('---\n'),
    );
    const login = await cli.run(
      ['login', '--server', server.url, '--username', server.adminUsername, '--password-stdin'],
      { stdin: server.adminPassword },
    );
    expect(login.code).toBe(0);
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Statistics before the approval below: an approved run moves on (here: its policy is gone, it escalates).
  it('prints statistics and a dry run of an unsaved policy and tree from files', async () => {
    const stats = await cli.run(['heal', 'stats', '--team', TEAM]);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toContain('Runs:          2 (1 live); ended: Healed 1');
    expect(stats.stdout).toContain('Auto-healed:   100.0% (1 healed, 0 handed to people)');
    expect(stats.stdout).toContain('Recovery:      p50 20m, p90 20m over 1 healed');
    expect(stats.stdout).toMatch(/^MTTR healed: {3}mean \S+, p50 \S+, p90 \S+ over 1 \(/m);
    expect(stats.stdout).toMatch(/^MTTR others: {3}mean -, p50 -, p90 - over 0 /m);
    expect(stats.stdout).toMatch(/^cordon-drain\s+1\s+1\s+0\s+100\.0%$/m);

    const dry = await cli.run([
      'heal',
      'dry-run',
      '--team',
      TEAM,
      '-f',
      'draft.yaml',
      '--title',
      'NodeNotReady on n9',
      '--entity',
      'Node/east/n9',
    ]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('draft (Act) on Node/east/n9: act — HostDown: would run cordon-drain');
    expect(dry.stdout).toContain('  a: otherwise → b  (evidence.node.ready = false)');
    expect(dry.stdout).toContain('  conclusion: HostDown → cordon-drain');
    const none = await cli.run([
      'heal',
      'dry-run',
      '--team',
      TEAM,
      '--title',
      'x',
      '--entity',
      'Node/east/n9',
    ]);
    expect(none.stdout).toBe('No policy matches (tried: none).\n');
    const bad = await cli.run(['heal', 'dry-run', '--team', TEAM, '--title', 'x', '--entity', 'Rack/r1']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('invalid --entity "Rack/r1"');
    // Nothing was stored by the dry run.
    expect((await server.server.store.healing.list({ team: TEAM, limit: 10 })).items).toHaveLength(2);
  });

  it('lists runs, describes one with its diagnosis path and evidence, and approves it with why', async () => {
    const table = await cli.run(['heal', 'runs', '--team', TEAM]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+POLICY\s+ENTITY\s+PHASE\s+RUNG\s+ROOT CAUSE\s+ACTION\s+AGE\s+MESSAGE$/);
    expect(lines[1]).toMatch(
      /^run-waiting\s+node-not-ready\s+Node\/east\/n2\s+AwaitingApproval\s+1\s+HostDown\s+cordon-drain\s+5m\s+approve cordon-drain before /,
    );
    expect(lines[2]).toMatch(/^run-healed\s+node-not-ready\s+Node\/east\/n1\s+Healed\s/);
    const waiting = await cli.run([
      'heal',
      'runs',
      '--team',
      TEAM,
      '--phase',
      'AwaitingApproval',
      '-o',
      'name',
    ]);
    expect(waiting.stdout).toBe('healingrun/run-waiting\n');
    const since = await cli.run(['heal', 'runs', '--team', TEAM, '--since', '30m', '-o', 'name']);
    expect(since.stdout).toBe('healingrun/run-waiting\n');

    const described = await cli.run(['heal', 'get', 'run-healed', '--team', TEAM]);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain('Root cause:  HostDown → cordon-drain');
    expect(described.stdout).toMatch(
      /^ {2}a: took otherwise → b {2}\(\[0\] evidence\.node\.ready = false\)$/m,
    );
    expect(described.stdout).toMatch(/^node\s+inventory\s+yes\s+\{"ready":false\}$/m);
    expect(described.stdout).toMatch(/^1\s+cordon-drain\s+succeeded\s/m);

    const noReason = await cli.run(['heal', 'approve', 'run-waiting', '--team', TEAM]);
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain("required option '--reason <text>'");
    const approved = await cli.run([
      'heal',
      'approve',
      'run-waiting',
      '--team',
      TEAM,
      '--reason',
      'host gone',
    ]);
    expect(approved.stdout).toBe('healing run run-waiting: cordon-drain approved\n');
    const again = await cli.run(['heal', 'reject', 'run-waiting', '--team', TEAM, '--reason', 'no']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('is not waiting for an approval');
  });
});
