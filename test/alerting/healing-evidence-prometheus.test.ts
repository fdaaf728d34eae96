import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealingProcessFixture, hostPolicy } from '../support/healing-process.ts';
import { scrapeConfig, startPrometheus, type Started } from '../support/monitoring.ts';

/** A tree over one PromQL evidence step; its `otherwise` is the guess a failed query must never reach. */
function promTree(query: string): Record<string, unknown> {
  return {
    subject: 'Host',
    evidence: [{ name: 'load', promql: { source: 'prom', query } }],
    root: 'check-load',
    steps: [
      {
        name: 'check-load',
        branches: [
          {
            when: 'evidence.load.value > 0',
            conclude: { rootCause: 'Overloaded', supporting: ['load'], action: 'restart-service' },
          },
        ],
        otherwise: { conclude: { rootCause: 'Idle', supporting: ['load'], action: 'restart-service' } },
      },
    ],
  };
}

/**
 * Evidence that fails, against `gantry server` as its own process and a real Prometheus (ADR 0032): while
 * Prometheus answers, the diagnosis concludes on the value it saw; a query Prometheus answers with an
 * error ends the diagnosis at the failing step — named, with the reason — and the run escalates instead of
 * guessing and acting (it pages for its run); once Prometheus is stopped, the guard's probe of the team's
 * MetricsSource fails and healing freezes before diagnosing: the frozen runs share one page (a freeze's
 * page, not one per host).
 */
describe('self-healing when its evidence fails', () => {
  const f = new HealingProcessFixture();
  let prometheus: Started | undefined;

  beforeAll(async () => {
    prometheus = await startPrometheus({ 'prometheus.yml': scrapeConfig('self', ['127.0.0.1:1']) });
    await f.start();
    await f.seed([], {});
    await f.apply('MetricsSource', 'prom', { url: prometheus.url });
    await f.apply('DiagnosisTree', 'load', promTree('vector(2)'));
    await f.apply('DiagnosisTree', 'load-bad', promTree('sum(rate(node_load1[5m]'));
    const policy = (prefix: string, tree: string) =>
      hostPolicy(prefix, {
        diagnosis: { tree },
        actions: [
          { name: 'restart-service', silence: { duration: '1h' } },
          { name: 'page', notify: { channels: ['oncall'], page: true } },
        ],
        escalation: {
          rungs: [
            { action: 'restart-service', timeout: '10m' },
            { action: 'page', timeout: '1m' },
          ],
        },
      });
    await f.apply('HealingPolicy', 'load', policy('Load', 'load'));
    await f.apply('HealingPolicy', 'load-bad', policy('Bad', 'load-bad'));
  }, 120_000);
  afterAll(async () => {
    await prometheus?.stop();
    await f.close();
  });

  it(
    'concludes on what Prometheus answers, names the failing step when it errs, and freezes when it is down',
    { timeout: 90_000 },
    async () => {
      await f.openException('Load: host-01', 'host-01');
      const fine = await f.waitRun('load', 'Host/host-01', (run) => run.actions.length > 0);
      expect(fine.diagnosis).toMatchObject({
        reason: 'Concluded',
        conclusion: { rootCause: 'Overloaded', action: 'restart-service' },
      });
      expect(fine.diagnosis!.evidence[0]).toMatchObject({ name: 'load', ok: true, value: { value: 2 } });

      // Prometheus answers the query with an error (a syntax error): the step and its reason are named.
      await f.openException('Bad: host-02', 'host-02');
      const erred = await f.waitRun('load-bad', 'Host/host-02', (run) => run.phase === 'Escalated');
      expect(erred.reason).toBe('DiagnosisIncomplete');
      expect(erred.diagnosis).toMatchObject({
        reason: 'EvidenceFailed',
        failed: { evidence: 'load', step: 'check-load', branch: 0 },
      });
      expect(erred.diagnosis!.conclusion).toBeUndefined();
      expect(erred.diagnosis!.message).toMatch(/^evidence load failed \(/);
      expect(erred.actions).toEqual([]);

      // Prometheus stopped: the team's MetricsSource does not answer the guard's probe, so healing does not
      // trust what it cannot see — it freezes before diagnosing, acts on nothing, and pages once for all.
      await prometheus!.stop();
      prometheus = undefined;
      for (const host of ['host-03', 'host-04', 'host-05']) await f.openException(`Load: ${host}`, host);
      const frozen = await Promise.all(
        ['host-03', 'host-04', 'host-05'].map((host) =>
          f.waitRun('load', `Host/${host}`, (run) => run.phase === 'Escalated'),
        ),
      );
      for (const run of frozen) {
        expect(run.reason).toBe('SignalsUntrusted');
        expect(run.message).toMatch(/\(PrometheusDown\): MetricsSource prom: /);
        expect(run.diagnosis?.conclusion).toBeUndefined();
        expect(run.actions).toEqual([]);
      }
      // The erring query pages for its run; the runs the stopped Prometheus froze share one page.
      await expect.poll(() => f.pagesOf(erred.id).length, { timeout: 30_000, interval: 100 }).toBe(1);
      await expect
        .poll(() => frozen.map((run) => f.pagesOf(run.id).length).reduce((x, y) => x + y), {
          timeout: 30_000,
          interval: 100,
        })
        .toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(f.hook.received).toHaveLength(2);
      const silences = (await f.silences()).map((s) => s.metadata.name);
      expect(silences).toHaveLength(1);
    },
  );
});
