import type { BaselineRiskDetails, BaselinePoint } from '@gantry/model';
import type { EntityRef, RiskObservation } from '../ports.ts';
import { scoreOf, type ResolvedBaseline } from './baseline-spec.ts';
import type { RangeSeries } from './prometheus-range.ts';
import { seriesKey } from './prometheus-range.ts';
import { SeriesMonitor, type CheckedPoint } from './series-monitor.ts';

/** One series the evaluator follows: its monitor, and what was last told to the risk sink about it. */
export interface FollowedSeries {
  key: string;
  labels: Record<string, string>;
  monitor: SeriesMonitor;
  /** Whether the sink was last told that this series deviates. */
  reported: boolean;
}

/** The outcome of feeding one read into a Baseline's series. */
export interface FeedResult {
  /** Series beyond `maxSeries`, dropped (not followed). */
  dropped: number;
  /** Series gone quiet for longer than the gap guard: no longer followed (their risks close). */
  stale: FollowedSeries[];
}

/**
 * A Baseline's followed series: new points are fed in time order to each series' monitor (points already
 * seen are skipped, so an overlapping read is harmless); at most `maxSeries` series, the first by key.
 */
export class SeriesSet {
  readonly series = new Map<string, FollowedSeries>();

  constructor(readonly baseline: ResolvedBaseline) {}

  feed(read: RangeSeries[], now: number): FeedResult {
    const { maxSeries } = this.baseline;
    const incoming = read.map((series) => ({ key: seriesKey(series.labels), series }));
    incoming.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    let dropped = 0;
    for (const { key, series } of incoming) {
      let followed = this.series.get(key);
      if (!followed) {
        if (this.series.size >= maxSeries) {
          dropped += 1;
          continue;
        }
        followed = {
          key,
          labels: series.labels,
          monitor: new SeriesMonitor(this.baseline.detector),
          reported: false,
        };
        this.series.set(key, followed);
      }
      const { monitor } = followed;
      for (let i = 0; i < series.times.length; i++) monitor.push(series.times[i]!, series.values[i]!);
    }
    const stale: FollowedSeries[] = [];
    for (const followed of this.series.values()) {
      const quietFor = now - followed.monitor.lastTime;
      if (quietFor > this.baseline.detector.resetAfterGapMs) {
        stale.push(followed);
        this.series.delete(followed.key);
      }
    }
    return { dropped, stale };
  }

  deviating(): number {
    let count = 0;
    for (const followed of this.series.values()) if (followed.monitor.deviating) count += 1;
    return count;
  }
}

/** The risk a deviating series stands for, with what a console needs to draw it and its band. */
export function observationOf(
  name: string,
  baseline: ResolvedBaseline,
  followed: FollowedSeries,
): RiskObservation {
  const { monitor, labels } = followed;
  const degree = monitor.peakDegree();
  const points = monitor.recent();
  const last = [...points].reverse().find((point) => point.band !== undefined);
  const lastOutside = [...points].reverse().find((point) => point.deviation);
  const up = lastOutside?.band ? lastOutside.value > lastOutside.band.centre : true;
  const details: BaselineRiskDetails = {
    baseline: name,
    algorithm: baseline.detector.algorithm,
    series: labels,
    band: last?.band ?? { lower: monitor.lower, centre: monitor.centre, upper: monitor.upper },
    degree: Math.round(degree * 100) / 100,
    direction: up ? 'up' : 'down',
    since: new Date(monitor.deviatingSince).toISOString(),
    points: points.map(wirePoint),
  };
  return {
    key: followed.key,
    title: `${name}: ${followed.key} ${up ? 'above' : 'below'} its baseline (${details.degree}× the band)`,
    score: scoreOf(baseline.score, degree),
    entities: entitiesOf(baseline, labels),
    details: details as unknown as Record<string, unknown>,
  };
}

export function wirePoint(point: CheckedPoint): BaselinePoint {
  const wire: BaselinePoint = {
    t: new Date(point.t).toISOString(),
    value: point.value,
    deviation: point.deviation,
  };
  if (point.band) wire.band = { ...point.band };
  return wire;
}

function entitiesOf(baseline: ResolvedBaseline, labels: Record<string, string>): EntityRef[] {
  const entity = baseline.entity;
  const name = entity ? labels[entity.nameLabel] : undefined;
  if (!entity || !name) return [];
  const ref: EntityRef = { kind: entity.kind, name };
  const cluster = entity.clusterLabel ? labels[entity.clusterLabel] : undefined;
  const namespace = entity.namespaceLabel ? labels[entity.namespaceLabel] : undefined;
  if (cluster) ref.cluster = cluster;
  if (namespace) ref.namespace = namespace;
  return [ref];
}
