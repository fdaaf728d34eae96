import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSummary } from '@gantry/model';
import { Cli } from '../support/cli.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** `gantry inspections` and `gantry risks`, run as users run them, against a real server (SQLite). */
describe('gantry inspections and gantry risks', () => {
  let server: TestServer;
  let dir: string;
  let cli: Cli;

  const node = (ready: boolean): NodeSummary => ({
    ready,
    unschedulable: false,
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    labels: {},
    taints: [],
    capacity: {},
    allocatable: {},
  });
  const putNodes = (nodes: Record<string, boolean>) =>
    server.server.store.inventory.apply(
      Object.entries(nodes).map(([name, ready]) => ({
        op: 'upsert' as const,
        item: { cluster: 'ops/c1', kind: 'Node', namespace: '', name, uid: name, data: node(ready) },
      })),
      new Date().toISOString(),
    );

  beforeAll(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'gantry-inspections-cli-'));
    cli = new Cli(dir);
    const admin = client(server.url, server.adminToken);
    expect((await admin.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    await admin.put('/api/teams/ops/secrets/c1-kubeconfig', { data: { kubeconfig: 'apiVersion: v1' } });
    const cluster = await admin.post(`${BASE}/teams/ops/clusters`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'c1' },
      spec: { kubeconfigSecret: { name: 'c1-kubeconfig' }, paused: true },
    });
    expect(cluster.status).toBe(201);
    await putNodes({ n1: true, n2: false });
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

  it('lists the templates and applies one from its manifest', async () => {
    const list = await cli.run(['inspections', 'templates']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/cluster-not-ready-nodes\s+Clusters with NotReady nodes/);
    const manifest = await cli.run(['inspections', 'templates', 'cluster-not-ready-nodes']);
    expect(manifest.stdout).toContain('kind: Inspection');
    // Suspended: only the manual runs below run, whatever the wall clock's minute.
    expect(manifest.stdout).toContain('suspend: false');
    const applied = await cli.run(['apply', '--team', 'ops', '-f', '-'], {
      stdin: manifest.stdout.replace('suspend: false', 'suspend: true'),
    });
    expect(applied.code, applied.stderr).toBe(0);
    expect((await cli.run(['inspections', 'templates', 'nope'])).code).not.toBe(0);
  });

  it('runs an inspection, lists its risks and runs, and diffs two runs', async () => {
    const first = await cli.run(['inspections', 'run', 'cluster-not-ready-nodes', '--team', 'ops']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/succeeded, 1 risks found/);
    expect(first.stdout).toMatch(/not-ready-nodes\s+risks\s+1\s+RisksFound/);
    const risks = await cli.run(['risks', '--team', 'ops']);
    expect(risks.stdout.split('\n')[0]).toMatch(/^SCORE\s+STATE\s+SOURCE\s+AGE\s+CONCERNS\s+TITLE$/);
    expect(risks.stdout).toMatch(
      /70\s+open\s+Inspection\/cluster-not-ready-nodes\/not-ready-nodes\s+\S+\s+cluster\/c1\s+c1: 1 of 2 nodes NotReady/,
    );

    await putNodes({ n1: true, n2: true });
    const second = await cli.run([
      'inspections',
      'run',
      'cluster-not-ready-nodes',
      '--team',
      'ops',
      '-o',
      'json',
    ]);
    const secondId = (JSON.parse(second.stdout) as { id: string }).id;
    const diff = await cli.run(['inspections', 'diff', secondId, '--team', 'ops']);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/^- \[70\] not-ready-nodes: c1: 1 of 2 nodes NotReady$/m);
    expect(diff.stdout).toContain('0 unchanged');
    const runs = await cli.run(['inspections', 'runs', 'cluster-not-ready-nodes', '--team', 'ops']);
    expect(runs.stdout.trim().split('\n')).toHaveLength(3);
    expect(runs.stdout.split('\n')[1]).toMatch(new RegExp(`^${secondId}\\s+manual\\s+succeeded`));
    expect((await cli.run(['risks', '--team', 'ops'])).stderr).toContain('No risks found.');
    const gone = await cli.run([
      'risks',
      '--team',
      'ops',
      '--state',
      'gone',
      '--entity',
      'Cluster/c1',
      '-o',
      'json',
    ]);
    expect((JSON.parse(gone.stdout) as { items: unknown[] }).items).toHaveLength(1);
  });
});
