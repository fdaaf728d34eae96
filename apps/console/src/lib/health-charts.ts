import type { BaselineSeriesView, HealthStats, HealthStatsGroup } from '@gantry/client';
import type { ChartOption } from '../components/echart';

/*
 * The health center's charts as ECharts options, built from the API's answers without touching the DOM:
 * the mean times per group of a statistics answer, and a Baseline's series with its band and deviations.
 */

/** `45s`, `12m`, `3h 5m`, `2d 4h`; `—` when the figure is absent (nothing to average). */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days}d` : `${days}d ${hours % 24}h`;
}

/** `99.95%`; `—` when absent. */
export function formatAvailability(value: number | undefined): string {
  if (value === undefined) return '—';
  return `${(Math.floor(value * 10_000) / 100).toFixed(2)}%`;
}

/** A group's name as shown: the total is `all`, a group without a value `(none)`. */
export function groupLabel(group: HealthStatsGroup, isTotal = false): string {
  if (isTotal) return 'all';
  return group.key === '' ? '(none)' : group.key;
}

const minutes = (ms: number | undefined) => (ms === undefined ? null : Math.round((ms / 60_000) * 10) / 10);

/** MTTD, MTTA and MTTR per group, in minutes, as grouped bars. */
export function statsChartOption(stats: HealthStats): ChartOption {
  const groups = stats.groups;
  const series = (
    [
      ['MTTD', 'mttdMs'],
      ['MTTA', 'mttaMs'],
      ['MTTR', 'mttrMs'],
    ] as const
  ).map(([name, field]) => ({
    name,
    type: 'bar' as const,
    data: groups.map((group) => minutes(group[field])),
  }));
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: series.map((item) => item.name) },
    grid: { left: 48, right: 16, top: 40, bottom: 40 },
    xAxis: { type: 'category', data: groups.map((group) => groupLabel(group)) },
    yAxis: { type: 'value', name: 'minutes' },
    series,
  };
}

/**
 * A Baseline's series: the band as a filled area between its lower and upper edges (stacked: the lower
 * edge, then the width), the centre dashed, the values as a line, the deviating points marked, and the
 * deviation episodes shaded (an open one up to the end of the range).
 */
export function baselineChartOption(view: BaselineSeriesView): ChartOption {
  const lower = view.points.map((point) => [point.t, point.band ? point.band.lower : null]);
  const width = view.points.map((point) => [
    point.t,
    point.band ? point.band.upper - point.band.lower : null,
  ]);
  const centre = view.points.map((point) => [point.t, point.band ? point.band.centre : null]);
  const values = view.points.map((point) => [point.t, point.value]);
  const deviating = view.points.filter((point) => point.deviation).map((point) => [point.t, point.value]);
  return {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: ['value', 'centre', 'band', 'deviation'] },
    grid: { left: 56, right: 16, top: 40, bottom: 40 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', scale: true },
    series: [
      {
        name: 'band-lower',
        type: 'line',
        data: lower,
        stack: 'band',
        symbol: 'none',
        lineStyle: { opacity: 0 },
        tooltip: { show: false },
      },
      {
        name: 'band',
        type: 'line',
        data: width,
        stack: 'band',
        symbol: 'none',
        lineStyle: { opacity: 0 },
        areaStyle: { color: 'rgba(22, 119, 255, 0.15)' },
      },
      { name: 'centre', type: 'line', data: centre, symbol: 'none', lineStyle: { type: 'dashed', width: 1 } },
      {
        name: 'value',
        type: 'line',
        data: values,
        symbol: 'none',
        markArea: {
          itemStyle: { color: 'rgba(255, 77, 79, 0.12)' },
          data: view.deviations.map((episode) => [
            { xAxis: episode.start },
            { xAxis: episode.end ?? view.to },
          ]),
        },
      },
      { name: 'deviation', type: 'scatter', data: deviating, symbolSize: 8, itemStyle: { color: '#ff4d4f' } },
    ],
  };
}
