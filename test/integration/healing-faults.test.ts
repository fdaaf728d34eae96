import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { HealingProcessFixture, hostPolicy } from '../support/healing-process.ts';

/**
 * Actions that fail, against `gantry server` as its own process and a real agent (ADR 0032): a rung whose
 * action cannot start and a rung whose job exits non-zero each climb the ladder to the page; the failures
 * count against the host's retry budget across runs, so no action is retried beyond it.
 */
describe('self-healing when its actions fail', () => {
  const f = new HealingProcessFixture();

  beforeAll(async () => {
    await f.start();
    await f.seed(['host-01'], { 'restart-fails': 'echo "cannot restart on $GANTRY_TARGET" >&2; exit 3' });
  }, 90_000);
  afterAll(async () => {
    await f.close();
  });

  it(
    'climbs the ladder on each failure and stops acting once the retry budget is spent',
    { timeout: 120_000 },
    async () => {
      await f.apply(
        'HealingPolicy',
        'failing',
        hostPolicy('Down', {
          actions: [
            // A JobTemplate that does not exist: the action fails as it starts.
            { name: 'restart-service', jobRun: { template: 'no-such-template' }, timeout: '5m' },
            { name: 'restart-harder', jobRun: { template: 'restart-fails' }, timeout: '5m' },
            { name: 'page', notify: { channels: ['oncall'], page: true } },
          ],
          guardrails: { retryBudget: { failures: 3, window: '24h' } },
          escalation: {
            rungs: [
              { action: 'restart-service', timeout: '10m' },
              { action: 'restart-harder', timeout: '10m' },
              { action: 'page', timeout: '1m' },
            ],
          },
        }),
      );
      // Episode 1: rung 1 fails to start, rung 2's job fails, the ladder reaches its page.
      await f.openException('Down: service on host-01', 'host-01');
      const first = await f.waitRun('failing', 'Host/host-01', (run) => run.phase === 'Escalated', 60_000);
      expect(first.reason).toBe('LadderExhausted');
      expect(first.actions.map((a) => [a.rung, a.action, a.state])).toEqual([
        [0, 'restart-service', 'failed'],
        [1, 'restart-harder', 'failed'],
      ]);
      // failurePolicy Abort: the Change stops at its failed batch.
      expect(first.actions[1]!.reason).toBe('ChangeAborted');
      expect(first.decisions.map((d) => d.reason)).toContain('LadderClimbed');
      await eventually(
        async () => f.pagesOf(first.id),
        (pages) => pages.length === 1,
        30_000,
      );

      // Episode 2: two failures are on the books; its first action is the third, then the budget is spent.
      await f.openException('Down: service on host-01 again', 'host-01');
      const runs = async () => (await f.runs('failing')).filter((run) => run.id !== first.id);
      const [second] = await eventually(
        runs,
        (items) => items.length === 1 && items[0]!.phase === 'Escalated',
        60_000,
        100,
      );
      const secondRun = await f.run(second!.id);
      expect(secondRun.reason).toBe('RetryBudgetSpent');
      expect(secondRun.actions.map((a) => [a.action, a.state])).toEqual([['restart-service', 'failed']]);

      // Episode 3: refused before acting.
      await f.openException('Down: service on host-01 a third time', 'host-01');
      const third = await eventually(
        async () => (await runs()).filter((run) => run.id !== second!.id),
        (items) => items.length === 1 && items[0]!.phase === 'Escalated',
        60_000,
        100,
      );
      expect(third[0]!.reason).toBe('RetryBudgetSpent');
      expect((await f.run(third[0]!.id)).actions).toEqual([]);

      // Three failed actions in all, each tried once: one job ran (rung 2 of episode 1), nothing since.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const jobs = await f.jobRuns();
      expect(jobs).toHaveLength(1);
      expect(jobs[0]!.state).toBe('Failed');
      expect(await f.changesOf(third[0]!.id)).toEqual([]);
    },
  );
});
