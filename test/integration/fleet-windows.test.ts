import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '@gantry/fleet';
import { MemoryAgentPort, MemoryHostDirectory } from '@gantry/jobs';
import { JOBS_CHANNEL, type JobRunWithTargets, type JobServerMessage } from '@gantry/model';
import { resolveConfig, startServer, type RunningServer } from '../../apps/server/src/index.ts';
import { eventually } from '../support/eventually.ts';
import { BASE, client, recordedReplies } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { TEST_ADMIN_PASSWORD } from '../support/server.ts';
import { teamWithUsers } from '../support/team-fixture.ts';

const TEAM = 'ops';
const HOSTS = ['host-1', 'host-2'];
type Api = ReturnType<typeof client>;

/**
 * The fleet gate through the real server (ADR 0033), its clock faked: a job run made by hand held in the
 * queue by a ChangeWindow that governs jobs and dispatched at the opening; a cordon by hand refused during
 * a freeze with GANTRY_E_WINDOW_CLOSED, and let through the gate with an override reason (audited).
 */
describe('fleet windows (SQLite)', () => {
  const port = new MemoryAgentPort();
  const hosts = new MemoryHostDirectory();
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-fleet-windows-'));
  const object = (kind: string, name: string, spec: unknown) => ({
    apiVersion: 'gantry.dev/v1alpha1',
    kind,
    metadata: { name },
    spec,
  });
  let now = Date.parse('2026-06-10T10:50:00Z');
  let server: RunningServer;
  let admin: Api;
  let tina: Api; // team-admin
  let otto: Api; // operator

  beforeAll(async () => {
    server = await startServer(
      resolveConfig(
        {},
        { port: 0, host: '127.0.0.1', dataDir, adminPassword: TEST_ADMIN_PASSWORD, logLevel: 'silent' },
      ),
      { jobs: { port, hosts }, now: () => now },
    );
    const login = await client(server.url).post('/api/auth/login', {
      username: 'admin',
      password: TEST_ADMIN_PASSWORD,
    });
    admin = client(server.url, login.body.token);
    ({ tina, otto } = await teamWithUsers(server.url, login.body.token, TEAM, {
      tina: 'team-admin',
      otto: 'operator',
    }));
    // Agents that finish every start at once.
    for (const host of HOSTS) {
      hosts.add(TEAM, host);
      const link = port.connect(TEAM, host, {
        [JOBS_CHANNEL]: (body) => {
          const message = body as JobServerMessage;
          if (message.type !== 'start') return;
          const ids = { runId: message.runId, target: message.target, attempt: message.attempt };
          const at = new Date(now).toISOString();
          link.report(JOBS_CHANNEL, { type: 'accepted', ...ids, at, duplicate: false });
          link.report(JOBS_CHANNEL, {
            type: 'finished',
            ...ids,
            reason: 'Exited',
            exitCode: 0,
            signal: null,
            message: '',
            outputBytes: 0,
            truncated: false,
            lastSeq: 0,
            at,
          });
        },
      });
    }
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds a job run made by hand in the queue while a window governs jobs, and dispatches it at the opening', async () => {
    expect(
      (
        await tina.post(
          `${BASE}/teams/${TEAM}/changewindows`,
          object('ChangeWindow', 'jobs-at-eleven', {
            allow: [{ cron: '0 11 * * *', duration: '1h' }],
            appliesTo: ['jobs'],
          }),
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await tina.post(
          `${BASE}/teams/${TEAM}/jobtemplates`,
          object('JobTemplate', 'noop', {
            script: { interpreter: 'sh', source: 'true' },
            timeoutSeconds: 30,
          }),
        )
      ).status,
    ).toBe(201);
    const created = await otto.post('/api/jobs/runs', {
      team: TEAM,
      template: 'noop',
      targets: { hosts: HOSTS },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const held = await eventually(
      async () => (await otto.get(`/api/jobs/runs/${id}`)).body as JobRunWithTargets,
      (run) => run.reason === 'WindowClosed',
    );
    expect(held.state).toBe('Running');
    expect(held.targetList.map((t) => [t.state, t.reason, t.message])).toEqual(
      HOSTS.map(() => [
        'queued',
        'WindowClosed',
        'queued until 2026-06-10T11:00:00.000Z: jobs outside the allowed periods of ChangeWindow jobs-at-eleven until 2026-06-10T11:00:00.000Z',
      ]),
    );
    now = Date.parse('2026-06-10T11:00:00Z');
    const done = await eventually(
      async () => (await otto.get(`/api/jobs/runs/${id}`)).body as JobRunWithTargets,
      (run) => run.state !== 'Running',
    );
    expect(done.state).toBe('Succeeded');
    expect(done.targetList.map((t) => t.state)).toEqual(['succeeded', 'succeeded']);
  });

  it('refuses a cordon by hand during a freeze, and lets it through the gate with an override reason', async () => {
    expect(
      (
        await tina.post(
          `${BASE}/teams/${TEAM}/changewindows`,
          object('ChangeWindow', 'summer-freeze', {
            freeze: [{ cron: '0 10 10 6 *', duration: '2h', reason: 'launch' }],
            appliesTo: ['nodeOperations'],
          }),
        )
      ).status,
    ).toBe(201);
    const node = `/api/teams/${TEAM}/clusters/east/nodes/worker-1`;
    const refused = await otto.post(`${node}/cordon`, {});
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'GANTRY_E_WINDOW_CLOSED' });
    expect(refused.body.message).toBe(
      'cordon of node worker-1 refused: nodeOperations frozen by ChangeWindow summer-freeze (freeze 0: launch) until 2026-06-10T12:00:00.000Z (opens 2026-06-10T12:00:00.000Z); give overrideReason to act anyway',
    );
    const drain = await otto.post(`${node}/drain`, { timeoutSeconds: 5 });
    expect(drain.status).toBe(409);
    expect(drain.body.code).toBe('GANTRY_E_WINDOW_CLOSED');

    // Overridden: past the gate, the operation goes on (here to a cluster the team does not have).
    const forced = await otto.post(`${node}/cordon`, { overrideReason: 'incident 7: isolate worker-1' });
    expect(forced.status).toBe(404);
    const audit = (await admin.get('/api/audit?kind=Node&action=cordon-override')).body.items as {
      actor: string;
      name: string;
      after: { reason: string; gate: string };
    }[];
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: 'otto',
      name: 'east/worker-1',
      after: { gate: 'WindowClosed', reason: 'incident 7: isolate worker-1' },
    });

    // After the freeze, no override is needed to pass the gate.
    now = Date.parse('2026-06-10T12:00:00Z');
    expect((await otto.post(`${node}/cordon`)).status).toBe(404);
  });
});

