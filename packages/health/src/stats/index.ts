export {
  DEFAULT_STATS_RANGE_MS,
  MAX_STATS_RANGE_MS,
  StatsService,
  decodeStatsQuery,
  groupFigures,
  type StatsRequest,
  type StatsServiceDeps,
  type StatsSource,
} from './stats-service.ts';
