import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '@gantry/store';
import { ChangeEventReason, ChangeReason, CHANGE_LEASE } from './change-reasons.ts';
import { StepType } from './journal.ts';
import { ADMIN, ChangeHarness, FakeActuator, TEAM } from './testing/index.ts';

const T0 = Date.parse('2026-01-14T10:00:00Z');
const MINUTE = 60_000;
const nodes = (count: number) =>
  Array.from({ length: count }, (_, i) => `east/n${String(i).padStart(3, '0')}`);

let store: Store;
let actuator: FakeActuator;
let h: ChangeHarness;

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
  actuator = new FakeActuator(nodes(25));
  h = new ChangeHarness(store, actuator, T0);
  await h.createTeam();
});

afterEach(async () => {
  await store.close();
});

const cordonAll = { nodeOperation: { operation: 'cordon' }, targets: { selector: '' } };

async function journal(name: string) {
  const change = await h.resources.get(ADMIN, 'Change', TEAM, name);
  return store.changes.entries(change.metadata.uid);
}

describe('change engine', () => {
  it('runs the seed plan (1 then 30 min, 10% then 10 min, the rest 10% at a time, 5 min each) on a fake clock', async () => {
    await h.apply('Change', 'cordon-east', cordonAll);
    const term = (await h.lead('a'))!;
    const started = Date.now();
    await h.run(term, 'cordon-east');
    expect(Date.now() - started).toBeLessThan(10_000);

    const status = await h.status('cordon-east');
    expect(status.phase).toBe('Succeeded');
    expect(status.targetCount).toBe(25);
    expect(status.batches!.map((batch) => batch.entities.length)).toEqual([1, 3, 3, 3, 3, 3, 3, 3, 3]);
    expect(status.batches!.every((batch) => batch.phase === 'Completed')).toBe(true);
    // Applying takes no time here: the change took exactly its observation times, 30 + 10 + 7 × 5 minutes.
    expect(h.now - T0).toBe((30 + 10 + 7 * 5) * MINUTE);
    const observed = status.batches!.map(
      (batch) => (Date.parse(batch.completedAt!) - Date.parse(batch.observeUntil!)) / MINUTE,
    );
    expect(observed).toEqual(Array(9).fill(0));
    expect(Date.parse(status.batches![0]!.observeUntil!) - Date.parse(status.batches![0]!.startedAt!)).toBe(
      30 * MINUTE,
    );

    // Every entity changed once, each with one intent and one outcome in the journal.
    expect([...actuator.effectCounts().values()].every((count) => count === 1)).toBe(true);
    expect(actuator.effectCounts().size).toBe(25);
    expect(actuator.calls).toHaveLength(25);
    const entries = await journal('cordon-east');
    expect(entries.filter((entry) => entry.type === StepType.EntityStarted)).toHaveLength(25);
    expect(entries.filter((entry) => entry.type === StepType.EntityDone)).toHaveLength(25);
    expect(new Set(entries.map((entry) => entry.key)).size).toBe(entries.length);
    expect(entries.map((entry) => entry.seq)).toEqual(entries.map((_, index) => index));
    expect(h.recorder.reasons().filter((reason) => reason === ChangeEventReason.BatchCompleted)).toHaveLength(
      9,
    );
    expect(h.recorder.reasons()).toContain(ChangeEventReason.ChangeSucceeded);
    expect(
      h.recorder.events.filter((event) => event.reason === ChangeEventReason.EntityChanged)[0],
    ).toMatchObject({
      regarding: { kind: 'Node', cluster: 'east', name: 'n000', team: TEAM },
    });
  });

  it('writes its final status again when another write of the Change came first (no event wakes it)', async () => {
    await h.apply('Change', 'raced', {
      ...cordonAll,
      plan: { batches: [{ size: '100%', bake: '0s' }], maxConcurrent: 25 },
    });
    const term = (await h.lead('a'))!;
    // Someone relabels the Change between the engine's read and its status write, every time once.
    const replaceStatus = h.resources.replaceStatus.bind(h.resources);
    let raced = 0;
    h.resources.replaceStatus = async (...args: Parameters<typeof replaceStatus>) => {
      if (raced < 3) {
        raced += 1;
        const current = await h.resources.get(ADMIN, 'Change', TEAM, 'raced');
        await h.resources.replace(ADMIN, 'Change', TEAM, 'raced', {
          ...current,
          metadata: { ...current.metadata, labels: { touched: String(raced) } },
        });
      }
      return replaceStatus(...args);
    };
    await h.run(term, 'raced');
    expect(raced).toBe(3);
    expect((await h.status('raced')).phase).toBe('Succeeded');
  });

  it('applies at most maxConcurrent entities per step', async () => {
    await h.apply('Change', 'wide', {
      ...cordonAll,
      plan: { batches: [{ size: '100%', bake: '0s' }], maxConcurrent: 10 },
    });
    const term = (await h.lead('a'))!;
    const steps = await h.run(term, 'wide');
    expect((await h.status('wide')).phase).toBe('Succeeded');
    expect(steps).toBeGreaterThanOrEqual(3); // 25 entities, 10 at a time
    expect(actuator.calls).toHaveLength(25);
  });

  it('waits outside its windows, says until when, and starts when they open', async () => {
    await h.apply('ChangeWindow', 'nights', {
      timeZone: 'Europe/Berlin',
      allow: [{ cron: '0 22 * * *', duration: '6h' }],
    });
    await h.apply('Change', 'at-night', { ...cordonAll, windows: ['nights'] });
    const term = (await h.lead('a'))!;
    await term.engine.reconcile(term.ctx, { team: TEAM, name: 'at-night' });
    const waiting = await h.status('at-night');
    expect(waiting).toMatchObject({ phase: 'Waiting', waitingUntil: '2026-01-14T21:00:00.000Z' });
    expect(waiting.conditions?.find((c) => c.type === 'Blocked')).toMatchObject({
      status: 'True',
      reason: ChangeReason.OutsideWindow,
    });
    expect(actuator.calls).toHaveLength(0);
    expect(h.recorder.events.filter((event) => event.reason === ChangeEventReason.ChangeBlocked)).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('OutsideWindow: outside its allowed windows until'),
      }),
    ]);
    await h.run(term, 'at-night', (status) => status.phase === 'Observing');
    // Recorded once when it started waiting, not at every look.
    expect(h.recorder.reasons().filter((reason) => reason === ChangeEventReason.ChangeBlocked)).toHaveLength(
      1,
    );
    expect(h.now).toBe(Date.parse('2026-01-14T21:00:00Z'));
    expect((await h.status('at-night')).startedAt).toBe('2026-01-14T21:00:00.000Z');
  });

  it('holds a Change self-healing made to the windows that govern healing, and only that one', async () => {
    const one = { batches: [{ size: '1', bake: '0s' }], maxConcurrent: 1 };
    await h.apply('ChangeWindow', 'no-healing-today', {
      freeze: [{ cron: '0 9 14 1 *', duration: '4h', reason: 'audit' }],
      appliesTo: ['healing'],
    });
    await h.resources.create(ADMIN, 'Change', TEAM, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Change',
      metadata: { name: 'heal-n000', labels: { 'healing.gantry.dev/run': 'run-1' } },
      spec: { ...cordonAll, targets: { names: ['east/n000'] }, plan: one },
    });
    await h.apply('Change', 'by-hand', { ...cordonAll, targets: { names: ['east/n001'] }, plan: one });
    const term = (await h.lead('a'))!;
    for (const name of ['heal-n000', 'by-hand']) await term.engine.reconcile(term.ctx, { team: TEAM, name });
    expect(await h.status('heal-n000')).toMatchObject({ phase: 'Waiting' });
    expect((await h.status('heal-n000')).conditions?.find((c) => c.type === 'Blocked')).toMatchObject({
      status: 'True',
      reason: ChangeReason.Frozen,
    });
    expect((await h.status('by-hand')).phase).not.toBe('Waiting');
    expect(actuator.calls.map((call) => call.entity)).toEqual(['east/n001']);
  });

  it('stops at a freeze that applies to every change, between batches, and goes on when it ends', async () => {
    await h.apply('Change', 'freeze-me', cordonAll);
    const term = (await h.lead('a'))!;
    await h.run(term, 'freeze-me', (status) => status.phase === 'Observing');
    await h.apply('ChangeWindow', 'holidays', {
      freeze: [{ cron: '0 10 14 1 *', duration: '2h', reason: 'release day' }],
      appliesToAllChanges: true,
    });
    await h.run(term, 'freeze-me', (status) => status.phase === 'Waiting');
    const frozen = await h.status('freeze-me');
    expect(frozen.message).toContain('frozen by ChangeWindow holidays');
    expect(frozen.message).toContain('release day');
    expect(frozen.waitingUntil).toBe('2026-01-14T12:00:00.000Z');
    expect(frozen.batches![1]!.phase).toBe('Pending');
    const calls = actuator.calls.length;
    await h.run(term, 'freeze-me', (status) => status.phase === 'Observing' && status.currentBatch === 1);
    expect(h.now).toBe(Date.parse('2026-01-14T12:00:00Z'));
    expect(actuator.calls.length).toBeGreaterThan(calls);
  });

  it('halts every change at its next step while the line is stopped, with who and why', async () => {
    await h.apply('Change', 'halt-me', cordonAll);
    const term = (await h.lead('a'))!;
    await h.run(term, 'halt-me', (status) => status.phase === 'Observing');
    await h.service.stopLine(ADMIN, '', 'incident 42: database failover');
    h.now += 31 * MINUTE;
    await term.engine.reconcile(term.ctx, { team: TEAM, name: 'halt-me' });
    const held = await h.status('halt-me');
    expect(held.phase).toBe('Waiting');
    expect(held.message).toContain('fleet-wide by system:gantry');
    expect(held.message).toContain('incident 42');
    // The observation of batch 0 completed (it changes nothing); batch 1 did not start.
    expect(held.batches![0]!.phase).toBe('Completed');
    expect(held.batches![1]!.phase).toBe('Pending');
    expect(actuator.calls).toHaveLength(1);
    await h.service.releaseLine(ADMIN, '', 'failover done');
    await h.run(term, 'halt-me');
    expect((await h.status('halt-me')).phase).toBe('Succeeded');
  });

  it('pauses on a failed entity with the failure, retries it on resume as a new attempt, and records who', async () => {
    actuator.failing.set('east/n001', 'the API server said no');
    await h.apply('Change', 'fails', cordonAll);
    const term = (await h.lead('a'))!;
    await h.run(term, 'fails', (status) => status.phase === 'Paused');
    const paused = await h.status('fails');
    expect(paused.paused).toMatchObject({ actor: 'controller/change' });
    expect(paused.paused!.reason).toContain('east/n001: the API server said no');
    expect(paused.batches![1]!.failed).toEqual([{ entity: 'east/n001', message: 'the API server said no' }]);
    await expect(h.service.act(ADMIN, TEAM, 'fails', 'pause', 'again')).rejects.toMatchObject({
      code: 'GANTRY_E_CHANGE_STATE',
    });

    actuator.failing.delete('east/n001');
    const request = await h.service.act(ADMIN, TEAM, 'fails', 'resume', 'fixed the admission webhook');
    expect(request).toMatchObject({ action: 'resume', actor: 'system:gantry' });
    await h.run(term, 'fails');
    expect((await h.status('fails')).phase).toBe('Succeeded');
    const attempts = actuator.calls.filter((call) => call.entity === 'east/n001').map((call) => call.key);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toContain('/attempt/2/');
    const resumed = (await journal('fails')).find((entry) => entry.type === StepType.Resumed);
    expect(resumed?.data).toMatchObject({ actor: 'system:gantry', reason: 'fixed the admission webhook' });
  });

  it('aborts on a failed entity when its policy says Abort, and changes nothing more', async () => {
    actuator.failing.set('east/n000', 'boom');
    await h.apply('Change', 'abort-on-fail', { ...cordonAll, failurePolicy: 'Abort' });
    const term = (await h.lead('a'))!;
    await h.run(term, 'abort-on-fail');
    const status = await h.status('abort-on-fail');
    expect(status.phase).toBe('Aborted');
    expect(status.aborted?.reason).toContain('east/n000: boom');
    expect(actuator.calls).toHaveLength(1);
  });

  it('pauses, resumes and aborts by request at the next step, each with who and why', async () => {
    await h.apply('Change', 'by-hand', cordonAll);
    const term = (await h.lead('a'))!;
    await h.run(term, 'by-hand', (status) => status.phase === 'Observing');
    await h.service.act(ADMIN, TEAM, 'by-hand', 'pause', 'looking at a graph');
    await term.engine.reconcile(term.ctx, { team: TEAM, name: 'by-hand' });
    expect((await h.status('by-hand')).paused).toMatchObject({
      actor: 'system:gantry',
      reason: 'looking at a graph',
    });
    h.now += 60 * MINUTE;
    await term.engine.reconcile(term.ctx, { team: TEAM, name: 'by-hand' });
    expect(actuator.calls).toHaveLength(1);
    await h.service.act(ADMIN, TEAM, 'by-hand', 'resume', 'graph is fine');
    await h.run(term, 'by-hand', (status) => status.currentBatch === 2);
    await h.service.act(ADMIN, TEAM, 'by-hand', 'abort', 'enough for today');
    await h.run(term, 'by-hand');
    const status = await h.status('by-hand');
    expect(status).toMatchObject({
      phase: 'Aborted',
      aborted: { actor: 'system:gantry', reason: 'enough for today' },
    });
    expect(actuator.calls.length).toBeLessThan(25);
    await expect(h.service.act(ADMIN, TEAM, 'by-hand', 'resume', 'oops')).rejects.toMatchObject({
      code: 'GANTRY_E_CHANGE_STATE',
    });
  });

  it('fails to start, with the reason, when named targets do not exist', async () => {
    await h.apply('Change', 'ghosts', {
      nodeOperation: { operation: 'drain' },
      targets: { names: ['east/n000', 'east/ghost'] },
      plan: { batches: [{ size: '1', bake: '0s', repeat: true }] },
    });
    const term = (await h.lead('a'))!;
    await h.run(term, 'ghosts');
    const status = await h.status('ghosts');
    expect(status.phase).toBe('Failed');
    expect(status.message).toContain('east/ghost');
    expect(status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe(
      ChangeReason.TargetsUnresolved,
    );
  });

  it('waits while another change of the team holds some of its targets, and starts once that one ended', async () => {
    await h.apply('Change', 'first', {
      ...cordonAll,
      plan: { batches: [{ size: '100%', bake: '10m' }], maxConcurrent: 25 },
    });
    await h.apply('Change', 'second', {
      nodeOperation: { operation: 'uncordon' },
      targets: { names: ['east/n007'] },
      plan: { batches: [{ size: '1', bake: '0s' }] },
    });
    const term = (await h.lead('a'))!;
    // Both reconciled at once, as the controller's workers would: one starts, the other waits for it.
    await Promise.all([
      term.engine.reconcile(term.ctx, { team: TEAM, name: 'first' }),
      term.engine.reconcile(term.ctx, { team: TEAM, name: 'second' }),
    ]);
    const second = await h.status('second');
    expect((await h.status('first')).phase).toBe('Observing');
    expect(second.phase).toBe('Waiting');
    expect(second.message).toBe('change first holds 1 of its targets (east/n007); waiting until it ends');
    expect(second.conditions?.find((c) => c.type === 'Blocked')?.reason).toBe(ChangeReason.EntitiesHeld);
    await h.run(term, 'first');
    await h.run(term, 'second');
    expect((await h.status('second')).phase).toBe('Succeeded');
    expect(actuator.calls.filter((call) => call.entity === 'east/n007')).toHaveLength(2);
  });

  it('writes nothing without the lease: a server that is not the holder reconciles to no effect', async () => {
    await h.apply('Change', 'fenced', cordonAll);
    const leader = (await h.lead('a'))!;
    expect(await h.lead('b')).toBeUndefined();
    // An engine of holder b in a term it believes it has (say, a lease it just lost).
    const stale = h.term('b');
    await stale.engine.reconcile(stale.ctx, { team: TEAM, name: 'fenced' });
    expect(await journal('fenced')).toEqual([]);
    expect(leader.holder).toBe('a');
    expect(actuator.calls).toHaveLength(0);
    const lease = await store.leases.get(CHANGE_LEASE);
    expect(lease?.holder).toBe('a');
  });
});

