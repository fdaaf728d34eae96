import { useQuery } from '@tanstack/react-query';
import {
  Card,
  Empty,
  Flex,
  Segmented,
  Select,
  Statistic,
  Table,
  Typography,
  type TableColumnsType,
} from 'antd';
import { useMemo } from 'react';
import { useSearchParams } from 'react-router';
import type { HealthStatsGroup, StatsDimensionName } from '@gantry/client';
import { getHealthStats } from '../../api/health';
import { EChart } from '../../components/echart';
import { ErrorAlert } from '../../components/error-alert';
import { formatTime } from '../../lib/format';
import { formatAvailability, formatDuration, groupLabel, statsChartOption } from '../../lib/health-charts';

const DAY = 86_400_000;
const ranges = [
  { value: 1, label: '24 hours' },
  { value: 7, label: '7 days' },
  { value: 30, label: '30 days' },
  { value: 90, label: '90 days' },
];
const dimensions: { value: StatsDimensionName; label: string }[] = [
  { value: 'application', label: 'application' },
  { value: 'cluster', label: 'cluster' },
  { value: 'class', label: 'class (level, else severity)' },
  { value: 'team', label: 'team' },
];

/**
 * A team's failure statistics over a range, grouped by application, cluster, class or team: counts, mean
 * times to detect, acknowledge and resolve, mean time between failures and availability, computed by the
 * server (ADR 0023); the mean times per group as a bar chart.
 */
export function StatsTab({ team }: { team: string }) {
  // The range and the dimension are in the address (`?days=7&by=class`), so that a view can be shared.
  const [params, setParams] = useSearchParams();
  const days = ranges.find((range) => String(range.value) === params.get('days'))?.value ?? 30;
  const by = dimensions.find((dimension) => dimension.value === params.get('by'))?.value ?? 'application';
  const set = (name: string, value: string) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      next.set(name, value);
      return next;
    });
  const setDays = (value: number) => set('days', String(value));
  const setBy = (value: StatsDimensionName) => set('by', value);
  // The range ends at the next whole minute after the tab opened (the server clamps it to its now), so
  // that the query stays the same while the tab is open and still counts what opened a moment ago.
  const to = useMemo(() => new Date(Math.ceil((Date.now() + 1) / 60_000) * 60_000), []);
  const from = new Date(to.getTime() - days * DAY);
  const stats = useQuery({
    queryKey: ['health-stats', team, days, by, to.toISOString()],
    queryFn: ({ signal }) =>
      getHealthStats(team, { from: from.toISOString(), to: to.toISOString(), by }, signal),
  });
  const option = useMemo(() => (stats.data ? statsChartOption(stats.data) : undefined), [stats.data]);
  const columns: TableColumnsType<HealthStatsGroup> = [
    { title: by, key: 'key', render: (_, group) => groupLabel(group) },
    { title: 'Failures', key: 'failures', render: (_, group) => group.failures ?? '—' },
    { title: 'Acknowledged', key: 'acknowledged', render: (_, group) => group.acknowledged ?? '—' },
    { title: 'Resolved', key: 'resolved', render: (_, group) => group.resolved ?? '—' },
    { title: 'MTTD', key: 'mttd', render: (_, group) => formatDuration(group.mttdMs) },
    { title: 'MTTA', key: 'mtta', render: (_, group) => formatDuration(group.mttaMs) },
    { title: 'MTTR', key: 'mttr', render: (_, group) => formatDuration(group.mttrMs) },
    { title: 'MTBF', key: 'mtbf', render: (_, group) => formatDuration(group.mtbfMs) },
    { title: 'Downtime', key: 'downtime', render: (_, group) => formatDuration(group.downtimeMs) },
    {
      title: 'Availability',
      key: 'availability',
      render: (_, group) => formatAvailability(group.availability),
    },
  ];
  const total = stats.data?.total;
  return (
    <>
      <Flex gap={16} align="center" wrap style={{ marginBottom: 16 }}>
        <Segmented<number> options={ranges} value={days} onChange={setDays} data-testid="stats-range" />
        <Flex gap={8} align="center">
          <Typography.Text type="secondary">by</Typography.Text>
          <Select<StatsDimensionName>
            style={{ width: 220 }}
            value={by}
            onChange={setBy}
            options={dimensions}
            data-testid="stats-by"
          />
        </Flex>
        {stats.data && (
          <Typography.Text type="secondary">
            {formatTime(stats.data.from)} – {formatTime(stats.data.to)}
          </Typography.Text>
        )}
      </Flex>
      <ErrorAlert error={stats.error} style={{ marginBottom: 16 }} />
      {total && (
        <Flex gap={32} wrap style={{ marginBottom: 16 }} data-testid="stats-total">
          <Statistic title="Failures" value={total.failures ?? 0} />
          <Statistic title="MTTD" value={formatDuration(total.mttdMs)} />
          <Statistic title="MTTA" value={formatDuration(total.mttaMs)} />
          <Statistic title="MTTR" value={formatDuration(total.mttrMs)} />
          <Statistic title="MTBF" value={formatDuration(total.mtbfMs)} />
          <Statistic title="Availability" value={formatAvailability(total.availability)} />
        </Flex>
      )}
      {stats.data && stats.data.groups.length === 0 ? (
        <Empty description="No failures in this range." />
      ) : (
        <>
          {option && (
            <Card size="small" title="Mean times (minutes)" style={{ marginBottom: 16 }}>
              <EChart option={option} height={280} testId="stats-chart" />
            </Card>
          )}
          <Table<HealthStatsGroup>
            rowKey="key"
            size="small"
            loading={stats.isPending}
            pagination={false}
            columns={columns}
            dataSource={stats.data?.groups ?? []}
            onRow={() => ({ 'data-testid': 'stats-row' }) as object}
          />
        </>
      )}
    </>
  );
}
