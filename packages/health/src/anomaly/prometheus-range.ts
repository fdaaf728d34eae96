import { callPrometheusApi, type ResolvedMetricsSource } from '@gantry/alerts';
import { BaselineReason } from './baseline-conditions.ts';

/** One series of a range query: its labels (with `__name__` when Prometheus keeps it) and its points. */
export interface RangeSeries {
  labels: Record<string, string>;
  /** Times in ms and values, in time order. */
  times: number[];
  values: number[];
}

export type RangeFailureReason =
  | typeof BaselineReason.SourceUnreachable
  | typeof BaselineReason.SourceUnauthorized
  | typeof BaselineReason.QueryFailed;

export type RangeOutcome =
  { ok: true; series: RangeSeries[] } | { ok: false; reason: RangeFailureReason; message: string };

/** Runs PromQL range queries; failures are outcomes, never exceptions. */
export interface PrometheusRangeQuerier {
  /** `start`, `end` and `stepMs` in ms; `end` inclusive, as Prometheus. */
  queryRange(
    source: ResolvedMetricsSource,
    expr: string,
    start: number,
    end: number,
    stepMs: number,
  ): Promise<RangeOutcome>;
}

/** The HTTP API client (`POST /api/v1/query_range`, form-encoded). */
export function createPrometheusRangeQuerier(fetchImpl: typeof fetch = fetch): PrometheusRangeQuerier {
  return {
    async queryRange(source, expr, start, end, stepMs) {
      const answer = await callPrometheusApi(fetchImpl, source, '/api/v1/query_range', {
        query: expr,
        start: (start / 1000).toFixed(3),
        end: (end / 1000).toFixed(3),
        step: (stepMs / 1000).toFixed(3),
      });
      return answer.ok ? readMatrix(answer.data) : answer;
    },
  };
}

function readMatrix(data: { resultType?: string; result?: unknown }): RangeOutcome {
  if (data.resultType !== 'matrix' || !Array.isArray(data.result))
    return {
      ok: false,
      reason: BaselineReason.QueryFailed,
      message: `the range query returns a ${data.resultType ?? 'unknown'} result; a baseline needs a range of series`,
    };
  const series: RangeSeries[] = [];
  for (const item of data.result as { metric?: Record<string, string>; values?: [number, string][] }[]) {
    const pairs = item.values ?? [];
    const times = new Array<number>(pairs.length);
    const values = new Array<number>(pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      times[i] = Math.round(pairs[i]![0] * 1000);
      values[i] = Number(pairs[i]![1]); // "NaN", "+Inf" parse; the monitor treats them as gaps
    }
    series.push({ labels: { ...item.metric }, times, values });
  }
  return { ok: true, series };
}

/**
 * Reads [start, end] in pieces of at most `maxPoints` steps (Prometheus refuses more than 11,000 points
 * per series in one query), and joins each series' pieces. The first failure ends the read.
 */
export async function queryRangeInPieces(
  querier: PrometheusRangeQuerier,
  source: ResolvedMetricsSource,
  expr: string,
  start: number,
  end: number,
  stepMs: number,
  maxPoints: number,
): Promise<RangeOutcome> {
  const joined = new Map<string, RangeSeries>();
  for (let from = start; from <= end; from += maxPoints * stepMs) {
    const to = Math.min(end, from + (maxPoints - 1) * stepMs);
    const piece = await querier.queryRange(source, expr, from, to, stepMs);
    if (!piece.ok) return piece;
    for (const series of piece.series) {
      const key = seriesKey(series.labels);
      const existing = joined.get(key);
      if (!existing) joined.set(key, series);
      else {
        existing.times.push(...series.times);
        existing.values.push(...series.values);
      }
    }
  }
  return { ok: true, series: [...joined.values()] };
}

/**
 * A series' stable identity: its labels sorted by name, in PromQL's selector form
 * (`{instance="a:9100",job="node"}`); the risk's check and the series API's `series` parameter.
 */
export function seriesKey(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((name) => `${name}=${JSON.stringify(labels[name])}`).join(',')}}`;
}