describe('change engine with long operations', () => {
  it('journals a handle for an entity still running, follows it, and a new leader follows it too', async () => {
    const finishAt = new Map<string, number>();
    const progressCalls: string[] = [];
    actuator.apply = (request) => {
      actuator.calls.push(request);
      finishAt.set(request.entity, h.now + 3 * MINUTE);
      return Promise.resolve({ status: 'Running', handle: `run-${request.entity}` });
    };
    actuator.progress = (request) => {
      progressCalls.push(request.handle);
      return Promise.resolve(
        h.now >= finishAt.get(request.entity)!
          ? { status: 'Succeeded', message: 'job ended' }
          : { status: 'Running', handle: request.handle },
      );
    };
    await h.apply('Change', 'jobs', {
      jobRun: { template: 'patch' },
      targets: { selector: '' },
      plan: { batches: [{ size: '2', bake: '1m', repeat: true }], maxConcurrent: 2 },
    });
    const a = (await h.lead('a'))!;
    await a.engine.reconcile(a.ctx, { team: TEAM, name: 'jobs' });
    expect((await h.status('jobs')).batches![0]).toMatchObject({ phase: 'Applying', applied: 0 });
    a.term.abort();
    h.expireLease();
    const b = (await h.lead('b'))!;
    await h.run(b, 'jobs', (status) => status.currentBatch === 1);
    // Each entity was started once; the new leader asked for the runs by their handles.
    const called = actuator.calls.map((call) => call.entity);
    expect(called.filter((entity) => entity === 'east/n000' || entity === 'east/n001')).toEqual([
      'east/n000',
      'east/n001',
    ]);
    expect(progressCalls).toContain('run-east/n000');
    const entries = await journal('jobs');
    expect(
      entries
        .filter((entry) => entry.type === StepType.EntityRunning && entry.batch === 0)
        .map((entry) => entry.data.handle),
    ).toEqual(['run-east/n000', 'run-east/n001']);
    expect(
      entries.filter((entry) => entry.key.startsWith('batch/0/') && entry.term !== 'a#0').map((e) => e.key),
    ).toEqual([
      'batch/0/entity/east/n000/attempt/1/done',
      'batch/0/entity/east/n001/attempt/1/done',
      'batch/0/observing',
      // The health gate's pass at the end of the observation (the harness has a health center).
      'batch/0/gate/health/round/0',
      'batch/0/completed',
    ]);
    // Batch 0 was observed from when its runs ended (3 minutes after they started), for its 1 minute.
    const batch0 = (await h.status('jobs')).batches![0]!;
    expect(Date.parse(batch0.observeUntil!) - Date.parse(batch0.startedAt!)).toBeGreaterThanOrEqual(
      4 * MINUTE,
    );
  });
});

