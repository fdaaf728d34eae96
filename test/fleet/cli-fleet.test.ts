import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import { eventually } from '../support/eventually.ts';
import { Cli, type CliResult as Result } from '../support/cli.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// The `gantry` bin in a child process, against a real server started in-process that manages a real
// cluster from the test bed (kube-apiserver, controllers, kwok nodes). The tests are one scenario, in
// order: each step builds on the previous ones, as an operator would go.

interface ClusterJson {
  items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
}

let bed: Testbed;
let east: TestbedCluster;
let server: TestServer;
let dir: string;

const gantry = (args: readonly string[], options: { stdin?: string } = {}): Promise<Result> =>
  new Cli(dir).run(args, options);

/** Runs the CLI again until `done` holds (each run is a process start: poll gently). */
const until = (
  args: readonly string[],
  done: (result: Result) => boolean,
  deadlineMs = 60_000,
): Promise<Result> => eventually(() => gantry(args), done, deadlineMs, 500);

/** The table's data rows, split into cells. */
const rows = (table: string): string[][] =>
  table
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s{2,}/));

const nodeRow = (table: string, node: string): string[] | undefined =>
  rows(table).find((row) => row[1] === node);

/** Nodes with no pod on them, from the cluster itself. */
async function emptyNodes(): Promise<string[]> {
  const nodes = JSON.parse(await east.kubectl(['get', 'nodes', '-o', 'json'])) as {
    items: { metadata: { name: string } }[];
  };
  const pods = JSON.parse(await east.kubectl(['get', 'pods', '-A', '-o', 'json'])) as {
    items: { spec: { nodeName?: string } }[];
  };
  const busy = new Set(pods.items.map((pod) => pod.spec.nodeName));
  return nodes.items.map((node) => node.metadata.name).filter((name) => !busy.has(name));
}

