import {
  ErrorCodes,
  GantryError,
  InputError,
  NotFoundError,
  type BaselineSeriesView,
  type BaselineSpec,
  type Resource,
} from '@gantry/model';
import type { ResourceRepository } from '@gantry/store';
import { MAX_POINTS_PER_QUERY, resolveBaseline } from './baseline-spec.ts';
import { resolveMetricsSource, type MetricsSecretReader as BaselineSecretReader } from '@gantry/alerts';
import {
  createPrometheusRangeQuerier,
  queryRangeInPieces,
  seriesKey,
  type PrometheusRangeQuerier,
} from './prometheus-range.ts';
import { SeriesMonitor } from './series-monitor.ts';
import { wirePoint } from './series-set.ts';

export interface BaselineSeriesReaderDeps {
  repository: Pick<ResourceRepository, 'get'>;
  secrets: BaselineSecretReader;
  now: () => number;
  /** Default: HTTP with the global fetch. */
  prometheus?: PrometheusRangeQuerier;
}

/** One series of a Baseline with its band and deviations, for the console. */
export interface BaselineSeriesReader {
  /** `baseline` has been read with the caller's rights already (so access is checked). */
  read(baseline: Resource, series: string): Promise<BaselineSeriesView>;
}

/**
 * Reads one series over the Baseline's lookback and checks it again from the start with the Baseline's
 * detector, on whichever server answers the request (the API is stateless; the evaluator's memory lives
 * on the leader only). The same points and options give the same bands, so what the console draws is what
 * the evaluator saw, except what the evaluator learned before the lookback while it led.
 */
export function createBaselineSeriesReader(deps: BaselineSeriesReaderDeps): BaselineSeriesReader {
  const prometheus = deps.prometheus ?? createPrometheusRangeQuerier();
  return {
    async read(resource, series) {
      const team = resource.metadata.team ?? '';
      const name = resource.metadata.name;
      const labels = parseSeriesKey(series);
      const resolved = resolveBaseline(resource.spec as BaselineSpec);
      if (!resolved.ok)
        throw new InputError(
          `Baseline ${name} is invalid: ${resolved.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
          resolved.errors,
        );
      const baseline = resolved.baseline;
      const source = await resolveMetricsSource(deps.repository, deps.secrets, team, baseline.source);
      if (!source.ok) throw sourceFailed(source.reason, source.message);
      const end = Math.floor(deps.now() / baseline.stepMs) * baseline.stepMs;
      const start = end - baseline.lookbackMs;
      const read = await queryRangeInPieces(
        prometheus,
        source.source,
        narrowToSeries(baseline.query, labels),
        start,
        end,
        baseline.stepMs,
        MAX_POINTS_PER_QUERY,
      );
      if (!read.ok) throw sourceFailed(read.reason, read.message);
      const found = read.series.find((candidate) => seriesKey(candidate.labels) === series);
      if (!found) throw new NotFoundError(`Baseline ${name} has no series ${series} in its lookback`);
      const monitor = new SeriesMonitor({ ...baseline.detector, recentPoints: 1 });
      const view: BaselineSeriesView = {
        team,
        baseline: name,
        series,
        labels: found.labels,
        algorithm: baseline.detector.algorithm,
        stepSeconds: baseline.stepMs / 1000,
        from: new Date(start).toISOString(),
        to: new Date(end).toISOString(),
        points: [],
        deviations: [],
        deviating: false,
      };
      for (let i = 0; i < found.times.length; i++) {
        const before = monitor.deviating;
        monitor.push(found.times[i]!, found.values[i]!);
        const point = monitor.recent()[0];
        if (point && point.t === found.times[i]) view.points.push(wirePoint(point));
        if (!before && monitor.deviating)
          view.deviations.push({ start: new Date(found.times[i]!).toISOString() });
        if (before && !monitor.deviating) {
          const open = view.deviations[view.deviations.length - 1];
          if (open) open.end = new Date(found.times[i]!).toISOString();
        }
      }
      view.deviating = monitor.deviating;
      return view;
    },
  };
}

function sourceFailed(reason: string, message: string): GantryError {
  return new GantryError(502, ErrorCodes.metricsSourceFailed, message, [{ path: reason, message }]);
}

/** The labels of a series key (`{a="x",b="y"}`, values JSON-quoted); refuses anything else. */
export function parseSeriesKey(key: string): Record<string, string> {
  const refuse = () =>
    new InputError(`series ${JSON.stringify(key)} is not a series key such as {job="api"}`, [
      { path: 'querystring/series', message: 'must be a label set as in a risk’s check' },
    ]);
  if (!key.startsWith('{') || !key.endsWith('}')) throw refuse();
  const labels: Record<string, string> = {};
  const pair = /([a-zA-Z_][a-zA-Z0-9_]*)=("(?:[^"\\]|\\.)*")(,|$)/gy;
  const body = key.slice(1, -1);
  pair.lastIndex = 0;
  while (pair.lastIndex < body.length) {
    const match = pair.exec(body);
    if (!match) throw refuse();
    try {
      labels[match[1]!] = JSON.parse(match[2]!) as string;
    } catch {
      throw refuse();
    }
  }
  if (seriesKey(labels) !== key) throw refuse();
  return labels;
}

/**
 * The Baseline's query narrowed to one series, so Prometheus returns it alone: `(<query>) and on(<its
 * labels>) <a one-sample vector carrying them>`. `__name__` is left out of the match (the key filters it).
 */
export function narrowToSeries(query: string, labels: Record<string, string>): string {
  const names = Object.keys(labels)
    .filter((name) => name !== '__name__')
    .sort();
  if (names.length === 0) return query;
  let selector = 'vector(1)';
  for (const name of names) {
    // label_replace expands `$1` in its replacement: a literal `$` is written `$$`.
    const value = labels[name]!.replaceAll('$', '$$$$');
    selector = `label_replace(${selector}, ${JSON.stringify(name)}, ${JSON.stringify(value)}, "", "")`;
  }
  return `(${query}) and on(${names.join(', ')}) ${selector}`;
}