describe('change engine after a crash or a leader change', () => {
  it('takes over mid-batch: the entity in doubt is applied again with the same key, none twice, none skipped', async () => {
    await h.apply('Change', 'takeover', {
      ...cordonAll,
      plan: {
        batches: [
          { size: '1', bake: '30m' },
          { size: '10', bake: '10m', repeat: true },
        ],
        maxConcurrent: 3,
      },
    });
    const a = (await h.lead('a'))!;
    await h.run(a, 'takeover', (status) => status.phase === 'Observing');
    h.now += 30 * MINUTE;
    // Server a dies while its calls for n001..n003 are in flight: n002 took effect and never answered.
    actuator.hanging.add('east/n002');
    actuator.hanging.add('east/n001');
    const dying = a.engine.reconcile(a.ctx, { team: TEAM, name: 'takeover' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    a.term.abort();
    void dying;
    const before = await journal('takeover');
    expect(before.filter((entry) => entry.type === StepType.EntityStarted)).toHaveLength(4);
    expect(before.filter((entry) => entry.type === StepType.EntityDone)).toHaveLength(2);

    h.expireLease();
    const b = (await h.lead('b'))!;
    await h.run(b, 'takeover');
    const status = await h.status('takeover');
    expect(status.phase).toBe('Succeeded');
    const counts = actuator.effectCounts();
    expect(counts.size).toBe(25);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    // Called again only for the two in doubt, with the keys of the first calls.
    const calls = actuator.calls.map((call) => call.entity);
    expect(calls.filter((entity) => entity === 'east/n001')).toHaveLength(2);
    expect(calls.filter((entity) => entity === 'east/n002')).toHaveLength(2);
    expect(calls.filter((entity) => entity === 'east/n003')).toHaveLength(1);
    const keys = actuator.calls.filter((call) => call.entity === 'east/n002').map((call) => call.key);
    expect(keys[0]).toBe(keys[1]);
    const entries = await journal('takeover');
    const terms = [...new Set(entries.map((entry) => entry.term))];
    expect(terms).toEqual(['a#0', 'b#1']);
  });

  it('counts observation time from the stored start, not from the take-over', async () => {
    await h.apply('Change', 'observe', cordonAll);
    const a = (await h.lead('a'))!;
    await h.run(a, 'observe', (status) => status.phase === 'Observing');
    const observingFrom = h.now;
    h.now += 20 * MINUTE;
    a.term.abort();
    h.expireLease();
    const b = (await h.lead('b'))!;
    await h.run(b, 'observe', (status) => status.batches?.[0]?.phase === 'Completed');
    expect(h.now).toBe(observingFrom + 30 * MINUTE);
    expect((await h.status('observe')).batches![0]!.completedAt).toBe(
      new Date(observingFrom + 30 * MINUTE).toISOString(),
    );
  });

  it('a deposed leader’s late answer is fenced out of the journal', async () => {
    await h.apply('Change', 'late', {
      ...cordonAll,
      plan: { batches: [{ size: '100%', bake: '0s' }], maxConcurrent: 1 },
    });
    const a = (await h.lead('a'))!;
    let release: (() => void) | undefined;
    const slow = actuator.apply.bind(actuator);
    actuator.apply = (request) =>
      new Promise((resolve) => {
        release = () => resolve(slow(request));
      });
    const pending = a.engine.reconcile(a.ctx, { team: TEAM, name: 'late' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    h.expireLease();
    await h.lead('b');
    release!();
    await pending;
    const entries = await journal('late');
    expect(entries.map((entry) => entry.type)).toEqual([
      StepType.Started,
      StepType.BatchStarted,
      StepType.EntityStarted,
    ]);
  });
});

describe('change engine killed after every step', () => {
  it('resumes after a kill at each journal step: every entity changed once, none skipped, bakes kept', async () => {
    const plan = {
      batches: [
        { size: '1', bake: '10m' },
        { size: '50%', bake: '5m', repeat: true },
      ],
      maxConcurrent: 2,
    };
    const targets = { names: ['east/n000', 'east/n001', 'east/n002', 'east/n003', 'east/n004', 'east/n005'] };
    // A run without a kill, to count its steps.
    await h.apply('Change', 'reference', { nodeOperation: { operation: 'cordon' }, targets, plan });
    const first = (await h.lead('a'))!;
    await h.run(first, 'reference');
    const steps = (await journal('reference')).length;
    expect(steps).toBeGreaterThan(20);
    first.term.abort();

    for (let kill = 1; kill < steps; kill++) {
      const name = `kill-${kill}`;
      actuator.calls.length = 0;
      actuator.effects.clear();
      await h.apply('Change', name, { nodeOperation: { operation: 'cordon' }, targets, plan });
      h.expireLease();
      expect(await store.leases.tryAcquire(CHANGE_LEASE, `dying-${kill}`, 60_000, h.now)).toBe(true);
      // The dying server's journal: its appends after the kill-th step never come back (the process is gone).
      let written = 0;
      const dying = h.term(`dying-${kill}`, {
        ...store.changes,
        append: (...args: Parameters<typeof store.changes.append>) =>
          written >= kill
            ? new Promise(() => undefined)
            : store.changes.append(...args).then((result) => {
                if (result.ok) written += result.entries.length;
                return result;
              }),
        entries: (...args: Parameters<typeof store.changes.entries>) => store.changes.entries(...args),
        entry: (...args: Parameters<typeof store.changes.entry>) => store.changes.entry(...args),
        pendingRequests: (uid: string) => store.changes.pendingRequests(uid),
        activeStops: (teams: readonly string[]) => store.changes.activeStops(teams),
        deleteChange: (team: string, change: string) => store.changes.deleteChange(team, change),
      });
      const deadline = h.now + 24 * 60 * MINUTE;
      while (written < kill && h.now < deadline) {
        const result = await Promise.race([
          dying.engine.reconcile(dying.ctx, { team: TEAM, name }),
          new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20)),
        ]);
        if (result === 'hung') break;
        if (result.requeueAfterMs === undefined) break;
        h.now += result.requeueAfterMs;
      }
      dying.term.abort();
      // It died with at least `kill` steps journaled (an append may hold several), all of its own term.
      expect(written, `killed after step ${kill}`).toBeGreaterThanOrEqual(kill);
      expect((await journal(name)).filter((entry) => entry.term.startsWith('dying-'))).toHaveLength(written);
      h.expireLease();
      const next = (await h.lead(`next-${kill}`))!;
      await h.run(next, name);
      next.term.abort();

      const status = await h.status(name);
      expect(status.phase, `killed after step ${kill}`).toBe('Succeeded');
      const counts = actuator.effectCounts();
      expect(counts.size, `killed after step ${kill}`).toBe(6);
      expect(
        [...counts.values()].every((count) => count === 1),
        `killed after step ${kill}`,
      ).toBe(true);
      for (const entity of targets.names) {
        const keys = actuator.calls.filter((call) => call.entity === entity).map((call) => call.key);
        expect(new Set(keys).size, `${entity}, killed after step ${kill}`).toBe(1);
      }
      const entries = await journal(name);
      expect(new Set(entries.map((entry) => entry.key)).size).toBe(entries.length);
      for (const entry of entries.filter((e) => e.type === StepType.BatchObserving)) {
        const batch = status.batches![entry.batch!]!;
        expect(Date.parse(batch.observeUntil!) - Date.parse(entry.at)).toBe(
          entry.batch === 0 ? 10 * MINUTE : 5 * MINUTE,
        );
        expect(Date.parse(batch.completedAt!)).toBeGreaterThanOrEqual(Date.parse(batch.observeUntil!));
      }
    }
  });
});

describe('change engine with gates, an approval and a rollback, killed after every step', () => {
  it('resumes after a kill at each step kind: gates, approval, rollback; every entity changed once and undone once', async () => {
    const plan = {
      batches: [
        { size: '1', bake: '10m' },
        { size: '50%', bake: '5m', approval: true },
        { size: '50%', bake: '5m', repeat: true },
      ],
      maxConcurrent: 2,
    };
    const targets = { names: ['east/n000', 'east/n001', 'east/n002', 'east/n003', 'east/n004', 'east/n005'] };
    const spec = {
      nodeOperation: { operation: 'cordon' },
      targets,
      plan,
      gates: {
        metrics: [
          {
            name: 'errors',
            source: 'prom',
            query: 'sum(rate(errors_total{node=~"$names"}[1m]))',
            failureCondition: 'max > 0.5',
          },
        ],
      },
      failurePolicy: 'Rollback',
    };
    // Batch 2 (n004, n005) is worse: the change rolls back batches 2, 1 and 0.
    h.metrics.answer = (expr) => (expr.includes('n004') ? [1, 1] : [0, 0]);
    /** Approves a batch that waits, as an operator would (once). */
    const approve = async (name: string) => {
      const status = await h.status(name);
      if (!status.batches?.some((batch) => batch.phase === 'AwaitingApproval')) return;
      await h.service.act(ADMIN, TEAM, name, 'approve', 'looks good').catch((error: { code?: string }) => {
        if (error.code !== 'GANTRY_E_CHANGE_STATE') throw error;
      });
    };
    const drive = async (term: ReturnType<ChangeHarness['term']>, name: string, stop: () => boolean) => {
      const deadline = h.now + 24 * 60 * MINUTE;
      while (!stop() && h.now < deadline) {
        const result = await Promise.race([
          term.engine.reconcile(term.ctx, { team: TEAM, name }),
          new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20)),
        ]);
        if (result === 'hung' || result.requeueAfterMs === undefined) return;
        await approve(name);
        h.now += result.requeueAfterMs;
      }
    };

    await h.apply('Change', 'reference', spec);
    const first = (await h.lead('a'))!;
    await drive(first, 'reference', () => false);
    first.term.abort();
    expect((await h.status('reference')).phase).toBe('RolledBack');
    const reference = await journal('reference');
    const kinds = new Set(reference.map((entry) => entry.type));
    for (const kind of [
      StepType.GateEvaluated,
      StepType.ApprovalDecided,
      StepType.RollbackStarted,
      StepType.RollbackEntityStarted,
      StepType.RollbackEntityDone,
      StepType.RollbackObserving,
      StepType.RollbackBatchCompleted,
      StepType.RolledBack,
    ])
      expect(kinds, kind).toContain(kind);
    const steps = reference.length;
    expect(steps).toBeGreaterThan(30);

    for (let kill = 1; kill < steps; kill++) {
      const name = `gated-kill-${kill}`;
      actuator.calls.length = 0;
      actuator.effects.clear();
      actuator.undone.clear();
      await h.apply('Change', name, spec);
      h.expireLease();
      expect(await store.leases.tryAcquire(CHANGE_LEASE, `dying-${kill}`, 60_000, h.now)).toBe(true);
      let written = 0;
      const dying = h.term(`dying-${kill}`, {
        ...store.changes,
        append: (...args: Parameters<typeof store.changes.append>) =>
          written >= kill
            ? new Promise(() => undefined)
            : store.changes.append(...args).then((result) => {
                if (result.ok) written += result.entries.length;
                return result;
              }),
        entries: (...args: Parameters<typeof store.changes.entries>) => store.changes.entries(...args),
        entry: (...args: Parameters<typeof store.changes.entry>) => store.changes.entry(...args),
        pendingRequests: (uid: string) => store.changes.pendingRequests(uid),
        activeStops: (teams: readonly string[]) => store.changes.activeStops(teams),
        deleteChange: (team: string, change: string) => store.changes.deleteChange(team, change),
      });
      await drive(dying, name, () => written >= kill);
      dying.term.abort();
      expect(written, `killed after step ${kill}`).toBeGreaterThanOrEqual(kill);
      h.expireLease();
      const next = (await h.lead(`next-${kill}`))!;
      await drive(next, name, () => false);
      next.term.abort();

      const status = await h.status(name);
      expect(status.phase, `killed after step ${kill}`).toBe('RolledBack');
      const applied = actuator.effectCounts();
      expect(applied.size, `killed after step ${kill}`).toBe(6);
      expect(
        [...applied.values()].every((count) => count === 1),
        `killed after step ${kill}`,
      ).toBe(true);
      // Undone once each, the last batch first.
      expect(
        [...actuator.undone.values()].map((entity) => entity),
        `killed after step ${kill}`,
      ).toEqual(['east/n004', 'east/n005', 'east/n001', 'east/n002', 'east/n003', 'east/n000']);
      const entries = await journal(name);
      expect(new Set(entries.map((entry) => entry.key)).size).toBe(entries.length);
      expect(entries.filter((entry) => entry.type === StepType.ApprovalDecided)).toHaveLength(1);
      expect(entries.filter((entry) => entry.type === StepType.RollbackStarted)).toHaveLength(1);
      for (const entry of entries.filter((e) => e.type === StepType.RollbackObserving)) {
        const batch = status.rollback!.batches.find((item) => item.index === entry.batch)!;
        expect(Date.parse(batch.observeUntil!) - Date.parse(entry.at)).toBe(
          entry.batch === 0 ? 10 * MINUTE : 5 * MINUTE,
        );
      }
    }
  });
});

