import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingRun, HealingRunList, HealingStats } from '@gantry/model';
import { nodePolicyInput, nodeTreeInput } from '@gantry/healing/testing';
import type { StoredHealingRun } from '@gantry/store';
import { seedHealingRun, type SeedRun } from '../support/healing-runs.ts';
import { BASE, client, recordedReplies } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { teamWithUsers, type Api } from '../support/team-fixture.ts';

const TEAM = 'bigdata';
const API = `/api/teams/${TEAM}/healing`;
const MIN = 60_000;

/**
 * The healing API (ADR 0037) through real HTTP on a real server: runs stored as the controller stores
 * them (through `store.healing`, with times in the past), then listed with filters and continue tokens,
 * read with their diagnosis, approved and rejected (who and why, audited; a second decision and an expired
 * request refused), scored in shadow mode, counted in statistics, and a dry run of a stored and an unsaved
 * policy that acts on nothing. Ends with the OpenAPI contract over every answer.
 */
export function describeHealingApiSuite(name: string, databaseUrl: () => Promise<string | undefined>): void {
  describe(`healing API (${name})`, () => {
    let gantry: TestServer;
    let root: Api;
    let otto: Api;
    let vera: Api;
    let stranger: Api;
    const t0 = Date.now();
    const at = (minAgo: number) => new Date(t0 - minAgo * MIN).toISOString();
    const ids: Record<string, string> = {};

    const seed = async (key: string, run: SeedRun): Promise<StoredHealingRun> => {
      const stored = await seedHealingRun(gantry.server.store.healing, TEAM, t0, key, run);
      ids[key] = stored.id;
      return stored;
    };

    beforeAll(async () => {
      const url = await databaseUrl();
      gantry = await startTestServer(url ? { databaseUrl: url } : {});
      root = client(gantry.url, gantry.adminToken);
      ({ otto, vera, stranger } = await teamWithUsers(gantry.url, gantry.adminToken, TEAM, {
        otto: 'team-admin',
        vera: 'viewer',
        stranger: undefined,
      }));
      // Healed after 10 and 30 minutes, one escalated, one rejected, one live awaiting approval,
      // one whose approval expired, two in shadow mode.
      // Two exceptions resolved: one healed by a run (healed-1), one by a person (MTTR with and without healing).
      const exceptionIds: string[] = [];
      for (const title of ['Node n1 NotReady', 'Disk full on n10']) {
        const created = await otto.post(`/api/teams/${TEAM}/exceptions`, {
          title,
          severity: 'major',
          entities: [],
        });
        expect(created.status).toBe(201);
        exceptionIds.push(created.body.id as string);
        expect((await otto.post(`/api/teams/${TEAM}/exceptions/${created.body.id}/resolve`, {})).status).toBe(
          200,
        );
      }
      await seed('healed-1', {
        triggerId: exceptionIds[0]!,
        policy: 'node-not-ready',
        node: 'n1',
        phase: 'Healed',
        createdMinAgo: 120,
        triggerSinceMinAgo: 125,
        endedMinAgo: 115,
        rootCause: 'HostDown',
        actions: [{ action: 'cordon-drain', state: 'succeeded' }],
      });
      await seed('healed-2', {
        policy: 'node-not-ready',
        node: 'n2',
        phase: 'Healed',
        createdMinAgo: 100,
        triggerSinceMinAgo: 100,
        endedMinAgo: 70,
        rootCause: 'KubeletDown',
        actions: [
          { action: 'restart-kubelet', state: 'failed' },
          { action: 'cordon-drain', state: 'succeeded' },
        ],
      });
      await seed('escalated', {
        policy: 'node-not-ready',
        node: 'n3',
        phase: 'Escalated',
        reason: 'DomainUnhealthy',
        createdMinAgo: 90,
        endedMinAgo: 89,
      });
      await seed('rejected', {
        policy: 'disk-full',
        node: 'n4',
        phase: 'Rejected',
        reason: 'Rejected',
        createdMinAgo: 80,
        endedMinAgo: 75,
        rootCause: 'HostDown',
      });
      await seed('waiting', {
        policy: 'node-not-ready',
        node: 'n5',
        phase: 'AwaitingApproval',
        reason: 'ApprovalRequested',
        createdMinAgo: 10,
        rootCause: 'HostDown',
        approval: { action: 'cordon-drain', expiresInMin: 60 },
      });
      await seed('waiting-2', {
        policy: 'node-not-ready',
        node: 'n6',
        phase: 'AwaitingApproval',
        reason: 'ApprovalRequested',
        createdMinAgo: 9,
        rootCause: 'HostDown',
        approval: { action: 'cordon-drain', expiresInMin: 60 },
      });
      await seed('expired', {
        policy: 'node-not-ready',
        node: 'n7',
        phase: 'AwaitingApproval',
        reason: 'ApprovalRequested',
        createdMinAgo: 8,
        rootCause: 'HostDown',
        approval: { action: 'cordon-drain', expiresInMin: -1 },
      });
      const open = await otto.post(`/api/teams/${TEAM}/exceptions`, {
        title: 'Disk filling on n8',
        severity: 'major',
        entities: [{ kind: 'Node', name: 'n8', cluster: 'east' }],
      });
      expect(open.status).toBe(201);
      await seed('shadow-open', {
        policy: 'disk-shadow',
        mode: 'Shadow',
        node: 'n8',
        phase: 'Shadowed',
        reason: 'WouldAct',
        createdMinAgo: 50,
        endedMinAgo: 50,
        rootCause: 'HostDown',
        triggerId: open.body.id as string,
        triggerSince: open.body.episodeOpenedAt as string,
      });
      await seed('shadow-gone', {
        policy: 'disk-shadow',
        mode: 'Shadow',
        node: 'n9',
        phase: 'Shadowed',
        reason: 'WouldAct',
        createdMinAgo: 40,
        endedMinAgo: 40,
      });
      // A run long before the default window of the statistics.
      await seed('old', {
        policy: 'node-not-ready',
        node: 'n1',
        phase: 'Healed',
        createdMinAgo: 60 * 24 * 30,
        endedMinAgo: 60 * 24 * 30 - 1,
        rootCause: 'HostDown',
      });
    });
    afterAll(async () => {
      await gantry?.close();
    });

    it('lists runs newest first, a page at a time, with filters by policy, state, phase, entity and time', async () => {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await vera.get(`${API}/runs?limit=4${token ? `&continue=${token}` : ''}`);
        expect(page.status).toBe(200);
        const body = page.body as HealingRunList;
        expect(body.items.length).toBeLessThanOrEqual(4);
        seen.push(...body.items.map((item) => item.id));
        token = body.continue;
      } while (token);
      expect(seen).toEqual([
        'run-expired',
        'run-waiting-2',
        'run-waiting',
        'run-shadow-gone',
        'run-shadow-open',
        'run-rejected',
        'run-escalated',
        'run-healed-2',
        'run-healed-1',
        'run-old',
      ]);
      const ids = async (query: string) =>
        ((await vera.get(`${API}/runs?${query}`)).body as HealingRunList).items.map((item) => item.id);
      expect(await ids('policy=disk-full')).toEqual(['run-rejected']);
      expect(await ids('state=active')).toEqual(['run-expired', 'run-waiting-2', 'run-waiting']);
      expect(await ids('phase=Escalated')).toEqual(['run-escalated']);
      expect(await ids('entity=Node/east/n1')).toEqual(['run-healed-1', 'run-old']);
      expect(await ids(`since=${encodeURIComponent(at(100))}&until=${encodeURIComponent(at(80))}`)).toEqual([
        'run-escalated',
        'run-healed-2',
      ]);
      const waiting = ((await vera.get(`${API}/runs?phase=AwaitingApproval&limit=1`)).body as HealingRunList)
        .items[0]!;
      expect(waiting).toMatchObject({
        id: 'run-expired',
        rootCause: 'HostDown',
        chosen: 'cordon-drain',
        awaitingApproval: { action: 'cordon-drain' },
      });
    });

    it('refuses a bad limit, a token it did not issue, an unknown phase, and strangers', async () => {
      const limit = await vera.get(`${API}/runs?limit=0`);
      expect(limit.status).toBe(400);
      expect(limit.body.details).toEqual([{ path: 'querystring/limit', message: 'must be 1-500' }]);
      expect((await vera.get(`${API}/runs?continue=bm9wZQ`)).status).toBe(400);
      expect((await vera.get(`${API}/runs?phase=Sleeping`)).status).toBe(400);
      expect((await stranger.get(`${API}/runs`)).status).toBe(403);
      expect((await stranger.get(`${API}/stats`)).status).toBe(403);
    });

    it('reads one run with its diagnosis path, the evidence values it saw and its actions', async () => {
      const run = await vera.get(`${API}/runs/run-healed-2`);
      expect(run.status).toBe(200);
      const body = run.body as HealingRun;
      expect(body.diagnosis?.path[0]).toMatchObject({ step: 'a', branch: 'otherwise', next: 'b' });
      expect(body.diagnosis?.evidence[0]).toMatchObject({ name: 'node', value: { ready: false } });
      expect(body.actions.map((a) => [a.action, a.state])).toEqual([
        ['restart-kubelet', 'failed'],
        ['cordon-drain', 'succeeded'],
      ]);
      expect(body.trigger.entity.name).toBe('n2');
      const missing = await vera.get(`${API}/runs/run-nope`);
      expect(missing.status).toBe(404);
      // The built-in trees, for the console to draw a run's tree when its policy names one.
      const builtins = await vera.get('/api/healing/builtin-trees');
      expect(builtins.status).toBe(200);
      expect(builtins.body.items.map((item: { name: string }) => item.name)).toContain(
        'builtin/node-not-ready',
      );
    });

    it('counts runs by outcome and root cause, the share healed without a person, recovery p50/p90', async () => {
      const reply = await vera.get(`${API}/stats`);
      expect(reply.status).toBe(200);
      const stats = reply.body as HealingStats;
      // The 30-day-old run is outside the default 7-day window.
      expect(stats.runs).toBe(9);
      expect(stats.byOutcome).toMatchObject({ Healed: 2, Escalated: 1, Rejected: 1, Shadowed: 2 });
      expect(stats.autoHealed).toEqual({ healed: 2, handedToPeople: 2, share: 0.5 });
      // Trigger to end: 10 and 30 minutes.
      expect(stats.timeToRecovery).toEqual({ count: 2, p50Ms: 10 * MIN, p90Ms: 30 * MIN });
      expect(stats.escalations).toEqual({ total: 1, byReason: { DomainUnhealthy: 1 } });
      // One resolved episode healed by a run, one resolved by a person (the open one on n8 counts in neither).
      expect(stats.recovery?.withHealing).toMatchObject({ count: 1, meanMs: expect.any(Number) });
      expect(stats.recovery?.withoutHealing).toMatchObject({ count: 1, p50Ms: expect.any(Number) });
      expect(stats.byRootCause.find((c) => c.rootCause === 'HostDown')).toEqual({
        rootCause: 'HostDown',
        runs: 6,
        healed: 1,
      });
      expect(stats.actions).toEqual([
        { action: 'cordon-drain', started: 2, succeeded: 2, failed: 0, successRate: 1 },
        { action: 'restart-kubelet', started: 1, succeeded: 0, failed: 1, successRate: 0 },
      ]);
      const month = await vera.get(
        `${API}/stats?since=${encodeURIComponent(at(60 * 24 * 31))}&policy=node-not-ready`,
      );
      expect((month.body as HealingStats).runs).toBe(7);
      const backwards = await vera.get(
        `${API}/stats?since=${encodeURIComponent(at(0))}&until=${encodeURIComponent(at(10))}`,
      );
      expect(backwards.status).toBe(400);
    });

    it('scores shadow runs against what happened to their triggers, with shadow policies that did nothing yet', async () => {
      expect(
        (
          await otto.post(`${BASE}/teams/${TEAM}/healingpolicies`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'HealingPolicy',
            metadata: { name: 'quiet' },
            spec: nodePolicyInput({
              trigger: { exceptions: { match: 'exception.title.contains("never-matches")' } },
              guardrails: { mode: 'Shadow' },
            }),
          })
        ).status,
      ).toBe(201);
      const reply = await vera.get(`${API}/scorecard`);
      expect(reply.status).toBe(200);
      expect(reply.body.items).toEqual([
        {
          policy: 'disk-shadow',
          runs: 2,
          wouldRun: { 'cordon-drain': 1, escalate: 1 },
          resolvedWithoutAction: 1,
          stillActive: 1,
          diagnosisIncomplete: 1,
        },
        {
          policy: 'quiet',
          mode: 'Shadow',
          runs: 0,
          wouldRun: {},
          resolvedWithoutAction: 0,
          stillActive: 0,
          diagnosisIncomplete: 0,
        },
      ]);
    });

    it('approves and rejects with who and why (audited); a second decision and an expired request are 409', async () => {
      expect((await vera.post(`${API}/runs/${ids.waiting}/approve`, { reason: 'go' })).status).toBe(403);
      expect((await otto.post(`${API}/runs/${ids.waiting}/approve`, { reason: '' })).status).toBe(400);
      const approved = await otto.post(`${API}/runs/${ids.waiting}/approve`, {
        reason: 'host is dead, drain it',
      });
      expect(approved.status).toBe(200);
      expect((approved.body as HealingRun).approvals.at(-1)).toMatchObject({
        decision: 'approved',
        decidedBy: 'otto',
        reason: 'host is dead, drain it',
      });
      const again = await otto.post(`${API}/runs/${ids.waiting}/reject`, { reason: 'changed my mind' });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('GANTRY_E_HEALING_RUN_STATE');

      const rejected = await otto.post(`${API}/runs/${ids['waiting-2']}/reject`, {
        reason: 'rack maintenance',
      });
      expect(rejected.status).toBe(200);
      expect((rejected.body as HealingRun).approvals.at(-1)).toMatchObject({
        decision: 'rejected',
        decidedBy: 'otto',
      });
      const expired = await otto.post(`${API}/runs/${ids.expired}/approve`, { reason: 'late' });
      expect(expired.status).toBe(409);
      expect(expired.body.details).toEqual([{ path: '', message: 'Expired' }]);
      expect((await otto.post(`${API}/runs/run-nope/approve`, { reason: 'x' })).status).toBe(404);

      const audit = await root.get(`/api/audit?kind=HealingRun&team=${TEAM}`);
      expect(audit.status).toBe(200);
      const entries = (
        audit.body.items as { action: string; name: string; actor: string; after: unknown }[]
      ).map((e) => [e.action, e.name, e.actor, (e.after as { reason: string }).reason]);
      expect(entries).toEqual(
        expect.arrayContaining([
          ['approve', ids.waiting, 'otto', 'host is dead, drain it'],
          ['reject', ids['waiting-2'], 'otto', 'rack maintenance'],
        ]),
      );
      expect(entries).toHaveLength(2);
    });

    it('dry-runs a stored policy and an unsaved one against a trigger: the match, the path, the action, nothing done', async () => {
      expect(
        (
          await otto.post(`${BASE}/teams/${TEAM}/diagnosistrees`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'DiagnosisTree',
            metadata: { name: 'node-down' },
            spec: nodeTreeInput(),
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await otto.post(`${BASE}/teams/${TEAM}/healingpolicies`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'HealingPolicy',
            metadata: { name: 'node-down' },
            spec: nodePolicyInput({
              trigger: { exceptions: { match: 'exception.title.startsWith("DryRun")' } },
              diagnosis: { tree: 'node-down' },
            }),
          })
        ).status,
      ).toBe(201);
      const runsBefore = (await gantry.server.store.healing.list({ team: TEAM, limit: 100 })).items.length;
      const trigger = {
        kind: 'exception',
        binding: { title: 'DryRun NodeNotReady on n42', severity: 'major' },
        entities: [{ kind: 'Node', name: 'n42', cluster: 'east' }],
      };
      const dry = await otto.post(`${API}/dry-run`, { trigger });
      expect(dry.status).toBe(200);
      expect(dry.body.considered).toEqual(expect.arrayContaining(['node-down', 'quiet']));
      expect(dry.body.matches).toHaveLength(1);
      const match = dry.body.matches[0];
      expect(match).toMatchObject({
        policy: 'node-down',
        mode: 'Act',
        verdict: 'act',
        action: { name: 'cordon-drain', nodeOperation: { operation: 'drain' } },
        rung: 1,
        entity: { kind: 'Node', name: 'n42', cluster: 'east' },
      });
      expect(match.diagnosis.path.map((p: { step: string; branch: unknown }) => [p.step, p.branch])).toEqual([
        ['a', 'otherwise'],
        ['b', 'otherwise'],
      ]);
      expect(match.diagnosis.conclusion).toMatchObject({ rootCause: 'HostDown', action: 'cordon-drain' });
      expect(match.diagnosis.evidence.find((e: { name: string }) => e.name === 'node').value).toMatchObject({
        found: false,
        ready: false,
      });

      // The same trigger against an unsaved policy in shadow mode with an unsaved tree whose root concludes.
      const unsaved = await otto.post(`${API}/dry-run`, {
        spec: nodePolicyInput({
          trigger: { exceptions: { match: 'exception.severity == "major"' } },
          diagnosis: { tree: 'draft' },
          guardrails: { mode: 'Shadow' },
        }),
        tree: {
          name: 'draft',
          spec: nodeTreeInput({
            steps: [
              {
                name: 'a',
                branches: [
                  {
                    when: '!evidence.node.found',
                    conclude: { rootCause: 'NodeGone', supporting: ['node'], action: 'escalate' },
                  },
                ],
                otherwise: { next: 'b' },
              },
              {
                name: 'b',
                branches: [],
                otherwise: {
                  conclude: { rootCause: 'HostDown', supporting: ['agent'], action: 'cordon-drain' },
                },
              },
            ],
          }),
        },
        trigger,
      });
      expect(unsaved.status).toBe(200);
      expect(unsaved.body.considered).toEqual(['dry-run']);
      expect(unsaved.body.matches[0]).toMatchObject({ verdict: 'escalate', mode: 'Shadow' });
      expect(unsaved.body.matches[0].diagnosis.path).toHaveLength(1);

      // A trigger no policy matches, an unknown policy, an unknown exception, a tree with a cycle.
      const none = await otto.post(`${API}/dry-run`, {
        policy: 'node-down',
        trigger: { ...trigger, binding: { title: 'Something else' } },
      });
      expect(none.body.matches).toEqual([]);
      expect((await otto.post(`${API}/dry-run`, { policy: 'nope', trigger })).status).toBe(404);
      expect(
        (await otto.post(`${API}/dry-run`, { trigger: { kind: 'exception', id: 'exc-nope' } })).status,
      ).toBe(404);
      const cyclic = nodeTreeInput();
      cyclic.steps[1] = { name: 'b', branches: [{ when: 'true', next: 'a' }], otherwise: { next: 'a' } };
      const refused = await otto.post(`${API}/dry-run`, {
        spec: nodePolicyInput({ diagnosis: { tree: 'draft' } }),
        tree: { name: 'draft', spec: cyclic },
        trigger,
      });
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe('GANTRY_E_DIAGNOSIS_TREE');
      expect(refused.body.details[0].path).toMatch(/^\/tree\/spec\/steps/);
      const both = await otto.post(`${API}/dry-run`, { trigger: { ...trigger, id: 'x' } });
      expect(both.status).toBe(400);
      expect((await vera.post(`${API}/dry-run`, { trigger })).status).toBe(403);

      // Nothing was written, nothing was changed.
      expect((await gantry.server.store.healing.list({ team: TEAM, limit: 100 })).items).toHaveLength(
        runsBefore,
      );
      expect((await otto.get(`${BASE}/teams/${TEAM}/changes`)).body.items).toEqual([]);
    });

    it('gave only answers that /api/openapi.json declares, with bodies its schemas allow', async () => {
      const doc = (await client(gantry.url).get('/api/openapi.json')).body;
      expect(recordedReplies.filter((reply) => reply.url.includes('/healing/')).length).toBeGreaterThan(20);
      expect(openApiViolations(doc, recordedReplies)).toEqual([]);
    });
  });
}
