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
});