/**
 * Drains by hand hold the shared disruption budget (ADR 0033) through the real server: the nodes' cluster
 * is a fake KubeClient whose evictions wait for the test, so that two drains overlap.
 */
describe('drains by hand held to a disruption budget (SQLite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-drain-holds-'));
  let server: RunningServer;
  let otto: Api;
  let tina: Api;
  /** Evictions of each node's pod wait until the test lets them go. */
  const waiting = new Map<string, () => void>();
  const evicting = new Map<string, Promise<void>>();
  const fakeClient = (): KubeClient => ({
    server: 'https://east',
    request<T>(method: string, path: string): Promise<T> {
      if (method === 'PATCH') return Promise.resolve({} as T);
      if (method === 'GET') {
        const node = decodeURIComponent(path).split('spec.nodeName=')[1] ?? '';
        return Promise.resolve({
          items: [
            {
              metadata: {
                name: `pod-on-${node}`,
                namespace: 'web',
                ownerReferences: [{ kind: 'ReplicaSet', controller: true }],
              },
              status: { phase: 'Running' },
            },
          ],
        } as T);
      }
      const node = path.split('/pods/pod-on-')[1]?.split('/')[0] ?? '';
      const released = new Promise<void>((resolve) => waiting.set(node, resolve));
      evicting.set(node, released);
      return released.then(() => ({}) as T);
    },
    watch: () => Promise.resolve(),
    close: () => undefined,
  });

  beforeAll(async () => {
    server = await startServer(
      resolveConfig(
        {},
        { port: 0, host: '127.0.0.1', dataDir, adminPassword: TEST_ADMIN_PASSWORD, logLevel: 'silent' },
      ),
      { kubeClientFactory: () => Promise.resolve(fakeClient()) },
    );
    const login = await client(server.url).post('/api/auth/login', {
      username: 'admin',
      password: TEST_ADMIN_PASSWORD,
    });
    ({ tina, otto } = await teamWithUsers(server.url, login.body.token, TEAM, {
      tina: 'team-admin',
      otto: 'operator',
    }));
    const admin = client(server.url, login.body.token);
    expect(
      (await admin.put(`/api/teams/${TEAM}/secrets/east-kubeconfig`, { data: { kubeconfig: 'unused' } }))
        .status,
    ).toBeLessThan(300);
    expect(
      (
        await admin.post(`${BASE}/teams/${TEAM}/clusters`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Cluster',
          metadata: { name: 'east' },
          spec: { kubeconfigSecret: { name: 'east-kubeconfig' }, paused: true },
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    for (const release of waiting.values()) release();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a second drain while the first holds the budget, and lets it once the first has ended', async () => {
    expect(
      (
        await tina.post(`${BASE}/teams/${TEAM}/disruptionbudgets`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'DisruptionBudget',
          metadata: { name: 'one-at-a-time' },
          spec: { maxUnavailable: '1' },
        })
      ).status,
    ).toBe(201);
    const nodes = `/api/teams/${TEAM}/clusters/east/nodes`;
    const first = otto.post(`${nodes}/worker-1/drain`, { timeoutSeconds: 30 });
    await eventually(
      () => Promise.resolve(evicting.has('worker-1')),
      (started) => started,
    );
    const second = await otto.post(`${nodes}/worker-2/drain`, { timeoutSeconds: 30 });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'GANTRY_E_BUDGET_EXHAUSTED' });
    expect(second.body.message).toContain('DisruptionBudget one-at-a-time: 1 of');
    expect(evicting.has('worker-2')).toBe(false);

    waiting.get('worker-1')!();
    expect((await first).body).toMatchObject({ node: 'worker-1', evicted: [{ name: 'pod-on-worker-1' }] });
    const again = otto.post(`${nodes}/worker-2/drain`, { timeoutSeconds: 30 });
    await eventually(
      () => Promise.resolve(evicting.has('worker-2')),
      (started) => started,
    );
    waiting.get('worker-2')!();
    expect((await again).status).toBe(200);
  });

  it('gave only answers that /api/openapi.json declares, with bodies its schemas allow', async () => {
    const doc = (await client(server.url).get('/api/openapi.json')).body;
    expect(recordedReplies.filter((reply) => reply.url.includes('/nodes/')).length).toBeGreaterThan(6);
    expect(openApiViolations(doc, recordedReplies)).toEqual([]);
  });
});
