import { createHash } from 'node:crypto';
import type { RuleAlert } from './alert-sink.ts';

/** Where one series of a rule stands; a series no evaluation returns and not firing has no state. */
export type SeriesPhase = 'pending' | 'firing' | 'resolved';

export interface SeriesState {
  /** The alert's labels: the sample's, the rule's templated labels, `alertname` and `severity`. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The sample's value when it was last seen. */
  value: number;
  phase: SeriesPhase;
  /** Epoch ms: since when the condition holds (the series became pending). */
  activeAt: number;
  /** Epoch ms: when it started firing. */
  firedAt?: number;
  /** Epoch ms: when it resolved. */
  resolvedAt?: number;
  /** Epoch ms: the first evaluation that no longer returned a firing series kept by `keepFiringFor`. */
  keepFiringSince?: number;
}

/** One series an evaluation returned, with its labels and annotations already rendered. */
export interface RuleSample {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: number;
}

export interface SeriesStepTiming {
  now: number;
  forMs: number;
  keepFiringForMs: number;
}

/** How long a resolved alert is still posted (and kept), as Prometheus does. */
export const RULE_RESOLVED_RETENTION_MS = 15 * 60_000;

/** Firing alerts are valid this many intervals past an evaluation, as Prometheus sends them. */
export const ENDS_AT_INTERVALS = 4;

export type SeriesMap = ReadonlyMap<string, SeriesState>;

/** A series' identity: its final label set, independent of order. */
export function seriesKey(labels: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((name) => [name, labels[name]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 32);
}

/**
 * One evaluation's step of every series: inactive → pending → firing (after `for`) → resolved, with a
 * firing series kept firing for `keepFiringFor` after its condition stopped holding, a pending one that
 * stops holding dropped, and a resolved one forgotten after the retention. `transitioned` says whether
 * anything other than values and annotations moved, i.e. whether the state must be saved.
 */
export function advanceSeries(
  previous: SeriesMap,
  samples: readonly RuleSample[],
  timing: SeriesStepTiming,
): { series: Map<string, SeriesState>; transitioned: boolean } {
  const { now, forMs, keepFiringForMs } = timing;
  const next = new Map<string, SeriesState>();
  let transitioned = false;

  for (const sample of samples) {
    const key = seriesKey(sample.labels);
    if (next.has(key)) continue; // two samples with one label set: the first wins, as Prometheus refuses both
    const before = previous.get(key);
    if (!before || before.phase === 'resolved') {
      transitioned = true;
      const firesNow = forMs === 0;
      next.set(key, {
        ...sample,
        phase: firesNow ? 'firing' : 'pending',
        activeAt: now,
        ...(firesNow ? { firedAt: now } : {}),
      });
      continue;
    }
    const state: SeriesState = { ...before, labels: sample.labels, annotations: sample.annotations };
    state.value = sample.value;
    if (state.keepFiringSince !== undefined) {
      delete state.keepFiringSince;
      transitioned = true;
    }
    if (state.phase === 'pending' && now - state.activeAt >= forMs) {
      state.phase = 'firing';
      state.firedAt = now;
      transitioned = true;
    }
    next.set(key, state);
  }

  for (const [key, before] of previous) {
    if (next.has(key)) continue;
    switch (before.phase) {
      case 'pending':
        transitioned = true; // stopped holding before `for` elapsed: never fired, nothing to resolve
        break;
      case 'firing': {
        const since = before.keepFiringSince ?? now;
        if (keepFiringForMs > 0 && now - since < keepFiringForMs) {
          if (before.keepFiringSince === undefined) transitioned = true;
          next.set(key, { ...before, keepFiringSince: since });
          break;
        }
        transitioned = true;
        const resolved: SeriesState = { ...before, phase: 'resolved', resolvedAt: now };
        delete resolved.keepFiringSince;
        next.set(key, resolved);
        break;
      }
      case 'resolved':
        if (now - (before.resolvedAt ?? now) < RULE_RESOLVED_RETENTION_MS) next.set(key, before);
        else transitioned = true;
        break;
    }
  }
  return { series: next, transitioned };
}

/**
 * What an evaluation posts: every firing alert (valid until now + 4 × interval) and every resolved one
 * still retained (ending when it resolved). Pending alerts are not posted.
 */
export function alertsToPost(
  series: SeriesMap,
  now: number,
  intervalMs: number,
  generatorURL: string,
): RuleAlert[] {
  const alerts: RuleAlert[] = [];
  for (const state of series.values()) {
    if (state.phase === 'pending') continue;
    const endsAt =
      state.phase === 'firing' ? now + ENDS_AT_INTERVALS * intervalMs : (state.resolvedAt ?? now);
    alerts.push({
      labels: state.labels,
      annotations: state.annotations,
      startsAt: new Date(state.firedAt ?? state.activeAt).toISOString(),
      endsAt: new Date(endsAt).toISOString(),
      generatorURL,
    });
  }
  return alerts;
}

export function countPhases(series: SeriesMap): { pending: number; firing: number } {
  let pending = 0;
  let firing = 0;
  for (const state of series.values()) {
    if (state.phase === 'pending') pending += 1;
    else if (state.phase === 'firing') firing += 1;
  }
  return { pending, firing };
}
