import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANGE_CONTROLLER_ACTOR, createExceptionSink, createStoreHealthSignals } from '@gantry/changes';
import { ADMIN, ChangeHarness, FakeActuator, TEAM } from '@gantry/changes/testing';
import { MemoryEventRecorder } from '@gantry/controllers';
import { ExceptionService } from '@gantry/health';
import type { ChangeStatus } from '@gantry/model';
import { Store } from '@gantry/store';

// The change engine against the health center's real parts on SQLite: the alert and exception
// repositories read by `createStoreHealthSignals`, exceptions opened and commented through the real
// `ExceptionService` by `createExceptionSink` (what the server wires).

const T0 = Date.parse('2026-05-04T09:00:00Z');
const MINUTE = 60_000;
let store: Store;
let h: ChangeHarness;
let exceptions: ExceptionService;

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
  h = new ChangeHarness(store, new FakeActuator(['east/n000', 'east/n001', 'east/n002']), T0);
  await h.createTeam();
  exceptions = new ExceptionService({
    repository: store.exceptions,
    policies: { policies: () => Promise.resolve([]) },
    recorder: new MemoryEventRecorder(),
    clock: { now: () => h.now },
  });
  h.signals = createStoreHealthSignals({
    alerts: store.alerts,
    exceptions: store.exceptions,
    now: () => h.now,
  });
  h.exceptionSink = createExceptionSink({
    exceptions,
    repository: store.exceptions,
    actor: CHANGE_CONTROLLER_ACTOR,
  });
});

afterEach(async () => {
  await store.close();
});

const spec = {
  nodeOperation: { operation: 'cordon' },
  targets: { names: ['east/n000', 'east/n001', 'east/n002'] },
  plan: { batches: [{ size: '1', bake: '10m', repeat: true }] },
};
const settled = (status: ChangeStatus) => ['Paused', 'Succeeded', 'Aborted'].includes(status.phase ?? '');

describe('changes and the health center', () => {
  it('an exception opened by hand on a changed node pauses the change, and its timeline names the change', async () => {
    await h.apply('Change', 'linked', spec);
    const term = (await h.lead('a'))!;
    await h.run(term, 'linked', (status) => status.currentBatch === 1 && status.phase === 'Observing');
    const opened = await exceptions.create(ADMIN, TEAM, {
      title: 'kubelet restarts',
      severity: 'major',
      entities: [{ kind: 'Node', name: 'n000', cluster: 'east' }],
    });
    // One on a node the change has not touched does nothing.
    await exceptions.create(ADMIN, TEAM, {
      title: 'elsewhere',
      severity: 'minor',
      entities: [{ kind: 'Node', name: 'n002', cluster: 'east' }],
    });
    await h.run(term, 'linked', settled);
    const status = await h.status('linked');
    expect(status.phase).toBe('Paused');
    expect(status.exceptions).toEqual([
      expect.objectContaining({ id: opened.id, link: 'PausedBy', title: 'kubelet restarts' }),
    ]);
    const timeline = await exceptions.timeline(ADMIN, TEAM, opened.id);
    expect(timeline.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'comment',
          actor: CHANGE_CONTROLLER_ACTOR,
          message: 'change linked paused by this exception',
        }),
      ]),
    );
  });

  it('the health gate fails a batch on an alert stored for its node during the observation', async () => {
    await h.apply('Change', 'alerted', spec);
    const term = (await h.lead('a'))!;
    await h.run(term, 'alerted', (status) => status.phase === 'Observing');
    h.now += 3 * MINUTE;
    const at = new Date(h.now).toISOString();
    await store.alerts.upsert(
      [
        {
          team: TEAM,
          fingerprint: '0123456789abcdef',
          labels: { alertname: 'NodeNotReady', cluster: 'east', node: 'n000' },
          annotations: {},
          startsAt: at,
          endsAt: new Date(h.now + 60 * MINUTE).toISOString(),
          generatorURL: '',
          source: 'generic',
          entities: { cluster: 'east', node: 'n000' },
        },
      ],
      at,
    );
    await h.run(term, 'alerted', settled);
    const status = await h.status('alerted');
    expect(status.phase).toBe('Paused');
    expect(status.batches![0]!.gates).toEqual([
      expect.objectContaining({ gate: 'health', verdict: 'Failed', alerts: ['0123456789abcdef'] }),
    ]);
    expect(status.batches![0]!.gates![0]!.message).toContain('alert NodeNotReady');
  });

  it('the Alert policy opens one exception in the health center for the failed batch, linked to the change', async () => {
    h.metrics.answer = (expr) => (expr.includes('n001') ? [2] : [0]);
    await h.apply('Change', 'alert-me', {
      ...spec,
      gates: {
        health: false,
        metrics: [
          { name: 'errors', source: 'prom', query: 'errors{node=~"$names"}', failureCondition: 'max > 1' },
        ],
      },
      failurePolicy: 'Alert',
    });
    const term = (await h.lead('a'))!;
    await h.run(term, 'alert-me', settled);
    const status = await h.status('alert-me');
    expect(status.phase).toBe('Paused');
    const [link] = status.exceptions!;
    expect(link).toMatchObject({ link: 'OpenedBy', batch: 1 });
    const record = await exceptions.show(ADMIN, TEAM, link!.id);
    expect(record).toMatchObject({
      state: 'open',
      severity: 'major',
      origin: 'manual',
      entities: [{ kind: 'Node', name: 'n001', cluster: 'east' }],
    });
    expect(record.title).toContain('change alert-me: batch 1 gate errors');
    expect(record.createdBy).toMatch(/^change\/alert-me#[0-9a-f]{16}$/);
    // Opening again for the same step (a crash before it was journaled) finds the same exception.
    const again = await h.exceptionSink.open({
      team: TEAM,
      key: `change/${(await h.resources.get(ADMIN, 'Change', TEAM, 'alert-me')).metadata.uid}/batch/1/gate/errors/round/0/policy`,
      title: 'again',
      severity: 'major',
      entities: [],
      change: 'alert-me',
      at: new Date(h.now),
    });
    expect(again.exceptionId).toBe(link!.id);
    const timeline = await exceptions.timeline(ADMIN, TEAM, link!.id);
    expect(timeline.entries.map((entry) => entry.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('opened by change alert-me (GateFailed)')]),
    );
  });
});
