import { authorize, readableTeams, type Caller } from '@gantry/identity';
import {
  InputError,
  STATS_METRICS,
  type HealthStats,
  type HealthStatsGroup,
  type HealthStatsQuery,
  type StatsDimensionName,
  type StatsMetricName,
} from '@gantry/model';
import type { StatsGroupSums, StatsRangeQuery } from '@gantry/store';

/** What the statistics read: the store's `HealthStatsRepository`. */
export interface StatsSource {
  aggregate(query: StatsRangeQuery): Promise<{ groups: StatsGroupSums[]; total: StatsGroupSums }>;
  /** Each resolved episode's time to repair, ascending (for `recovery`'s percentiles). */
  repairDurations?(query: StatsRangeQuery): Promise<number[]>;
}

/** Time to recovery of a set of episodes: the MTTR of `groupFigures` and its percentiles. */
export interface RecoveryFigures {
  /** Resolved episodes. */
  count: number;
  meanMs?: number;
  p50Ms?: number;
  p90Ms?: number;
}

/** The nearest-rank quantile of ascending values. */
function nearestRank(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export interface StatsServiceDeps {
  source: StatsSource;
  /** Now, in ms (the range ends there at the latest). */
  now: () => number;
}

const DAY = 86_400_000;
/** The default range: the 30 days before `to`. */
export const DEFAULT_STATS_RANGE_MS = 30 * DAY;
/** The longest range one call may ask for (about two years). */
export const MAX_STATS_RANGE_MS = 732 * DAY;

/** A resolved statistics request: the range checked, `to` no later than now. */
export interface StatsRequest {
  from: number;
  to: number;
  by: StatsDimensionName;
  metrics: readonly StatsMetricName[];
}

function time(value: string, name: 'from' | 'to'): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new InputError(`${name} is not an RFC 3339 time`, [
      { path: `querystring/${name}`, message: 'must be an RFC 3339 time' },
    ]);
  return ms;
}

/** Checks the API's query (400 with the parameter) and settles the defaults; `to` is clipped to now. */
export function decodeStatsQuery(query: HealthStatsQuery, now: number): StatsRequest {
  const to = Math.min(query.to === undefined ? now : time(query.to, 'to'), now);
  const from = query.from === undefined ? to - DEFAULT_STATS_RANGE_MS : time(query.from, 'from');
  if (from >= to)
    throw new InputError('from must be before to (and before now)', [
      { path: 'querystring/from', message: 'must be earlier than to and than now' },
    ]);
  if (to - from > MAX_STATS_RANGE_MS)
    throw new InputError('the range is longer than 732 days', [
      { path: 'querystring/from', message: 'the range may span 732 days at most' },
    ]);
  let metrics: StatsMetricName[] = [...STATS_METRICS];
  if (query.metrics !== undefined) {
    metrics = [];
    for (const name of query.metrics.split(',')) {
      if (!(STATS_METRICS as readonly string[]).includes(name))
        throw new InputError(`unknown metric ${name}`, [
          { path: 'querystring/metrics', message: `must be a list of ${STATS_METRICS.join(', ')}` },
        ]);
      if (!metrics.includes(name as StatsMetricName)) metrics.push(name as StatsMetricName);
    }
  }
  return { from, to, by: query.by ?? 'team', metrics };
}

/**
 * The figures of one group from its sums (ADR 0023): means over the episodes that have the times they
 * need, MTBF = (range − downtime) / failures, availability = 1 − downtime / range.
 */
