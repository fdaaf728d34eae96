import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertIngest } from '@gantry/alerts';
import { createStoreHealthSignals } from '@gantry/changes';
import { ChangeHarness, FakeActuator, TEAM } from '@gantry/changes/testing';
import type { Caller, Principal } from '@gantry/identity';
import type { ChangeStatus } from '@gantry/model';
import { Store } from '@gantry/store';

// The health gate of a change whose entities are applications on clusters (rollouts, definition
// upgrades: ADR 0036, 0039), against alerts posted through the real alert ingest and stored on SQLite.

const T0 = Date.parse('2026-05-04T09:00:00Z');
const MINUTE = 60_000;
const ALERTMANAGER: Caller = {
  principal: { username: 'alertmanager', admin: true, teams: new Map() } as Principal,
  source: 'test',
};

/** The fake actuator, with entities `cluster/app` that are applications on clusters (as the real ones say). */
class ApplicationInstances extends FakeActuator {
  override subject(team: string, entity: string) {
    const slash = entity.indexOf('/');
    return { kind: 'Application', team, cluster: entity.slice(0, slash), name: entity.slice(slash + 1) };
  }
}

let store: Store;
let h: ChangeHarness;
let ingest: AlertIngest;

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
  h = new ChangeHarness(store, new ApplicationInstances(['east/web', 'west/web']), T0);
  await h.createTeam();
  h.signals = createStoreHealthSignals({
    alerts: store.alerts,
    exceptions: store.exceptions,
    now: () => h.now,
  });
  ingest = new AlertIngest({
    repository: store.alerts,
    teamExists: () => Promise.resolve(true),
    metrics: { received: () => undefined, rejected: () => undefined, normalized: () => undefined },
    now: () => h.now,
    resolveTimeoutMs: 5 * MINUTE,
    teamLabel: 'team',
  });
});

afterEach(async () => {
  await store.close();
});

const fire = (labels: Record<string, string>) =>
  ingest.ingest(ALERTMANAGER, {
    team: TEAM,
    source: 'alertmanager-webhook',
    alerts: [{ labels, startsAt: new Date(h.now).toISOString() }],
  });

describe('the health gate and alerts of applications', () => {
  it('fails the batch on an alert whose labels name the application on the batch’s cluster, not another', async () => {
    await h.apply('Change', 'rollout', {
      nodeOperation: { operation: 'cordon' },
      targets: { names: ['east/web', 'west/web'] },
      plan: { batches: [{ size: '1', bake: '10m', repeat: true }] },
    });
    const term = (await h.lead('a'))!;
    await h.run(term, 'rollout', (status) => status.phase === 'Observing');
    h.now += 2 * MINUTE;
    // West is not in the first batch; shop is another application; neither is this batch's business.
    await fire({ alertname: 'HighErrorRate', cluster: 'west', app_gantry_dev_name: 'web' });
    await fire({ alertname: 'HighErrorRate', cluster: 'east', app_gantry_dev_name: 'shop' });
    await h.run(term, 'rollout', (status) => status.phase === 'Observing' && status.currentBatch === 0);
    expect((await h.status('rollout')).phase).toBe('Observing');
    h.now += 2 * MINUTE;
    // kube-state-metrics' form of the label, on the batch's cluster, with a component.
    await fire({
      alertname: 'PodCrashLooping',
      cluster: 'east',
      label_app_gantry_dev_name: 'web',
      label_app_gantry_dev_component: 'api',
    });
    await h.run(term, 'rollout', (status: ChangeStatus) =>
      ['Paused', 'Succeeded'].includes(status.phase ?? ''),
    );
    const status = await h.status('rollout');
    expect(status.phase).toBe('Paused');
    const [stored] = (
      await store.alerts.query({ teams: [TEAM], now: new Date(h.now).toISOString(), limit: 10 })
    ).items.filter((alert) => alert.labels.alertname === 'PodCrashLooping');
    expect(stored?.entities).toMatchObject({ cluster: 'east', application: 'web', component: 'api' });
    expect(status.batches![0]!.gates).toEqual([
      expect.objectContaining({ gate: 'health', verdict: 'Failed', alerts: [stored!.fingerprint] }),
    ]);
  });
});