describe('change engine with exceptions, killed after every step', () => {
  it('resumes after a kill at the exception steps: paused by an exception, an Alert exception opened once', async () => {
    const plan = { batches: [{ size: '1', bake: '5m', repeat: true }], maxConcurrent: 1 };
    const targets = { names: ['east/n000', 'east/n001', 'east/n002'] };
    const spec = {
      nodeOperation: { operation: 'cordon' },
      targets,
      plan,
      gates: {
        health: false,
        metrics: [
          { name: 'errors', source: 'prom', query: 'errors{node=~"$names"}', failureCondition: 'max > 0' },
        ],
      },
      failurePolicy: 'Alert',
    };
    // n002's gate fails until someone resumes; an exception is open on n000 from the start.
    let failing = true;
    h.metrics.answer = (expr) => (failing && expr.includes('n002') ? [1] : [0]);
    const drive = async (term: ReturnType<ChangeHarness['term']>, name: string, stop: () => boolean) => {
      const deadline = h.now + 24 * 60 * MINUTE;
      while (!stop() && h.now < deadline) {
        const result = await Promise.race([
          term.engine.reconcile(term.ctx, { team: TEAM, name }),
          new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20)),
        ]);
        if (result === 'hung' || result.requeueAfterMs === undefined) return;
        if ((await h.status(name)).phase === 'Paused') {
          await h.service.act(ADMIN, TEAM, name, 'resume', 'seen');
          if ((await h.status(name)).paused?.reason.includes('gate errors')) failing = false;
        }
        h.now += result.requeueAfterMs;
      }
    };
    const run = async (name: string, kill?: number) => {
      failing = true;
      h.health.exceptions.length = 0;
      h.health.exceptions.push({
        id: `exc-${name}`,
        title: 'disk full',
        entity: 'east/n000',
        at: '9999-01-01T00:00:00Z',
      });
      actuator.calls.length = 0;
      actuator.effects.clear();
      await h.apply('Change', name, spec);
      h.expireLease();
      if (kill === undefined) {
        const term = (await h.lead(`ref-${name}`))!;
        await drive(term, name, () => false);
        term.term.abort();
        return;
      }
      expect(await store.leases.tryAcquire(CHANGE_LEASE, `dying-${name}`, 60_000, h.now)).toBe(true);
      let written = 0;
      const dying = h.term(`dying-${name}`, {
        ...store.changes,
        append: (...args: Parameters<typeof store.changes.append>) =>
          written >= kill
            ? new Promise(() => undefined)
            : store.changes.append(...args).then((result) => {
                if (result.ok) written += result.entries.length;
                return result;
              }),
        entries: (...args: Parameters<typeof store.changes.entries>) => store.changes.entries(...args),
        entry: (...args: Parameters<typeof store.changes.entry>) => store.changes.entry(...args),
        pendingRequests: (uid: string) => store.changes.pendingRequests(uid),
        activeStops: (teams: readonly string[]) => store.changes.activeStops(teams),
        deleteChange: (team: string, change: string) => store.changes.deleteChange(team, change),
      });
      await drive(dying, name, () => written >= kill);
      dying.term.abort();
      h.expireLease();
      const next = (await h.lead(`next-${name}`))!;
      await drive(next, name, () => false);
      next.term.abort();
    };

    await run('exc-reference');
    expect((await h.status('exc-reference')).phase).toBe('Succeeded');
    const reference = await journal('exc-reference');
    expect(reference.map((entry) => entry.type)).toEqual(
      expect.arrayContaining([StepType.ExceptionPaused, StepType.ExceptionOpened, StepType.GateEvaluated]),
    );
    for (let kill = 1; kill < reference.length; kill++) {
      const name = `exc-kill-${kill}`;
      await run(name, kill);
      const status = await h.status(name);
      expect(status.phase, `killed after step ${kill}`).toBe('Succeeded');
      expect(
        status.exceptions?.map((exception) => exception.link),
        `killed after step ${kill}`,
      ).toEqual(['PausedBy', 'OpenedBy']);
      expect([...actuator.effectCounts().values()], `killed after step ${kill}`).toEqual([1, 1, 1]);
      const entries = await journal(name);
      expect(new Set(entries.map((entry) => entry.key)).size).toBe(entries.length);
      const uid = (await h.resources.get(ADMIN, 'Change', TEAM, name)).metadata.uid;
      // The Alert policy's exception was opened once, however many times the engine got that far.
      expect([...h.health.opened.keys()].filter((key) => key.includes(uid))).toHaveLength(1);
    }
  });
});

