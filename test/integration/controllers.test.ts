import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// The controller runtime inside a real server on SQLite: the Team controller writes conditions that
// follow what it observes, through the same API a user reads.

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}
interface TeamObject {
  metadata: { generation: number; resourceVersion: string };
  status?: { observedGeneration?: number; conditions?: Condition[] };
}

const condition = (object: TeamObject, type: string) =>
  object.status?.conditions?.find((c) => c.type === type);

let server: TestServer;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startTestServer();
  api = client(server.url, server.adminToken);
});

afterAll(async () => {
  await server?.close();
});

async function successfulReconciles(): Promise<number> {
  const text = (await api.get('/metrics')).body as string;
  const match = /gantry_controller_reconciles_total\{controller="team",result="success"\} (\d+)/.exec(text);
  return match ? Number(match[1]) : 0;
}

const getTeam = async (name: string): Promise<TeamObject> => {
  const reply = await api.get(`${BASE}/teams/${name}`);
  expect(reply.status).toBe(200);
  return reply.body as TeamObject;
};

describe('controllers in a running server', () => {
  it('the Team controller reports an unknown member, then Ready once the user exists', async () => {
    const created = await api.post(
      `${BASE}/teams`,
      team('data', [
        { user: 'admin', role: 'team-admin' },
        { user: 'dora', role: 'operator' },
      ]),
    );
    expect(created.status).toBe(201);

    const unresolved = await eventually(
      () => getTeam('data'),
      (t) => condition(t, 'MembersResolved') !== undefined,
    );
    expect(condition(unresolved, 'MembersResolved')).toMatchObject({
      status: 'False',
      reason: 'UnknownUser',
      observedGeneration: 1,
    });
    expect(condition(unresolved, 'MembersResolved')?.message).toContain('dora');
    expect(condition(unresolved, 'MembersResolved')?.message).not.toContain('admin');
    expect(condition(unresolved, 'Ready')).toMatchObject({ status: 'False', reason: 'UnknownUser' });
    expect(unresolved.status?.observedGeneration).toBe(unresolved.metadata.generation);

    expect((await api.post('/api/users', { username: 'dora', password: 'dora-password-1' })).status).toBe(
      201,
    );
    expect((await api.patch(`${BASE}/teams/data`, { spec: { description: 'data platform' } })).status).toBe(
      200,
    );

    const ready = await eventually(
      () => getTeam('data'),
      (t) => condition(t, 'Ready')?.status === 'True',
    );
    expect(ready.metadata.generation).toBe(2);
    expect(ready.status?.observedGeneration).toBe(2);
    expect(condition(ready, 'MembersResolved')).toMatchObject({
      status: 'True',
      reason: 'MembersResolved',
      observedGeneration: 2,
    });
    expect(condition(ready, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'MembersResolved',
      observedGeneration: 2,
    });
  });

  it('writes status as the system principal from controller/team, once per change', async () => {
    const before = await successfulReconciles();
    expect((await api.post(`${BASE}/teams`, team('audited', []))).status).toBe(201);
    await eventually(
      () => getTeam('audited'),
      (t) => condition(t, 'Ready')?.status === 'True',
    );
    // One reconcile for the create, one for the controller's own status write coming back through the feed:
    // that second look must change nothing, so exactly one status write is audited.
    await eventually(successfulReconciles, (count) => count >= before + 2);
    const audit = await api.get('/api/audit?name=audited&action=status');
    expect(audit.status).toBe(200);
    expect(
      (audit.body as { items: { actor: string; source: string }[] }).items.map((entry) => [
        entry.actor,
        entry.source,
      ]),
    ).toEqual([['system:gantry', 'controller/team']]);
  });

  it('exports the controller metrics and holds the lease', async () => {
    const text = (await api.get('/metrics')).body as string;
    expect(text).toMatch(/gantry_controller_leader\{controller="team"\} 1/);
    expect(text).toMatch(/gantry_controller_reconcile_duration_seconds_count\{controller="team"\} [1-9]/);
    const leases = await server.server.store.leases.list();
    expect(leases.map((lease) => lease.name)).toContain('controller/team');
  });
});
