import { describe, expect, it } from 'vitest';
import type { ChangeBatchStatus, ChangeStatus, EventRecord } from '@gantry/client';
import {
  bakeProgress,
  batchGates,
  changeProgress,
  durationToMs,
  entityTimeline,
  journalRequests,
  weekDays,
  weekRange,
  weekStart,
  windowState,
  zonedDayStart,
  zoneOffset,
} from './changes';

const batch = (over: Partial<ChangeBatchStatus>): ChangeBatchStatus => ({
  index: 0,
  phase: 'Pending',
  entities: [],
  applied: 0,
  failed: [],
  bake: '30m',
  ...over,
});

describe('change helpers', () => {
  it('reads durations as the engine does', () => {
    expect(durationToMs('1h30m')).toBe(90 * 60_000);
    expect(durationToMs('0s')).toBe(0);
    expect(durationToMs('30 m')).toBeUndefined();
  });

  it('measures the bake against the stored observeUntil', () => {
    const until = Date.parse('2026-03-02T10:30:00Z');
    const observing = batch({ phase: 'Observing', observeUntil: '2026-03-02T10:30:00Z' });
    expect(bakeProgress(observing, until - 20 * 60_000)).toMatchObject({
      percent: 33,
      remainingMs: 20 * 60_000,
    });
    expect(bakeProgress(observing, until + 1)).toMatchObject({ percent: 100, remainingMs: 0 });
    expect(bakeProgress(batch({}), until)).toBeUndefined();
  });

  it('counts progress and says what holds a change', () => {
    const status: ChangeStatus = {
      phase: 'Waiting',
      targetCount: 10,
      waitingUntil: '2026-03-02T22:00:00.000Z',
      batches: [
        batch({ applied: 1, entities: ['a'] }),
        batch({ index: 1, applied: 2, entities: ['b', 'c'] }),
      ],
    };
    expect(changeProgress(status)).toEqual({ applied: 3, total: 10, percent: 30 });
    expect(windowState(status)).toEqual({ label: 'waits until 2026-03-02T22:00:00.000Z', waiting: true });
    expect(windowState({ phase: 'Succeeded' })).toEqual({ label: '—', waiting: false });
  });

  it('shows gates when a batch has them, whatever fields they carry', () => {
    expect(batchGates(batch({}))).toEqual([]);
    const gated = {
      ...batch({}),
      gates: [{ name: 'errors', verdict: 'Passed', values: [0.01] }, { type: 'health' }],
    };
    expect(batchGates(gated)).toEqual([
      { name: 'errors', verdict: 'Passed', values: '[0.01]' },
      { name: 'health', verdict: 'unknown' },
    ]);
  });

  it('finds the requests in a journal', () => {
    const entry = (seq: number, type: string, data: Record<string, unknown>) => ({
      seq,
      key: `k${seq}`,
      type,
      at: '2026-03-02T10:00:00.000Z',
      term: 't#1',
      data,
    });
    expect(
      journalRequests([
        entry(1, 'Started', {}),
        entry(2, 'Paused', { actor: 'vera', reason: 'look first', at: '2026-03-02T10:01:00.000Z' }),
        entry(3, 'Resumed', { actor: 'admin', reason: 'fine' }),
      ]),
    ).toEqual([
      { seq: 2, action: 'pause', actor: 'vera', reason: 'look first', at: '2026-03-02T10:01:00.000Z' },
      { seq: 3, action: 'resume', actor: 'admin', reason: 'fine', at: '2026-03-02T10:00:00.000Z' },
    ]);
  });

  it('cuts occurrences into the days of a week', () => {
    const monday = weekStart(Date.parse('2026-03-04T12:00:00Z'));
    expect(monday).toBe('2026-03-02');
    const days = weekDays(
      weekRange(monday),
      [
        {
          window: 'nights',
          appliesToAllChanges: true,
          timeZone: 'UTC',
          occurrences: [
            {
              type: 'allow',
              index: 0,
              cron: '0 22 * * *',
              timeZone: 'UTC',
              start: '2026-03-02T22:00:00.000Z',
              end: '2026-03-03T06:00:00.000Z',
            },
          ],
          open: [],
        },
      ],
      [],
    );
    expect(days[0]!.blocks).toEqual([expect.objectContaining({ kind: 'allow', top: 22 * 60, height: 120 })]);
    expect(days[1]!.blocks).toEqual([expect.objectContaining({ kind: 'allow', top: 0, height: 360 })]);
    expect(days[2]!.blocks).toEqual([]);
  });

  it('lays a week out in a time zone, daylight saving included', () => {
    expect(zoneOffset(Date.parse('2026-01-15T12:00:00Z'), 'Europe/Berlin')).toBe(3_600_000);
    expect(zonedDayStart('2026-03-29', 'Europe/Berlin')).toBe(Date.parse('2026-03-28T23:00:00Z'));
    expect(zonedDayStart('2026-03-30', 'Europe/Berlin')).toBe(Date.parse('2026-03-29T22:00:00Z'));
    // Sunday 00:30 in Berlin is still Saturday in UTC: its week is the Berlin one.
    expect(weekStart(Date.parse('2026-03-28T23:30:00Z'), 'Europe/Berlin')).toBe('2026-03-23');
    const week = weekRange('2026-03-23', 'Europe/Berlin');
    expect(week.end).toBe(Date.parse('2026-03-29T22:00:00Z'));
    // 22:00 Berlin on the Monday (21:00 UTC) sits at 22:00 in the Berlin column.
    const days = weekDays(week, [], [{ start: '2026-03-23T21:00:00.000Z', end: '2026-03-23T22:00:00.000Z' }]);
    expect(days[0]!.blocks).toEqual([expect.objectContaining({ kind: 'open', top: 22 * 60, height: 60 })]);
  });

  it('puts the changes that touched an entity beside its events, newest first', () => {
    const event = { id: 1, reason: 'DriftDetected', lastSeen: '2026-03-02T12:00:00.000Z' } as EventRecord;
    const items = entityTimeline(
      'Cluster',
      'east',
      [
        {
          metadata: { team: 'ops', name: 'drain-east' },
          status: {
            phase: 'Succeeded',
            batches: [
              batch({ entities: ['east/n1'], phase: 'Completed', startedAt: '2026-03-02T11:00:00.000Z' }),
            ],
          },
        },
        {
          metadata: { team: 'ops', name: 'elsewhere' },
          status: { batches: [batch({ entities: ['west/n1'] })] },
        },
      ],
      [event],
    );
    expect(items.map((item) => item.type)).toEqual(['event', 'change']);
    expect(items[1]).toMatchObject({ name: 'drain-east', outcome: 'batch 1 completed' });
  });

  it("finds an application's rollout by its `cluster/application` entities, not a node of the same name", () => {
    const rollout = {
      metadata: { team: 'ops', name: 'web-rollout-v2' },
      spec: { applicationRevision: { application: 'web' } },
      status: { batches: [batch({ entities: ['east/web'], phase: 'Completed' })] },
    };
    const nodeNamedWeb = {
      metadata: { team: 'ops', name: 'cordon-web-node' },
      status: { batches: [batch({ entities: ['east/web'] })] },
    };
    const items = entityTimeline('Application', 'web', [rollout, nodeNamedWeb], []);
    expect(items.map((item) => item.type === 'change' && item.name)).toEqual(['web-rollout-v2']);
    expect(entityTimeline('Application', 'api', [rollout], [])).toEqual([]);
  });
});
