import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealingRun } from '@gantry/model';
import type { ClockedServer } from '../support/clocked-server.ts';
import { eventually } from '../support/eventually.ts';
import { HealingProcessFixture, hostPolicy, MIN, TEAM } from '../support/healing-process.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/postgres.ts';

const HOSTS = Array.from({ length: 24 }, (_, i) => `host-${String(i + 1).padStart(2, '0')}`);

/**
 * Two `gantry server` processes on one PostgreSQL database (ADR 0032): the one holding
 * `controller/healing` is SIGKILLed while it decides and acts on a storm of exceptions, the other takes the
 * lease and carries every run on. Each decision acts once — one Silence per run, made under its action's
 * key, whichever server made it — and each run pages once at the end of its ladder.
 */
describe('self-healing on two servers when the leader is killed mid-decision', () => {
  const f = new HealingProcessFixture();
  let scratch: ScratchDatabase;
  let standby: { server: ClockedServer; api: HealingProcessFixture['api'] };

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    await f.start({ GANTRY_DATABASE_URL: scratch.url, GANTRY_LEASE_DURATION_MS: '2000' });
    await f.seed([], {});
    // No agents here: a tree that concludes on the exception's own alerts.
    await f.apply('DiagnosisTree', 'restart', {
      subject: 'Host',
      evidence: [{ name: 'alerts', alerts: {} }],
      root: 'a',
      steps: [
        {
          name: 'a',
          branches: [],
          otherwise: {
            conclude: { rootCause: 'ServiceDown', supporting: ['alerts'], action: 'restart-service' },
          },
        },
      ],
    });
    await f.apply(
      'HealingPolicy',
      'storm',
      hostPolicy('Storm', {
        diagnosis: { tree: 'restart' },
        actions: [
          { name: 'restart-service', silence: { duration: '1h' } },
          { name: 'page', notify: { channels: ['oncall'], page: true } },
        ],
        guardrails: { maxInFlight: 100, maxInFlightPerDomain: 100, minHealthyShare: 0 },
        escalation: {
          rungs: [
            { action: 'restart-service', timeout: '10m' },
            { action: 'page', timeout: '1m' },
          ],
        },
      }),
    );
    standby = await f.another();
  }, 120_000);
  afterAll(async () => {
    await standby?.server.kill();
    await f.close();
    await scratch?.drop();
  });

  it('acts once per decision across the kill and the takeover', { timeout: 120_000 }, async () => {
    const api = f.api;
    await Promise.all(
      HOSTS.map((host) =>
        api.post(`/api/teams/${TEAM}/exceptions`, {
          title: `Storm: ${host}`,
          severity: 'major',
          entities: [{ kind: 'Host', name: host }],
        }),
      ),
    );
    // Killed as soon as it has acted on one run, with others not yet acted on.
    const atKill = await eventually(
      async () => (await api.get(`/api/teams/${TEAM}/healing/runs?policy=storm&limit=100`)).body.items,
      (items: HealingRun[]) => items.some((run) => run.phase === 'Acting' || run.phase === 'Verifying'),
      30_000,
      5,
    );
    await f.server.kill();
    // Mid-decision: runs not made yet, or made and not yet acted on.
    const phases = (atKill as HealingRun[]).map((run) => run.phase);
    expect(
      phases.length < HOSTS.length || phases.some((phase) => !['Acting', 'Verifying'].includes(phase)),
    ).toBe(true);

    // The standby takes the lease once it expires and carries every run to its bake.
    const viaStandby = async () =>
      (await standby.api.get(`/api/teams/${TEAM}/healing/runs?policy=storm&limit=100`)).body
        .items as HealingRun[];
    await eventually(
      viaStandby,
      (items) => items.length === HOSTS.length && items.every((run) => run.phase === 'Verifying'),
      60_000,
      100,
    );
    // Past the bake: the exceptions are still open, not healed; the ladder reaches its page.
    await standby.server.advance(6 * MIN);
    const ended = await eventually(
      viaStandby,
      (items) => items.every((run) => run.phase === 'Escalated'),
      60_000,
      100,
    );
    const silences = (
      (await standby.api.get(`/apis/gantry.dev/v1alpha1/teams/${TEAM}/silences`)).body.items as {
        metadata: { name: string };
      }[]
    ).filter((silence) => silence.metadata.name.startsWith('heal-'));
    expect(silences).toHaveLength(HOSTS.length);
    for (const summary of ended) {
      const run = (await standby.api.get(`/api/teams/${TEAM}/healing/runs/${summary.id}`)).body as HealingRun;
      expect(run.reason).toBe('LadderExhausted');
      expect(run.verifications.map((v) => v.healed)).toEqual([false]);
      expect(run.actions.map((a) => [a.key.endsWith('/rung/0/attempt/0'), a.state])).toEqual([
        [true, 'succeeded'],
      ]);
    }
    await eventually(
      async () => ended.map((run) => f.pagesOf(run.id).length),
      (counts) => counts.every((count) => count === 1),
      30_000,
      100,
    );
    expect(f.hook.received).toHaveLength(HOSTS.length);
  });
});
