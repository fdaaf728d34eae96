import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeActionRecord, ChangeJournal, ChangeStatus, LineStopList } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, recordedReplies } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { teamWithUsers } from '../support/team-fixture.ts';

const TEAM = 'ops';
type Api = ReturnType<typeof client>;

/**
 * Changes through the real HTTP API on SQLite: apply-time refusals with codes and paths, the engine
 * running on the server (a change waiting for its window, a change that cannot resolve its nodes),
 * pause, resume and abort with who and why, stop-the-line, the journal, and the OpenAPI contract.
 */
describe('changes API (SQLite)', () => {
  let gantry: TestServer;
  let admin: Api;
  let otto: Api; // operator
  let vera: Api; // viewer

  const object = (kind: string, name: string, spec: unknown) => ({
    apiVersion: 'gantry.dev/v1alpha1',
    kind,
    metadata: { name },
    spec,
  });
  const changes = `${BASE}/teams/${TEAM}/changes`;
  const windows = `${BASE}/teams/${TEAM}/changewindows`;
  const status = async (name: string) => (await otto.get(`${changes}/${name}`)).body.status as ChangeStatus;

  beforeAll(async () => {
    gantry = await startTestServer();
    admin = client(gantry.url, gantry.adminToken);
    ({ otto, vera } = await teamWithUsers(gantry.url, gantry.adminToken, TEAM, {
      otto: 'operator',
      vera: 'viewer',
    }));
  });
  afterAll(async () => {
    await gantry?.close();
  });

  it('refuses bad windows and plans at apply time, with the code and the path', async () => {
    const badCron = await otto.post(
      windows,
      object('ChangeWindow', 'bad', {
        allow: [{ cron: '0 0 32 * *', duration: '1h' }],
        timeZone: 'Mars/Base',
      }),
    );
    expect(badCron.status).toBe(400);
    expect(badCron.body.code).toBe('GANTRY_E_INVALID');
    expect(badCron.body.details.map((d: { path: string }) => d.path)).toEqual([
      '/spec/timeZone',
      '/spec/allow/0/cron',
    ]);

    const never = await otto.post(
      windows,
      object('ChangeWindow', 'never', {
        allow: [{ cron: '0 2 * * *', duration: '1h' }],
        freeze: [{ cron: '0 0 * * *', duration: '1d' }],
      }),
    );
    expect(never.status).toBe(422);
    expect(never.body).toMatchObject({
      code: 'GANTRY_E_WINDOW_NEVER_OPENS',
      details: [{ path: '/spec/freeze' }],
    });

    const uncovered = await otto.post(
      changes,
      object('Change', 'short', {
        nodeOperation: { operation: 'cordon' },
        targets: { names: ['east/a', 'east/b', 'east/c', 'east/a'] },
        plan: { batches: [{ size: '1', bake: '1m' }] },
      }),
    );
    expect(uncovered.status).toBe(422);
    expect(uncovered.body.code).toBe('GANTRY_E_CHANGE_PLAN');
    expect(uncovered.body.details).toEqual([
      { path: '/spec/targets/names/3', message: expect.stringContaining('again') },
    ]);

    const notCovered = await otto.post(
      changes,
      object('Change', 'short', {
        nodeOperation: { operation: 'cordon' },
        targets: { names: ['east/a', 'east/b', 'east/c'] },
        plan: { batches: [{ size: '1', bake: '1m' }] },
      }),
    );
    expect(notCovered.body).toMatchObject({
      code: 'GANTRY_E_CHANGE_PLAN',
      details: [{ path: '/spec/plan/batches', message: expect.stringContaining('covers 1 of 3') }],
    });

    const unknownWindow = await otto.post(
      changes,
      object('Change', 'nowin', {
        nodeOperation: { operation: 'cordon' },
        targets: { selector: '' },
        windows: ['nope'],
      }),
    );
    expect(unknownWindow.status).toBe(422);
    expect(unknownWindow.body).toMatchObject({
      code: 'GANTRY_E_UNKNOWN_WINDOW',
      details: [{ path: '/spec/windows/0' }],
    });

    const twoActions = await otto.post(
      changes,
      object('Change', 'both', {
        nodeOperation: { operation: 'cordon' },
        jobRun: { template: 'x' },
        targets: { selector: '' },
      }),
    );
    expect(twoActions.body).toMatchObject({ code: 'GANTRY_E_CHANGE_PLAN', details: [{ path: '/spec' }] });
    expect((await otto.get(changes)).body.items).toEqual([]);
  });

  it('runs the engine on the server: a change whose nodes do not exist fails to start and says why', async () => {
    const created = await otto.post(
      changes,
      object('Change', 'ghosts', {
        nodeOperation: { operation: 'drain' },
        targets: { names: ['east/n1'] },
        plan: { batches: [{ size: '1', bake: '0s' }] },
      }),
    );
    expect(created.status).toBe(201);
    const failed = await eventually(
      () => status('ghosts'),
      (s) => s?.phase === 'Failed',
    );
    expect(failed.message).toContain('east/n1');
    const journal = (await otto.get(`/api/teams/${TEAM}/changes/ghosts/journal`)).body as ChangeJournal;
    expect(journal.items.map((entry) => entry.type)).toEqual(['Failed']);
    expect(journal.items[0]!.term).toMatch(/#\d+$/);
  });

  it('waits for its window; pause, resume and abort are recorded with who and why', async () => {
    expect(
      (
        await otto.post(
          windows,
          object('ChangeWindow', 'new-year', { allow: [{ cron: '0 3 1 1 *', duration: '1h' }] }),
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await otto.post(
          changes,
          object('Change', 'later', {
            nodeOperation: { operation: 'cordon' },
            targets: { selector: '' },
            windows: ['new-year'],
          }),
        )
      ).status,
    ).toBe(201);
    const waiting = await eventually(
      () => status('later'),
      (s) => s?.phase === 'Waiting',
    );
    expect(waiting.waitingUntil).toMatch(/-01-01T03:00:00.000Z$/);
    expect(waiting.message).toContain('outside its allowed windows until');

    expect((await vera.post(`/api/teams/${TEAM}/changes/later/pause`, { reason: 'no' })).status).toBe(403);
    const paused = await otto.post(`/api/teams/${TEAM}/changes/later/pause`, { reason: 'release freeze' });
    expect(paused.status).toBe(202);
    expect(paused.body as ChangeActionRecord).toMatchObject({
      action: 'pause',
      actor: 'otto',
      reason: 'release freeze',
    });
    const seen = await eventually(
      () => status('later'),
      (s) => s?.phase === 'Paused',
    );
    expect(seen.paused).toMatchObject({ actor: 'otto', reason: 'release freeze' });
    expect((await otto.post(`/api/teams/${TEAM}/changes/later/pause`, { reason: 'twice' })).body.code).toBe(
      'GANTRY_E_CHANGE_STATE',
    );
    expect(
      (await otto.post(`/api/teams/${TEAM}/changes/later/resume`, { reason: 'freeze over' })).status,
    ).toBe(202);
    await eventually(
      () => status('later'),
      (s) => s?.phase === 'Waiting',
    );
    expect((await otto.post(`/api/teams/${TEAM}/changes/later/abort`, { reason: 'not needed' })).status).toBe(
      202,
    );
    const aborted = await eventually(
      () => status('later'),
      (s) => s?.phase === 'Aborted',
    );
    expect(aborted.aborted).toMatchObject({ actor: 'otto', reason: 'not needed' });
    const again = await otto.post(`/api/teams/${TEAM}/changes/later/resume`, { reason: 'x' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('GANTRY_E_CHANGE_STATE');
    expect((await otto.post(`/api/teams/${TEAM}/changes/later/abort`, {})).status).toBe(400);
    const page1 = (await vera.get(`/api/teams/${TEAM}/changes/later/journal?limit=2`)).body as ChangeJournal;
    expect(page1.items.map((entry) => entry.type)).toEqual(['Paused', 'Resumed']);
    expect(page1.items[0]!.data).toMatchObject({ actor: 'otto', reason: 'release freeze' });
    const page2 = (
      await vera.get(`/api/teams/${TEAM}/changes/later/journal?limit=2&continue=${page1.continue!}`)
    ).body as ChangeJournal;
    expect(page2.items.map((entry) => entry.type)).toEqual(['Aborted']);
    expect(page2.continue).toBeUndefined();
    expect((await vera.get(`/api/teams/${TEAM}/changes/later/journal?continue=bogus`)).status).toBe(400);
    const audit = (await admin.get('/api/audit?kind=Change&action=pause')).body.items as {
      actor: string;
      name: string;
      after: { reason: string };
    }[];
    expect(audit).toEqual([
      expect.objectContaining({
        actor: 'otto',
        name: 'later',
        after: expect.objectContaining({ reason: 'release freeze' }),
      }),
    ]);
    expect((await otto.post(`/api/teams/${TEAM}/changes/missing/abort`, { reason: 'x' })).status).toBe(404);
  });

  it('stops and releases the line, per team for operators and for the fleet for administrators', async () => {
    expect((await otto.post('/api/stop-the-line', { reason: 'mine' })).status).toBe(403);
    expect((await vera.post(`/api/teams/${TEAM}/stop-the-line`, { reason: 'mine' })).status).toBe(403);
    const stopped = await otto.post(`/api/teams/${TEAM}/stop-the-line`, { reason: 'incident 7' });
    expect(stopped.status).toBe(201);
    expect(stopped.body).toMatchObject({ team: TEAM, stoppedBy: 'otto', reason: 'incident 7' });
    expect((await admin.post('/api/stop-the-line', { reason: 'fleet incident' })).status).toBe(201);
    const list = (await vera.get(`/api/teams/${TEAM}/stop-the-line`)).body as LineStopList;
    expect(list.items.map((stop) => [stop.team, stop.releasedAt === undefined])).toEqual([
      ['', true],
      [TEAM, true],
    ]);
    expect(
      (
        await otto.post(
          changes,
          object('Change', 'held', { nodeOperation: { operation: 'cordon' }, targets: { selector: '' } }),
        )
      ).status,
    ).toBe(201);
    const held = await eventually(
      () => status('held'),
      (s) => s?.phase === 'Waiting',
    );
    expect(held.message).toContain('team ops by otto');
    expect(held.message).toContain('fleet-wide by admin');
    const released = await otto.post(`/api/teams/${TEAM}/stop-the-line/release`, { reason: 'resolved' });
    expect(released.body.items).toEqual([
      expect.objectContaining({ releasedBy: 'otto', releaseReason: 'resolved' }),
    ]);
    expect((await admin.post('/api/stop-the-line/release', { reason: 'resolved' })).status).toBe(200);
    // Released, the change starts: with no clusters its selector finds no node.
    const ended = await eventually(
      () => status('held'),
      (s) => s?.phase === 'Failed',
    );
    expect(ended.message).toContain('no entity');
  });

  it('refuses a gate that does not parse and a Rollback without an inverse; approve, reject and rollback only when the change allows', async () => {
    const badGate = await otto.post(
      changes,
      object('Change', 'bad-gate', {
        nodeOperation: { operation: 'cordon' },
        targets: { selector: '' },
        gates: {
          metrics: [
            {
              name: 'errors',
              source: 'prom',
              query: 'rate(errors{node=~"$names"}[5m]',
              failureCondition: 'max >',
            },
          ],
        },
      }),
    );
    expect(badGate.status).toBe(422);
    expect(badGate.body.code).toBe('GANTRY_E_CHANGE_GATE');
    expect(badGate.body.details.map((detail: { path: string }) => detail.path)).toEqual([
      '/spec/gates/metrics/0/query',
      '/spec/gates/metrics/0/failureCondition',
    ]);
    const noInverse = await otto.post(
      changes,
      object('Change', 'no-inverse', {
        jobRun: { template: 'patch' },
        targets: { selector: '' },
        failurePolicy: 'Rollback',
      }),
    );
    expect(noInverse.status).toBe(422);
    expect(noInverse.body).toMatchObject({
      code: 'GANTRY_E_CHANGE_NO_INVERSE',
      details: [{ path: '/spec/failurePolicy' }],
    });

    expect(
      (
        await otto.post(
          changes,
          object('Change', 'gated-later', {
            nodeOperation: { operation: 'cordon' },
            targets: { selector: '' },
            windows: ['new-year'],
            plan: { batches: [{ size: '1', bake: '1m', approval: true, repeat: true }] },
            gates: {
              metrics: [{ name: 'errors', source: 'prom', query: 'up', successCondition: 'min == 1' }],
            },
            failurePolicy: 'Rollback',
          }),
        )
      ).status,
    ).toBe(201);
    await eventually(
      () => status('gated-later'),
      (s) => s?.phase === 'Waiting',
    );
    for (const action of ['approve', 'reject', 'rollback']) {
      const refused = await otto.post(`/api/teams/${TEAM}/changes/gated-later/${action}`, { reason: 'now' });
      expect(refused.status, action).toBe(409);
      expect(refused.body.code).toBe('GANTRY_E_CHANGE_STATE');
    }
    expect((await vera.post(`/api/teams/${TEAM}/changes/gated-later/rollback`, { reason: 'x' })).status).toBe(
      403,
    );

    const budgets = `${BASE}/teams/${TEAM}/disruptionbudgets`;
    expect(
      (
        await otto.post(
          budgets,
          object('DisruptionBudget', 'per-zone', {
            domainLabel: 'topology.kubernetes.io/zone',
            maxUnavailable: '10%',
          }),
        )
      ).status,
    ).toBe(201);
    const badBudget = await otto.post(budgets, object('DisruptionBudget', 'bad', { maxUnavailable: '101%' }));
    expect(badBudget.status).toBe(400);
    const badSelector = await otto.post(
      budgets,
      object('DisruptionBudget', 'bad-selector', { maxUnavailable: '1', selector: 'role in (' }),
    );
    expect(badSelector.status).toBe(400);
    expect(badSelector.body.details[0].path).toBe('/spec/selector');
  });

  it('freezes the spec of a started change', async () => {
    const current = (await otto.get(`${changes}/ghosts`)).body;
    const edited = await otto.put(`${changes}/ghosts`, {
      ...current,
      spec: { ...current.spec, failurePolicy: 'Abort' },
    });
    expect(edited.status).toBe(409);
    expect(edited.body.code).toBe('GANTRY_E_CHANGE_STARTED');
  });

  it('gave only answers that /api/openapi.json declares, with bodies its schemas allow', async () => {
    const doc = (await client(gantry.url).get('/api/openapi.json')).body;
    expect(
      recordedReplies.filter((reply) => reply.url.includes('change') || reply.url.includes('stop-the-line'))
        .length,
    ).toBeGreaterThan(10);
    expect(openApiViolations(doc, recordedReplies)).toEqual([]);
  });
});
