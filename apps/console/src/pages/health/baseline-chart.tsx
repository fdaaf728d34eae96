import { useQuery } from '@tanstack/react-query';
import { Card, Typography } from 'antd';
import { useMemo } from 'react';
import { getBaselineSeries } from '../../api/health';
import { EChart } from '../../components/echart';
import { ErrorAlert } from '../../components/error-alert';
import { formatTime } from '../../lib/format';
import { baselineChartOption } from '../../lib/health-charts';

/** A Baseline's series over its lookback with its band, the deviating points and the deviation episodes. */
export function BaselineChart({
  team,
  baseline,
  series,
}: {
  team: string;
  baseline: string;
  series: string;
}) {
  const view = useQuery({
    queryKey: ['baseline-series', team, baseline, series],
    queryFn: ({ signal }) => getBaselineSeries(team, baseline, series, signal),
  });
  const option = useMemo(() => (view.data ? baselineChartOption(view.data) : undefined), [view.data]);
  if (view.error) return <ErrorAlert error={view.error} />;
  if (!view.data || !option) return <Card loading size="small" />;
  return (
    <Card
      size="small"
      title={`Baseline ${baseline} · ${series}`}
      extra={
        <Typography.Text type="secondary">
          {view.data.algorithm} · step {view.data.stepSeconds}s · {formatTime(view.data.from)} –{' '}
          {formatTime(view.data.to)} · {view.data.deviating ? 'deviating now' : 'within its band now'}
        </Typography.Text>
      }
    >
      <EChart option={option} height={300} testId="baseline-chart" />
    </Card>
  );
}
