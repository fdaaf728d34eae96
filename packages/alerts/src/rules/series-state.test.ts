import { describe, expect, it } from 'vitest';
import {
  advanceSeries,
  alertsToPost,
  countPhases,
  seriesKey,
  RULE_RESOLVED_RETENTION_MS,
  type RuleSample,
  type SeriesState,
} from './series-state.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const MIN = 60_000;
const sample = (node: string, value = 1): RuleSample => ({
  labels: { alertname: 'NodeDown', node },
  annotations: { summary: `${node} is down (${value})` },
  value,
});

/** Drives one rule's series through evaluations at the given minutes, with the samples each returned. */
function run(
  steps: [minute: number, samples: RuleSample[]][],
  timing: { forMs: number; keepFiringForMs: number },
): { series: Map<string, SeriesState>; transitioned: boolean }[] {
  let series = new Map<string, SeriesState>();
  return steps.map(([minute, samples]) => {
    const out = advanceSeries(series, samples, { now: T0 + minute * MIN, ...timing });
    series = out.series;
    return out;
  });
}

const only = (series: Map<string, SeriesState>) => [...series.values()][0];

describe('series state: inactive → pending → firing → resolved', () => {
  it('stays pending until `for` has elapsed, then fires with firedAt at that evaluation', () => {
    const steps = run(
      [
        [0, [sample('a')]],
        [1, [sample('a')]],
        [2, [sample('a')]],
        [3, [sample('a')]],
      ],
      { forMs: 3 * MIN, keepFiringForMs: 0 },
    );
    expect(steps.map((s) => only(s.series)?.phase)).toEqual(['pending', 'pending', 'pending', 'firing']);
    expect(steps.map((s) => s.transitioned)).toEqual([true, false, false, true]);
    const firing = only(steps[3]!.series)!;
    expect(firing.activeAt).toBe(T0);
    expect(firing.firedAt).toBe(T0 + 3 * MIN);
  });

  it('fires at the first evaluation when `for` is zero', () => {
    const [first] = run([[0, [sample('a')]]], { forMs: 0, keepFiringForMs: 0 });
    expect(only(first!.series)).toMatchObject({ phase: 'firing', activeAt: T0, firedAt: T0 });
  });

  it('resolves a firing series the first evaluation it is missing, and forgets it after the retention', () => {
    const steps = run(
      [
        [0, [sample('a')]],
        [1, []],
        [2, []],
        [1 + RULE_RESOLVED_RETENTION_MS / MIN, []],
      ],
      { forMs: 0, keepFiringForMs: 0 },
    );
    expect(only(steps[1]!.series)).toMatchObject({ phase: 'resolved', resolvedAt: T0 + MIN });
    expect(steps[2]!.transitioned).toBe(false);
    expect(steps[3]!.series.size).toBe(0);
    expect(steps[3]!.transitioned).toBe(true);
  });

  it('keeps firing for keepFiringFor after the condition stops, then resolves; a return resets it', () => {
    const steps = run(
      [
        [0, [sample('a')]],
        [1, []],
        [2, []],
        [3, [sample('a')]],
        [4, []],
        [5, []],
        [6, []],
      ],
      { forMs: 0, keepFiringForMs: 2 * MIN },
    );
    expect(steps.map((s) => only(s.series)?.phase)).toEqual([
      'firing',
      'firing',
      'firing',
      'firing',
      'firing',
      'firing',
      'resolved',
    ]);
    expect(only(steps[1]!.series)?.keepFiringSince).toBe(T0 + MIN);
    expect(only(steps[3]!.series)?.keepFiringSince).toBeUndefined();
    expect(only(steps[4]!.series)?.keepFiringSince).toBe(T0 + 4 * MIN);
    expect(only(steps[6]!.series)).toMatchObject({ resolvedAt: T0 + 6 * MIN, firedAt: T0 });
  });

  it('a flapping condition shorter than `for` never fires', () => {
    const steps = run(
      Array.from({ length: 12 }, (_, minute): [number, RuleSample[]] => [
        minute,
        minute % 2 === 0 ? [sample('a')] : [],
      ]),
      { forMs: 2 * MIN, keepFiringForMs: 0 },
    );
    expect(steps.every((s) => countPhases(s.series).firing === 0)).toBe(true);
    expect(steps.map((s) => s.series.size)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
  });

  it('a series that returns after resolving starts a new pending period', () => {
    const steps = run(
      [
        [0, [sample('a')]],
        [1, [sample('a')]],
        [2, []],
        [3, [sample('a')]],
      ],
      { forMs: MIN, keepFiringForMs: 0 },
    );
    expect(only(steps[1]!.series)?.phase).toBe('firing');
    expect(only(steps[2]!.series)?.phase).toBe('resolved');
    expect(only(steps[3]!.series)).toMatchObject({ phase: 'pending', activeAt: T0 + 3 * MIN });
    expect(only(steps[3]!.series)?.resolvedAt).toBeUndefined();
  });

  it('follows each label set on its own and updates value and annotations without a transition', () => {
    const steps = run(
      [
        [0, [sample('a', 1), sample('b', 1)]],
        [1, [sample('a', 7), sample('b', 1)]],
        [2, [sample('a', 9)]],
      ],
      { forMs: 0, keepFiringForMs: 0 },
    );
    expect(steps[1]!.transitioned).toBe(false);
    const a = steps[2]!.series.get(seriesKey(sample('a').labels))!;
    const b = steps[2]!.series.get(seriesKey(sample('b').labels))!;
    expect(a).toMatchObject({ phase: 'firing', value: 9, annotations: { summary: 'a is down (9)' } });
    expect(b).toMatchObject({ phase: 'resolved', resolvedAt: T0 + 2 * MIN });
  });
});

describe('alerts posted', () => {
  it('firing ones until now + 4 × interval, resolved ones ending when they resolved, pending ones not at all', () => {
    const steps = run(
      [
        [0, [sample('a'), sample('b')]],
        [1, [sample('a'), sample('c')]],
      ],
      { forMs: 0, keepFiringForMs: 0 },
    );
    let series = steps[1]!.series;
    // c is new at minute 1 with for=0: firing. Make a pending one by hand.
    series = new Map(series);
    series.set('p', { ...sample('p'), phase: 'pending', activeAt: T0 });
    const now = T0 + MIN;
    const alerts = alertsToPost(series, now, 30_000, 'http://gantry/api/x');
    const byNode = Object.fromEntries(alerts.map((alert) => [alert.labels.node, alert]));
    expect(Object.keys(byNode).sort()).toEqual(['a', 'b', 'c']);
    expect(byNode.a).toMatchObject({
      startsAt: new Date(T0).toISOString(),
      endsAt: new Date(now + 120_000).toISOString(),
      generatorURL: 'http://gantry/api/x',
    });
    expect(byNode.b).toMatchObject({
      startsAt: new Date(T0).toISOString(),
      endsAt: new Date(now).toISOString(),
    });
    expect(byNode.c!.startsAt).toBe(new Date(now).toISOString());
  });

  it('fingerprints do not depend on label order', () => {
    expect(seriesKey({ a: '1', b: '2' })).toBe(seriesKey({ b: '2', a: '1' }));
    expect(seriesKey({ a: '1', b: '2' })).not.toBe(seriesKey({ a: '1', b: '3' }));
  });
});