describe('gantry fleet commands against a test bed cluster', () => {
  let nodes: string[];

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 1, nodes: 3 });
    east = bed.clusters[0]!;
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'gantry-cli-fleet-'));
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    await bed?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs in and creates the team sre', async () => {
    const login = await gantry(
      ['login', '--server', server.url, '--username', server.adminUsername, '--password-stdin'],
      {
        stdin: `${server.adminPassword}\n`,
      },
    );
    expect(login).toMatchObject({ code: 0, stderr: '' });
    await writeFile(
      join(dir, 'team.yaml'),
      [
        'apiVersion: gantry.dev/v1alpha1',
        'kind: Team',
        'metadata:',
        '  name: sre',
        'spec:',
        '  members:',
        '    - user: admin',
        '      role: team-admin',
        '',
      ].join('\n'),
    );
    expect(await gantry(['apply', '-f', 'team.yaml'])).toMatchObject({
      code: 0,
      stdout: 'team/sre created\n',
    });
    expect((await gantry(['config', 'set-context', '--team', 'sre'])).code).toBe(0);
  });

  it('refuses a kubeconfig context the file does not have, naming those it has', async () => {
    const result = await gantry([
      'cluster',
      'add',
      'east',
      '--kubeconfig',
      east.kubeconfigPath,
      '--context',
      'nope',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: context "nope" not found in kubeconfig ${east.kubeconfigPath} (contexts: ${east.name})\n`,
    );
    expect(result.stdout).toBe('');
    // Nothing was sent: no Cluster exists.
    expect((await gantry(['get', 'clusters', '-o', 'name'])).stdout).toBe('');
  });

  it('adds the cluster from its kubeconfig file and sees it become Ready', async () => {
    const added = await gantry([
      'cluster',
      'add',
      'east',
      '--kubeconfig',
      east.kubeconfigPath,
      '-l',
      'env=test',
      '-l',
      `region=${east.region}`,
    ]);
    expect(added).toMatchObject({ code: 0, stdout: 'cluster/east added\n', stderr: '' });

    const ready = await until(['get', 'clusters', '-o', 'json'], (result) => {
      if (result.code !== 0) return false;
      const list = JSON.parse(result.stdout) as ClusterJson;
      return list.items.some((c) =>
        c.status?.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True'),
      );
    });
    const cluster = (JSON.parse(ready.stdout) as ClusterJson).items[0] as unknown as {
      metadata: { labels: Record<string, string> };
      spec: { kubeconfigSecret: { name: string }; context?: string };
    };
    expect(cluster.metadata.labels).toEqual({ env: 'test', region: east.region });
    expect(cluster.spec.kubeconfigSecret.name).toBe('east-kubeconfig');
    expect(cluster.spec.context).toBeUndefined();
    // The Cluster kind's printer columns put its health in the table.
    const table = await gantry(['get', 'clusters']);
    const [header, row] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+READY\s+REASON\s+VERSION\s+NODES\s+READY-NODES\s+AGE$/);
    expect(row).toMatch(/^east\s+True\s+Synced\s+v1\.36\.3\s+3\s+3\s+\d+[smhd]$/);

    // Adding it again updates it in place.
    const again = await gantry([
      'cluster',
      'add',
      'east',
      '--kubeconfig',
      east.kubeconfigPath,
      '--context',
      east.name,
    ]);
    expect(again).toMatchObject({ code: 0, stdout: 'cluster/east configured\n' });
    const updated = JSON.parse(
      (await gantry(['get', 'cluster', 'east', '-o', 'json'])).stdout,
    ) as typeof cluster;
    expect(updated.spec.context).toBe(east.name);
    expect(updated.metadata.labels).toEqual({ env: 'test', region: east.region });
  });

  it('lists the three Ready nodes of the cluster, and the namespaces', async () => {
    const listed = await until(
      ['get', 'nodes', '--cluster', 'east'],
      (r) => rows(r.stdout).filter((row) => row[2] === 'Ready').length === 3,
    );
    expect(listed.stdout.split('\n')[0]).toMatch(/^CLUSTER\s+NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    for (const row of rows(listed.stdout)) {
      expect(row[0]).toBe('east');
      expect(row[4]).toMatch(/^\d+[smhdy]$/);
      expect(row[5]).not.toBe('<none>'); // kwok reports its own kubelet version, "fake"
      expect(row[5]).toBeTruthy();
    }
    nodes = rows(listed.stdout).map((row) => row[1]!);

    const [first] = nodes;
    const one = await gantry(['get', 'node', first!, '--cluster', 'east', '-o', 'json']);
    expect(JSON.parse(one.stdout)).toMatchObject({
      cluster: 'sre/east',
      kind: 'Node',
      name: first,
      ready: true,
    });
    expect(await gantry(['get', 'node', first!, 'ghost', '--cluster', 'east', '-o', 'name'])).toMatchObject({
      code: 1,
      stdout: `node/${first}\n`,
      stderr: 'error: node "ghost" not found in cluster sre/east\n',
    });

    // Across the fleet the cluster is named with its team.
    const all = await gantry(['get', 'no', '-o', 'name']);
    expect(all.stdout.trimEnd().split('\n').sort()).toEqual(nodes.map((n) => `node/${n}`).sort());
    expect(rows((await gantry(['get', 'nodes'])).stdout)[0]?.[0]).toBe('sre/east');

    const namespaces = await until(['get', 'ns', '--cluster', 'east'], (r) =>
      r.stdout.includes('kube-system'),
    );
    expect(namespaces.stdout.split('\n')[0]).toMatch(/^CLUSTER\s+NAME\s+STATUS\s+AGE$/);
    expect(rows(namespaces.stdout).find((row) => row[1] === 'default')?.[2]).toBe('Active');

    const unknown = await gantry(['get', 'nodes', '--cluster', 'west']);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'error: clusters/west not found in team sre [GANTRY_E_NOT_FOUND]\n',
    });
  });

  it('describes a node', async () => {
    const node = nodes[0]!;
    const described = await gantry(['describe', 'node', node, '--cluster', 'east']);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(new RegExp(`^Name: +${node}\\nCluster: +sre/east\\nStatus: +Ready\\n`));
    expect(described.stdout).toMatch(/\nConditions:\n {2}TYPE +STATUS +REASON +AGE +MESSAGE\n/);
    expect(described.stdout).toMatch(/\n {2}Ready +True +/);
    expect(described.stdout).toMatch(/\nCapacity:\n(?: {2}\S+: +\S+\n)*? {2}pods: +\d+\n/);
    expect(described.stdout).toContain('\nAllocatable:\n');
  });

  it('cordons and uncordons a node, and the inventory follows', async () => {
    const node = nodes[0]!;
    expect(await gantry(['cordon', node, '--cluster', 'east'])).toMatchObject({
      code: 0,
      stdout: `node/${node} cordoned\n`,
    });
    await until(
      ['get', 'nodes', '--cluster', 'east'],
      (r) => nodeRow(r.stdout, node)?.[2] === 'Ready,SchedulingDisabled',
      30_000,
    );

    expect(await gantry(['uncordon', node, '--cluster', 'east'])).toMatchObject({
      code: 0,
      stdout: `node/${node} uncordoned\n`,
    });
    await until(
      ['get', 'nodes', '--cluster', 'east'],
      (r) => nodeRow(r.stdout, node)?.[2] === 'Ready',
      30_000,
    );
  });

  it('drains an empty node', async () => {
    const [empty] = await emptyNodes();
    expect(empty).toBeDefined();
    const drained = await gantry(['drain', empty!, '--cluster', 'east', '--timeout', '30s']);
    expect(drained).toMatchObject({
      code: 0,
      stdout: `node/${empty} cordoned\nnode/${empty} drained\n`,
      stderr: '',
    });
    expect((await gantry(['uncordon', empty!, '--cluster', 'east'])).code).toBe(0);
  });

  it('fails a drain that leaves a pod behind, naming it and why', async () => {
    const [target] = await emptyNodes();
    await east.client.create('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bare' },
      spec: {
        nodeName: target,
        containers: [{ name: 'c', image: 'busybox' }],
        tolerations: [{ operator: 'Exists' }],
      },
    });
    const drained = await gantry(['drain', target!, '--cluster', 'east', '--timeout', '10s']);
    expect(drained.code).toBe(1);
    expect(drained.stdout).toBe(`node/${target} cordoned\n`);
    expect(drained.stderr).toMatch(/^error: pod default\/bare not evicted: not managed by a controller.*\n/);
    expect(drained.stderr).toContain(`error: node/${target} not drained: 1 pod remains\n`);

    const pods = await until(
      ['get', 'pods', '--cluster', 'east', '-n', 'default'],
      (r) => rows(r.stdout).length === 1,
    );
    expect(pods.stdout.split('\n')[0]).toMatch(/^CLUSTER\s+NAMESPACE\s+\S+/);
    expect(rows(pods.stdout)[0]?.slice(0, 2)).toEqual(['east', 'default']);
    expect((await gantry(['uncordon', target!, '--cluster', 'east'])).code).toBe(0);
  });

  it("prints the cluster's events", async () => {
    const listed = await until(
      ['events', '--cluster', 'east'],
      (r) => r.code === 0 && rows(r.stdout).length > 0,
      30_000,
    );
    expect(listed.stdout.split('\n')[0]).toMatch(
      /^NAMESPACE\s+LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+ACTOR\s+MESSAGE$/,
    );
    expect(listed.stderr).toBe('');
    const json = JSON.parse((await gantry(['events', '--cluster', 'east', '-o', 'json'])).stdout) as {
      items: { cluster: string; source: string; reason: string; actor: string }[];
    };
    expect(json.items.length).toBeGreaterThan(0);
    expect(json.items.every((event) => event.cluster === 'sre/east')).toBe(true);
    // Gantry's own events about the cluster come with the cluster's Kubernetes Events.
    expect(json.items).toContainEqual(
      expect.objectContaining({ source: 'gantry', reason: 'ClusterConnected', actor: 'controller/cluster' }),
    );
    expect(json.items.some((event) => event.source === 'kubernetes')).toBe(true);
  });

  it('removes the cluster and its kubeconfig secret', async () => {
    expect(await gantry(['cluster', 'remove', 'east'])).toMatchObject({
      code: 0,
      stdout: 'cluster/east removed\nsecret/east-kubeconfig deleted\n',
    });
    expect((await gantry(['get', 'clusters', '-o', 'name'])).stdout).toBe('');
  });
});
