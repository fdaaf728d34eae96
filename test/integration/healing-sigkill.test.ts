import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { BASE } from '../support/http.ts';
import { HealingProcessFixture, hostPolicy, MIN, TEAM } from '../support/healing-process.ts';

/**
 * Self-healing in `gantry server` as its own process on SQLite, with real agents, its clock moved by the
 * test (ADR 0032): the ladder and the retry budget survive SIGKILL; an approval is taken from the CLI and
 * another expires into a page; a shadow policy acts on nothing.
 */
describe('self-healing in a server process', () => {
  const f = new HealingProcessFixture();
  let cliDir: string;

  beforeAll(async () => {
    await f.start();
    await f.seed(['host-01', 'host-02'], {
      // Rung 1 of the ladder: a restart that never ends (its rung times out).
      'restart-hangs': 'echo "restarting on $GANTRY_TARGET"; sleep 3600',
      'restart-quick': 'echo "restarted $GANTRY_TARGET"',
    });
    cliDir = mkdtempSync(join(tmpdir(), 'gantry-heal-sigkill-cli-'));
  }, 90_000);
  afterAll(async () => {
    await f.close();
    if (cliDir) rmSync(cliDir, { recursive: true, force: true });
  });

  it(
    'keeps its ladder position and retry budget across SIGKILL and acts once per rung',
    { timeout: 150_000 },
    async () => {
      await f.apply(
        'HealingPolicy',
        'ladder',
        hostPolicy('Ladder', {
          actions: [
            { name: 'restart-service', jobRun: { template: 'restart-hangs' }, timeout: '2m' },
            { name: 'silence-alerts', silence: { duration: '1h' } },
            { name: 'page', notify: { channels: ['oncall'], page: true } },
          ],
          guardrails: { retryBudget: { failures: 2, window: '24h' } },
          escalation: {
            rungs: [
              { action: 'restart-service', timeout: '2m' },
              { action: 'silence-alerts', timeout: '10m' },
              { action: 'page', timeout: '1m' },
            ],
          },
        }),
      );
      await f.openException('Ladder: service down on host-01', 'host-01');

      // Killed once rung 1's action is submitted (its Change exists and the host runs the job).
      const acting = await f.waitRun(
        'ladder',
        'Host/host-01',
        (run) => run.phase === 'Acting' && run.actions[0]?.handle !== undefined,
      );
      const runId = acting.id;
      expect(acting.rung).toBe(0);
      await eventually(
        () => f.jobRuns(),
        (runs) => runs.some((run) => run.state === 'Running'),
        30_000,
      );
      await f.restart();

      // The new process follows the same action: still rung 1, no second Change, no second job.
      await eventually(
        () => f.api.get(`/api/teams/${TEAM}/healing/runs/${runId}`),
        (reply) => reply.status === 200 && Date.parse(reply.body.updatedAt) > Date.parse(acting.updatedAt),
        30_000,
        100,
      );
      expect((await f.run(runId)).rung).toBe(0);
      expect(await f.changesOf(runId)).toHaveLength(1);

      // Past rung 1's timeout (2m) the ladder climbs to the silence; killed while its verification bakes.
      await f.advance(3 * MIN);
      const baking = await f.waitRun('ladder', 'Host/host-01', (run) => run.phase === 'Verifying');
      expect(baking.rung).toBe(1);
      expect(baking.actions.map((a) => [a.rung, a.action, a.state, a.reason])).toEqual([
        [0, 'restart-service', 'failed', 'HealingActionTimedOut'],
        [1, 'silence-alerts', 'succeeded', undefined],
      ]);
      expect(Date.parse(baking.actions[1]!.startedAt)).toBeGreaterThanOrEqual(
        Date.parse(baking.actions[0]!.deadline),
      );
      await f.restart();
      // The bake (5m) is not over on the clock: the new process leaves it be for several passes.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const stillBaking = await f.run(runId);
      expect(stillBaking.phase).toBe('Verifying');
      expect(stillBaking.verifications).toEqual([]);

      // Past the bake the trigger is still open: not healed, the second failure spends the budget (2).
      await f.advance(6 * MIN);
      const ended = await f.waitRun('ladder', 'Host/host-01', (run) => run.phase === 'Escalated');
      expect(ended.reason).toBe('RetryBudgetSpent');
      expect(ended.verifications.map((v) => [v.rung, v.healed])).toEqual([[1, false]]);
      expect(ended.actions).toHaveLength(2);
      await eventually(
        async () => f.pagesOf(runId),
        (pages) => pages.length > 0,
        30_000,
      );

      // Once more SIGKILL; a new episode on the same host finds the budget spent: it pages, it does not act.
      await f.restart();
      await f.openException('Ladder: service down on host-01 again', 'host-01');
      const second = await eventually(
        async () => (await f.runs('ladder')).filter((run) => run.id !== runId),
        (runs) => runs.length === 1 && runs[0]!.phase === 'Escalated',
        30_000,
        100,
      );
      expect(second[0]!.reason).toBe('RetryBudgetSpent');
      expect((await f.run(second[0]!.id)).actions).toEqual([]);
      expect(await f.changesOf(second[0]!.id)).toEqual([]);

      // Each action once: one Change and one job for rung 1, one Silence for rung 2, one page per run.
      expect(await f.changesOf(runId)).toHaveLength(1);
      const jobs = (await f.jobRuns()).filter((run) => run.targets.hosts?.[0] === 'host-01');
      expect(jobs).toHaveLength(1);
      expect((await f.silences()).filter((s) => s.metadata.name.startsWith('heal-'))).toHaveLength(1);
      await eventually(
        async () => f.pagesOf(second[0]!.id),
        (pages) => pages.length === 1,
        30_000,
      );
      expect(f.pagesOf(runId)).toHaveLength(1);
    },
  );

  it(
    'acts on the approval given from the CLI and pages, never acting, when the other one expires',
    { timeout: 120_000 },
    async () => {
      await f.apply(
        'HealingPolicy',
        'risky',
        hostPolicy('Approval', {
          actions: [
            { name: 'restart-service', jobRun: { template: 'restart-quick' }, risky: true, timeout: '5m' },
            { name: 'page', notify: { channels: ['oncall'], page: true } },
          ],
          guardrails: { approval: { expiry: '1h' } },
          escalation: {
            rungs: [
              { action: 'restart-service', timeout: '10m' },
              { action: 'page', timeout: '1m' },
            ],
          },
        }),
      );
      await f.openException('Approval: service down on host-02', 'host-02');
      await f.openException('Approval: service down on host-01', 'host-01');
      const approved = await f.waitRun('risky', 'Host/host-02', (run) => run.phase === 'AwaitingApproval');
      const expiring = await f.waitRun('risky', 'Host/host-01', (run) => run.phase === 'AwaitingApproval');
      expect(expiring.approvals[0]).toMatchObject({ action: 'restart-service' });
      expect(
        Date.parse(expiring.approvals[0]!.expiresAt) - Date.parse(expiring.approvals[0]!.requestedAt),
      ).toBe(60 * MIN);

      const cli = new Cli(cliDir);
      const login = await cli.run(
        ['login', '--server', f.server.url, '--username', 'admin', '--password-stdin'],
        { stdin: 'healing-process-admin-pw' },
      );
      expect(login.code, login.stderr).toBe(0);
      const yes = await cli.run(['heal', 'approve', approved.id, '--team', TEAM, '--reason', 'known bug']);
      expect(yes.stdout, yes.stderr).toBe(`healing run ${approved.id}: restart-service approved\n`);
      // The approval acts at once (it wakes the loop): one Change, one job on host-02, then the bake.
      const acted = await f.waitRun('risky', 'Host/host-02', (run) => run.phase === 'Verifying');
      expect(acted.approvals[0]).toMatchObject({
        decision: 'approved',
        decidedBy: 'admin',
        reason: 'known bug',
      });
      expect(await f.changesOf(approved.id)).toHaveLength(1);

      // SIGKILL while the other waits; then the clock passes its expiry: a page, no action.
      await f.restart();
      expect((await f.run(expiring.id)).phase).toBe('AwaitingApproval');
      await f.advance(61 * MIN);
      const expired = await f.waitRun('risky', 'Host/host-01', (run) => run.phase === 'Escalated');
      expect(expired.reason).toBe('ApprovalExpired');
      expect(expired.actions).toEqual([]);
      expect(expired.approvals[0]!.decision).toBeUndefined();
      expect(await f.changesOf(expiring.id)).toEqual([]);
      await eventually(
        async () => f.pagesOf(expiring.id),
        (pages) => pages.length === 1,
        30_000,
      );
      // Each request reached the ladder's channel once, with the link to decide on it, across the restart.
      expect(f.approvalRequestsOf(expiring.id)).toHaveLength(1);
      expect(f.approvalRequestsOf(approved.id)).toHaveLength(1);
      // Too late to approve it, from the CLI or the API.
      const late = await new Cli(cliDir).run([
        'heal',
        'approve',
        expiring.id,
        '--team',
        TEAM,
        '--reason',
        'sorry, late',
      ]);
      expect(late.code).not.toBe(0);
      expect(late.stderr).toContain('is not waiting for an approval');
      const api = await f.api.post(`/api/teams/${TEAM}/healing/runs/${expiring.id}/approve`, { reason: 'x' });
      expect(api.status).toBe(409);
      expect(api.body.code).toBe('GANTRY_E_HEALING_RUN_STATE');
      // Only the approved run ran anything on a host.
      const jobs = (await f.jobRuns()).filter((run) => run.targets.hosts?.[0] === 'host-02');
      expect(jobs).toHaveLength(1);
    },
  );

  it(
    'in shadow mode records what it would have done and scores it, acting on nothing',
    { timeout: 60_000 },
    async () => {
      await f.apply(
        'HealingPolicy',
        'trial',
        hostPolicy('Shadow', {
          actions: [
            { name: 'restart-service', jobRun: { template: 'restart-quick' }, timeout: '5m' },
            { name: 'silence-alerts', silence: { duration: '1h' } },
            { name: 'page', notify: { channels: ['oncall'], page: true } },
          ],
          guardrails: { mode: 'Shadow' },
          escalation: {
            rungs: [
              { action: 'restart-service', timeout: '10m' },
              { action: 'silence-alerts', timeout: '10m' },
              { action: 'page', timeout: '1m' },
            ],
          },
        }),
      );
      const before = {
        changes: (await f.api.get(`${BASE}/teams/${TEAM}/changes`)).body.items.length as number,
        silences: (await f.silences()).length,
        jobs: (await f.jobRuns()).length,
        messages: f.hook.received.length,
      };
      const first = await f.openException('Shadow: service down on host-02', 'host-02');
      const run = await f.waitRun('trial', 'Host/host-02', (r) => r.phase === 'Shadowed');
      expect(run).toMatchObject({ mode: 'Shadow', reason: 'WouldAct', chosen: 'restart-service' });
      expect(run.diagnosis?.conclusion).toMatchObject({
        rootCause: 'ServiceDown',
        action: 'restart-service',
      });
      expect(run.actions).toEqual([]);
      expect(run.approvals).toEqual([]);
      // The exception resolves by itself; a second one stays open.
      expect(
        (await f.api.post(`/api/teams/${TEAM}/exceptions/${first}/resolve`, { reason: 'went away' })).status,
      ).toBe(200);
      await f.openException('Shadow: service down on host-01', 'host-01');
      await f.waitRun('trial', 'Host/host-01', (r) => r.phase === 'Shadowed');
      const card = await f.api.get(`/api/teams/${TEAM}/healing/scorecard?policy=trial`);
      expect(card.status).toBe(200);
      expect(card.body.items).toEqual([
        {
          policy: 'trial',
          mode: 'Shadow',
          runs: 2,
          wouldRun: { 'restart-service': 2 },
          resolvedWithoutAction: 1,
          stillActive: 1,
          diagnosisIncomplete: 0,
        },
      ]);
      // A few more passes, then: no Change, Silence, job or message came of it.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect((await f.api.get(`${BASE}/teams/${TEAM}/changes`)).body.items).toHaveLength(before.changes);
      expect(await f.silences()).toHaveLength(before.silences);
      expect(await f.jobRuns()).toHaveLength(before.jobs);
      expect(f.hook.received).toHaveLength(before.messages);
    },
  );
});