describe('change engine with a rejected batch, killed after every step', () => {
  it('never starts a rejected batch, whatever step it died after; resumed, the batch waits for an approval again', async () => {
    const spec = {
      nodeOperation: { operation: 'cordon' },
      targets: { names: ['east/n000', 'east/n001'] },
      plan: {
        batches: [
          { size: '1', bake: '1m' },
          { size: '1', bake: '1m', approval: true },
        ],
      },
    };
    /** An operator: rejects the first time the batch waits, resumes the paused change, then approves. */
    const operator = async (name: string, state: { rejected: boolean; resumed: boolean }) => {
      const status = await h.status(name);
      const act = (action: 'reject' | 'resume' | 'approve') =>
        h.service.act(ADMIN, TEAM, name, action, action).catch((error: { code?: string }) => {
          if (error.code !== 'GANTRY_E_CHANGE_STATE') throw error;
          return undefined;
        });
      if (status.phase === 'Paused' && state.rejected && !state.resumed)
        state.resumed = !!(await act('resume'));
      else if (status.batches?.[1]?.phase === 'AwaitingApproval')
        if (!state.rejected) state.rejected = !!(await act('reject'));
        else if (state.resumed) await act('approve');
    };
    const drive = async (
      term: ReturnType<ChangeHarness['term']>,
      name: string,
      state: { rejected: boolean; resumed: boolean },
      stop: () => boolean,
    ) => {
      const deadline = h.now + 24 * 60 * MINUTE;
      while (!stop() && h.now < deadline) {
        const result = await Promise.race([
          term.engine.reconcile(term.ctx, { team: TEAM, name }),
          new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20)),
        ]);
        if (result === 'hung' || result.requeueAfterMs === undefined) return;
        await operator(name, state);
        h.now += result.requeueAfterMs;
      }
    };
    await h.apply('Change', 'reject-reference', spec);
    const first = (await h.lead('a'))!;
    await drive(first, 'reject-reference', { rejected: false, resumed: false }, () => false);
    first.term.abort();
    expect((await h.status('reject-reference')).phase).toBe('Succeeded');
    const steps = (await journal('reject-reference')).length;

    for (let kill = 1; kill < steps; kill++) {
      const name = `reject-kill-${kill}`;
      actuator.calls.length = 0;
      actuator.effects.clear();
      await h.apply('Change', name, spec);
      h.expireLease();
      expect(await store.leases.tryAcquire(CHANGE_LEASE, `dying-${name}`, 60_000, h.now)).toBe(true);
      let written = 0;
      const dying = h.term(`dying-${name}`, {
        ...store.changes,
        append: (...args: Parameters<typeof store.changes.append>) =>
          written >= kill
            ? new Promise(() => undefined)
            : store.changes.append(...args).then((result) => {
                if (result.ok) written += result.entries.length;
                return result;
              }),
        entries: (...args: Parameters<typeof store.changes.entries>) => store.changes.entries(...args),
        entry: (...args: Parameters<typeof store.changes.entry>) => store.changes.entry(...args),
        pendingRequests: (uid: string) => store.changes.pendingRequests(uid),
        activeStops: (teams: readonly string[]) => store.changes.activeStops(teams),
        deleteChange: (team: string, change: string) => store.changes.deleteChange(team, change),
      });
      const state = { rejected: false, resumed: false };
      await drive(dying, name, state, () => written >= kill);
      dying.term.abort();
      h.expireLease();
      const next = (await h.lead(`next-${name}`))!;
      await drive(next, name, state, () => false);
      next.term.abort();
      const status = await h.status(name);
      expect(status.phase, `killed after step ${kill}`).toBe('Succeeded');
      const entries = await journal(name);
      const rejectedAt = entries.findIndex(
        (e) => e.type === StepType.ApprovalDecided && e.data.decision === 'Rejected',
      );
      const pausedAt = entries.findIndex((e) => e.key === 'batch/1/approval/round/0/policy');
      const startedAt = entries.findIndex((e) => e.type === StepType.BatchStarted && e.batch === 1);
      expect(rejectedAt, `killed after step ${kill}`).toBeGreaterThan(0);
      expect(pausedAt, `killed after step ${kill}`).toBeGreaterThan(rejectedAt);
      // Batch 1 started only after the approval that followed the resume.
      const approvedAt = entries.findIndex(
        (e) => e.type === StepType.ApprovalDecided && e.data.decision === 'Approved',
      );
      expect(startedAt, `killed after step ${kill}`).toBeGreaterThan(approvedAt);
      expect(approvedAt).toBeGreaterThan(pausedAt);
      expect([...actuator.effectCounts().values()], `killed after step ${kill}`).toEqual([1, 1]);
    }
  });
});
