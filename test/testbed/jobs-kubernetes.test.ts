import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed, type TestbedCluster } from '@gantry/testbed';
import type { JobRunWithTargets } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { GANTRY_BIN } from '../support/cli.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

// Cluster targets: a job runs as a Kubernetes Job on a real API server with a real Job controller
// (kube-controller-manager) and kwok nodes. kwok runs no containers: its pod-complete Stage
// (testbed/stages/pod/pod-complete.yaml) ends a Job's pod `Succeeded` with exit code 0 1–6 s after it
// runs, and it serves no container logs. So this suite checks the Job Gantry creates (image, command,
// environment, secrets through a Secret the Job owns, no Kubernetes retries, the deadline and TTL), that
// its completion and exit code become the target's, that the TTL controller deletes it after, and that
// an unreadable log is said so in the output — not what a container prints.
describe('jobs on a cluster (test bed)', () => {
  const agents: ChildProcess[] = [];
  const dirs: string[] = [];
  let bed: Testbed;
  let east: TestbedCluster;
  let server: TestServer;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 1, nodes: 2, progress: true });
    [east] = bed.clusters as [TestbedCluster];
    server = await startTestServer();
    api = client(server.url, server.adminToken);
    expect((await api.post(`${BASE}/teams`, team('sre'))).status).toBe(201);
    expect(
      (await api.put('/api/teams/sre/secrets/east-kubeconfig', { data: { kubeconfig: east.kubeconfig } }))
        .status,
    ).toBe(200);
    expect((await api.put('/api/teams/sre/secrets/api', { data: { token: 'tok-123-secret' } })).status).toBe(
      200,
    );
    expect(
      (
        await api.post(`${BASE}/teams/sre/clusters`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Cluster',
          metadata: { name: 'east' },
          spec: { kubeconfigSecret: { name: 'east-kubeconfig' } },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api.post(`${BASE}/teams/sre/jobtemplates`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'JobTemplate',
          metadata: { name: 'migrate' },
          spec: {
            cluster: {
              image: 'registry.example/migrate:1.2',
              command: ['/bin/migrate', '--to', 'latest'],
              namespace: 'ops-jobs',
              ttlSecondsAfterFinished: 2,
            },
            parameters: {
              type: 'object',
              properties: { database: { type: 'string' } },
              required: ['database'],
            },
            secrets: [{ env: 'API_TOKEN', secret: 'api', key: 'token' }],
            timeoutSeconds: 600,
          },
        })
      ).status,
    ).toBe(201);
  }, 900_000);

  afterAll(async () => {
    for (const agent of agents) if (agent.exitCode === null) agent.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await server?.close();
    await bed?.stop();
  });

  it('runs the template as a Kubernetes Job and takes its end as the target’s', async () => {
    const created = await api.post('/api/jobs/runs', {
      team: 'sre',
      template: 'migrate',
      parameters: { database: 'orders' },
      targets: { cluster: 'east' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const name = `gantry-${id}-1`;
    const job = await eventually(
      () => east.client.get<any>(`/apis/batch/v1/namespaces/ops-jobs/jobs/${name}`).catch(() => undefined),
      (found) => found !== undefined,
      30_000,
    );
    expect(job.metadata.labels).toEqual({ 'jobs.gantry.dev/run': id, 'jobs.gantry.dev/attempt': '1' });
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 2,
    });
    const container = job.spec.template.spec.containers[0];
    expect(container).toMatchObject({
      image: 'registry.example/migrate:1.2',
      command: ['/bin/migrate', '--to', 'latest'],
    });
    expect(container.env).toEqual(
      expect.arrayContaining([
        { name: 'GANTRY_PARAM_DATABASE', value: 'orders' },
        { name: 'GANTRY_RUN_ID', value: id },
        { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name, key: 'API_TOKEN' } } },
      ]),
    );
    expect(JSON.stringify(job)).not.toContain('tok-123-secret');
    // The runner makes the Job the Secret's owner right after the Job exists: wait for that patch.
    const secret = await eventually(
      () => east.client.get<any>(`/api/v1/namespaces/ops-jobs/secrets/${name}`),
      (found) => found.metadata.ownerReferences !== undefined,
      10_000,
    );
    expect(Buffer.from(secret.data.API_TOKEN, 'base64').toString()).toBe('tok-123-secret');
    expect(secret.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Job', name, uid: job.metadata.uid }),
    ]);

    const done = await eventually(
      async () => (await api.get(`/api/jobs/runs/${id}`)).body as JobRunWithTargets,
      (run) => run.state !== 'Running',
      60_000,
      250,
    );
    expect(done).toMatchObject({ state: 'Succeeded', counts: { succeeded: 1 } });
    expect(done.targetList[0]).toMatchObject({
      target: 'cluster/east',
      kind: 'cluster',
      state: 'succeeded',
      exitCode: 0,
    });
    const output = (await api.get(`/api/jobs/runs/${id}/output`)).body;
    // kwok serves no container logs: the output says the log could not be read, once.
    expect(output.chunks.filter((c: any) => c.stream === 'system')).toHaveLength(1);
    expect(output.chunks[0].data).toMatch(/^\[gantry: the pod's log cannot be read: /);

    // The TTL controller deletes the finished Job, and the garbage collector its Secret.
    await eventually(
      () =>
        east.client.get<any>(`/apis/batch/v1/namespaces/ops-jobs/jobs/${name}`).then(
          () => 'exists',
          () => 'gone',
        ),
      (state) => state === 'gone',
      60_000,
      500,
    );
    await eventually(
      () =>
        east.client.get<any>(`/api/v1/namespaces/ops-jobs/secrets/${name}`).then(
          () => 'exists',
          () => 'gone',
        ),
      (state) => state === 'gone',
      60_000,
      500,
    );
  });

  it('refuses a cluster target for a template without spec.cluster, and a cluster the team does not have', async () => {
    await api.post(`${BASE}/teams/sre/jobtemplates`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'JobTemplate',
      metadata: { name: 'hosts-only' },
      spec: { action: 'noop' },
    });
    const hostsOnly = await api.post('/api/jobs/runs', {
      team: 'sre',
      template: 'hosts-only',
      targets: { cluster: 'east' },
    });
    expect(hostsOnly.status).toBe(400);
    expect(hostsOnly.body.details[0].path).toBe('/targets/cluster');
    const missing = await api.post('/api/jobs/runs', {
      team: 'sre',
      template: 'migrate',
      parameters: { database: 'x' },
      targets: { cluster: 'west' },
    });
    expect(missing.status).toBe(404);
  });

  // The host–node link on real kwok nodes: an agent named after a node is that node's host; another names
  // its node with the hosts.gantry.dev/node-name label. Both directions are read through the API.
  it('links agents to the kwok nodes they run on, by name or by label, both ways', async () => {
    const nodes = (await east.client.get<any>('/api/v1/nodes')).items.map((n: any) => n.metadata.name);
    const [first, second] = nodes as [string, string];
    const created = await api.post('/api/teams/sre/join-tokens', { uses: 2 });
    expect(created.status).toBe(201);
    const agent = (name: string, labels: string[]) => {
      const dir = mkdtempSync(join(tmpdir(), 'gantry-agent-'));
      dirs.push(dir);
      const child = spawn(
        process.execPath,
        [
          GANTRY_BIN,
          'agent',
          '--server',
          server.url,
          '--join-token',
          created.body.token,
          '--work-dir',
          dir,
        ].concat(['--name', name], labels.length > 0 ? ['--labels', labels.join(',')] : []),
        { stdio: 'ignore' },
      );
      agents.push(child);
    };
    agent(first, []);
    agent('db-1', [`hosts.gantry.dev/node-name=${second}`]);

    const linked = async (name: string) =>
      (await api.get(`/api/teams/sre/hosts/${name}`)).body as { status: string; node: unknown };
    expect(
      await eventually(
        () => linked(first),
        (host) => host.status === 'Online' && host.node !== null,
        60_000,
        250,
      ),
    ).toMatchObject({ node: { cluster: 'east', node: first } });
    expect(
      await eventually(
        () => linked('db-1'),
        (host) => host.status === 'Online' && host.node !== null,
        60_000,
        250,
      ),
    ).toMatchObject({ node: { cluster: 'east', node: second } });
    const onSecond = (await api.get(`/api/teams/sre/clusters/east/nodes/${second}/hosts`)).body;
    expect(onSecond.items.map((h: any) => h.name)).toEqual(['db-1']);
    const onFirst = (await api.get(`/api/teams/sre/clusters/east/nodes/${first}/hosts`)).body;
    expect(onFirst.items.map((h: any) => h.name)).toEqual([first]);
  });
});
