import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodePolicyInput, nodeTreeInput as tree } from '@gantry/healing/testing';
import { eventually } from '../support/eventually.ts';
import { BASE, client } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { teamWithUsers, type Api } from '../support/team-fixture.ts';

const TEAM = 'bigdata';

/**
 * Self-healing as the server runs it (ADR 0032): HealingPolicy and DiagnosisTree writes go through their
 * admission (a cycle refused with its path, nothing stored), and the healing controller on the
 * `controller/healing` lease takes an open exception that a policy matches — at once: opening it wakes the
 * loop — and keeps the run, here one that freezes and escalates, because the node's cluster is not connected.
 */
describe('self-healing in the server', () => {
  let gantry: TestServer;
  let otto: Api;
  let root: Api;

  beforeAll(async () => {
    // An hour between passes: only the wake of a newly opened exception gets the run made in time.
    gantry = await startTestServer({ config: { healingIntervalSeconds: 3600 } });
    root = client(gantry.url, gantry.adminToken);
    ({ otto } = await teamWithUsers(gantry.url, gantry.adminToken, TEAM, { otto: 'team-admin' }));
  });
  afterAll(async () => {
    await gantry?.close();
  });

  it('refuses a DiagnosisTree with a cycle at apply time, with the path, and stores nothing', async () => {
    const spec = tree();
    spec.steps[1] = { name: 'b', branches: [{ when: 'true', next: 'a' }], otherwise: { next: 'a' } };
    const refused = await otto.post(`${BASE}/teams/${TEAM}/diagnosistrees`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'DiagnosisTree',
      metadata: { name: 'loops' },
      spec,
    });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('GANTRY_E_DIAGNOSIS_TREE');
    expect(refused.body.details).toEqual(
      expect.arrayContaining([{ path: '/spec/steps/1', message: 'cycle: a → b → a' }]),
    );
    expect((await otto.get(`${BASE}/teams/${TEAM}/diagnosistrees/loops`)).status).toBe(404);
    const valid = await otto.post(`${BASE}/teams/${TEAM}/diagnosistrees`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'DiagnosisTree',
      metadata: { name: 'node-down' },
      spec: tree(),
    });
    expect(valid.status).toBe(201);
  });

  it('runs a policy on an open exception it matches and keeps the run with its diagnosis', async () => {
    expect(
      (
        await otto.post(`${BASE}/teams/${TEAM}/healingpolicies`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'HealingPolicy',
          metadata: { name: 'node-not-ready' },
          spec: nodePolicyInput(),
        })
      ).status,
    ).toBe(201);
    const opened = await otto.post(`/api/teams/${TEAM}/exceptions`, {
      title: 'NodeNotReady on n1',
      severity: 'major',
      entities: [{ kind: 'Node', name: 'n1', cluster: 'east' }],
    });
    expect(opened.status).toBe(201);

    const runs = await eventually(
      async () => (await gantry.server.store.healing.list({ team: TEAM, limit: 10 })).items,
      (items) => items.length > 0,
      15_000,
      100,
    );
    expect(runs).toHaveLength(1);
    // Cluster east is not connected: the signals cannot be trusted, so healing freezes and escalates
    // rather than act on what it cannot see (a partition looks like a dead node).
    expect(runs[0]).toMatchObject({
      policy: 'node-not-ready',
      entity: 'Node/east/n1',
      phase: 'Escalated',
      reason: 'SignalsUntrusted',
    });
    expect((runs[0]!.data as { actions: unknown[] }).actions).toEqual([]);
    expect((await root.get(`${BASE}/teams/${TEAM}/changes`)).body.items).toEqual([]);
  });
});