export function groupFigures(
  sums: StatsGroupSums,
  rangeMs: number,
  metrics: readonly StatsMetricName[],
): HealthStatsGroup {
  const wants = (metric: StatsMetricName) => metrics.includes(metric);
  const mean = (sum: number, count: number) => (count > 0 ? Math.round(sum / count) : undefined);
  const downtime = Math.min(sums.downtimeMs, rangeMs);
  const figures: HealthStatsGroup = { key: sums.key };
  if (wants('count')) {
    figures.failures = sums.failures;
    figures.detected = sums.detected;
    figures.acknowledged = sums.acknowledged;
    figures.resolved = sums.resolved;
  }
  const mttd = mean(sums.detectMs, sums.detected);
  if (wants('mttd') && mttd !== undefined) figures.mttdMs = mttd;
  const mtta = mean(sums.acknowledgeMs, sums.acknowledged);
  if (wants('mtta') && mtta !== undefined) figures.mttaMs = mtta;
  const mttr = mean(sums.repairMs, sums.resolved);
  if (wants('mttr') && mttr !== undefined) figures.mttrMs = mttr;
  const mtbf = mean(rangeMs - downtime, sums.failures);
  if (wants('mtbf') && mtbf !== undefined) figures.mtbfMs = mtbf;
  if (wants('availability')) {
    figures.downtimeMs = downtime;
    figures.availability = 1 - downtime / rangeMs;
  }
  return figures;
}

/** Failure statistics of a team, or of every team for an admin (ADR 0023). */
export class StatsService {
  constructor(private readonly deps: StatsServiceDeps) {}

  /** A team's statistics; viewers may read them. */
  async team(caller: Caller, team: string, query: HealthStatsQuery): Promise<HealthStats> {
    authorize(caller.principal, 'read', team, `the statistics of team ${team}`);
    return this.compute([team], decodeStatsQuery(query, this.deps.now()));
  }

  /** The statistics of every team the caller may read, together (every team for a global admin). */
  async global(caller: Caller, query: HealthStatsQuery): Promise<HealthStats> {
    return this.compute(readableTeams(caller.principal), decodeStatsQuery(query, this.deps.now()));
  }

  /**
   * Time to recovery of a team's episodes detected in [from, to), restricted to (or without) some
   * exceptions (ADR 0041: MTTR with and without healing): the mean is the `mttr` figure of the same
   * aggregate, the percentiles are over the same episodes' repair times.
   */
  async recovery(
    team: string,
    from: string,
    to: string,
    exceptions: { include?: readonly string[]; exclude?: readonly string[] },
  ): Promise<RecoveryFigures> {
    const query = { teams: [team], by: 'team' as const, from, to, exceptions };
    const { total } = await this.deps.source.aggregate({
      ...query,
      downtime: false,
      acknowledgements: false,
    });
    const figures = groupFigures(total, Date.parse(to) - Date.parse(from), ['count', 'mttr']);
    const durations = (await this.deps.source.repairDurations?.(query)) ?? [];
    const p50 = nearestRank(durations, 0.5);
    const p90 = nearestRank(durations, 0.9);
    return {
      count: figures.resolved ?? 0,
      ...(figures.mttrMs !== undefined ? { meanMs: figures.mttrMs } : {}),
      ...(p50 !== undefined ? { p50Ms: p50 } : {}),
      ...(p90 !== undefined ? { p90Ms: p90 } : {}),
    };
  }

  /** The statistics of `teams` (every team when absent) for a decoded request. */
  async compute(teams: readonly string[] | undefined, request: StatsRequest): Promise<HealthStats> {
    const from = new Date(request.from).toISOString();
    const to = new Date(request.to).toISOString();
    const rangeMs = request.to - request.from;
    const { groups, total } = await this.deps.source.aggregate({
      ...(teams ? { teams } : {}),
      by: request.by,
      from,
      to,
      downtime: request.metrics.includes('mtbf') || request.metrics.includes('availability'),
      acknowledgements: request.metrics.includes('mtta') || request.metrics.includes('count'),
    });
    return {
      from,
      to,
      by: request.by,
      metrics: [...request.metrics],
      rangeMs,
      groups: groups.map((sums) => groupFigures(sums, rangeMs, request.metrics)),
      total: groupFigures(total, rangeMs, request.metrics),
    };
  }
}
