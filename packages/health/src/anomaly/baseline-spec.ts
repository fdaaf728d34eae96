import type { BaselineSpec, ErrorDetail } from '@gantry/model';
import { defaultDetectorOptions, SENSITIVITY_DEVIATIONS, type DetectorOptions } from './detector-options.ts';
import { parsePromDuration as parseBaselineDuration } from '@gantry/alerts';
import { DAY_MS } from './seasonal-band.ts';

/** Prometheus refuses a range query of more than 11,000 points per series; reads are cut below that. */
export const MAX_POINTS_PER_QUERY = 10_000;
/** Most points of history one series may be rebuilt from (lookback / step). */
export const MAX_LOOKBACK_POINTS = 50_000;
export const MIN_STEP_MS = 1000;
export const MIN_INTERVAL_MS = 10_000;

/** A Baseline's spec with every duration in milliseconds and its detector options complete. */
export interface ResolvedBaseline {
  source: string;
  query: string;
  stepMs: number;
  lookbackMs: number;
  intervalMs: number;
  maxSeries: number;
  score: BaselineSpec['score'];
  entity: BaselineSpec['entity'];
  detector: DetectorOptions;
}

export type ResolveOutcome = { ok: true; baseline: ResolvedBaseline } | { ok: false; errors: ErrorDetail[] };

/**
 * Checks a Baseline beyond its schema (types, patterns and bounds are checked already) and resolves it:
 * the errors name the field (`/spec/...`), so admission refuses with them and the evaluator reports a
 * stored spec that a later, stricter check refuses.
 */
export function resolveBaseline(spec: BaselineSpec): ResolveOutcome {
  const errors: ErrorDetail[] = [];
  const stepMs = parseBaselineDuration(spec.step);
  const lookbackMs = parseBaselineDuration(spec.lookback);
  const intervalMs = parseBaselineDuration(spec.interval);
  const clearAfterMs = parseBaselineDuration(spec.clearAfter);
  const detector: DetectorOptions = {
    ...defaultDetectorOptions(stepMs),
    algorithm: spec.algorithm,
    deviations: SENSITIVITY_DEVIATIONS[spec.sensitivity],
    direction: spec.direction,
    sustained: { k: spec.sustained.k, n: spec.sustained.n },
    clearAfterMs,
  };
  detector.recentPoints = Math.max(detector.recentPoints, spec.sustained.n);
  if (stepMs < MIN_STEP_MS) errors.push({ path: '/spec/step', message: 'must be at least 1s' });
  if (intervalMs < MIN_INTERVAL_MS) errors.push({ path: '/spec/interval', message: 'must be at least 10s' });
  if (spec.sustained.k > spec.sustained.n)
    errors.push({ path: '/spec/sustained/k', message: `must not exceed n (${spec.sustained.n})` });
  if (spec.score.max < spec.score.atEdge)
    errors.push({ path: '/spec/score/max', message: `must be at least atEdge (${spec.score.atEdge})` });
  if (stepMs >= MIN_STEP_MS) {
    const points = lookbackMs / stepMs;
    if (points > MAX_LOOKBACK_POINTS)
      errors.push({
        path: '/spec/lookback',
        message: `is ${Math.floor(points)} steps; at most ${MAX_LOOKBACK_POINTS} (use a longer step)`,
      });
    if (points < detector.minPoints)
      errors.push({
        path: '/spec/lookback',
        message: `must cover at least ${detector.minPoints} steps, the points a band needs before a verdict`,
      });
  }
  if (spec.algorithm === 'seasonal' && lookbackMs < detector.dailyMinHistoryMs)
    errors.push({
      path: '/spec/lookback',
      message: `must be at least ${detector.dailyMinHistoryMs / DAY_MS}d for the seasonal algorithm (its daily profile needs that much history)`,
    });
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    baseline: {
      source: spec.source.name,
      query: spec.query,
      stepMs,
      lookbackMs,
      intervalMs,
      maxSeries: spec.maxSeries,
      score: spec.score,
      entity: spec.entity,
      detector,
    },
  };
}

/** The risk score of a deviation `degree` band half widths from the centre (1 at the band's edge). */
export function scoreOf(score: BaselineSpec['score'], degree: number): number {
  const span = score.saturateAt - 1;
  const share = span <= 0 ? 1 : Math.min(1, Math.max(0, (degree - 1) / span));
  return Math.round(score.atEdge + (score.max - score.atEdge) * share);
}
