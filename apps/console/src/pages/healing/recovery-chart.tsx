import { Card, Table } from 'antd';
import { useMemo } from 'react';
import type { HealingStats } from '@gantry/client';
import { EChart, type ChartOption } from '../../components/echart';

type Recovery = NonNullable<HealingStats['recovery']>;
type Figures = Recovery['withHealing'];

const minutes = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms / 6_000) / 10);
const label = (ms: number | undefined) => (ms === undefined ? '—' : `${minutes(ms)} min`);

/**
 * MTTR with and without healing (ADR 0041): the mean, p50 and p90 time to recovery of the exceptions a
 * run healed beside those resolved otherwise, as bars, and the same numbers in a table (what tests read).
 */
export function RecoveryChart({ recovery }: { recovery: Recovery }) {
  const rows: { key: string; who: string; figures: Figures }[] = [
    { key: 'healed', who: 'Healed automatically', figures: recovery.withHealing },
    { key: 'people', who: 'Resolved otherwise (people)', figures: recovery.withoutHealing },
  ];
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 24 },
      xAxis: { type: 'category', data: ['mean', 'p50', 'p90'] },
      yAxis: { type: 'value', name: 'minutes' },
      series: [
        {
          name: 'Healed automatically',
          type: 'bar',
          data: [recovery.withHealing.meanMs, recovery.withHealing.p50Ms, recovery.withHealing.p90Ms].map(
            (ms) => minutes(ms) ?? 0,
          ),
        },
        {
          name: 'Resolved otherwise',
          type: 'bar',
          data: [
            recovery.withoutHealing.meanMs,
            recovery.withoutHealing.p50Ms,
            recovery.withoutHealing.p90Ms,
          ].map((ms) => minutes(ms) ?? 0),
        },
      ],
    }),
    [recovery],
  );
  return (
    <Card size="small" title="MTTR with and without healing" style={{ minWidth: 420, flex: 1 }}>
      <EChart option={option} height={220} testId="healing-mttr-chart" />
      <Table
        data-testid="healing-mttr"
        size="small"
        rowKey="key"
        pagination={false}
        dataSource={rows}
        columns={[
          { title: 'Exceptions', dataIndex: 'who' },
          { title: 'Resolved', key: 'count', render: (_, row) => row.figures.count },
          { title: 'Mean', key: 'mean', render: (_, row) => label(row.figures.meanMs) },
          { title: 'p50', key: 'p50', render: (_, row) => label(row.figures.p50Ms) },
          { title: 'p90', key: 'p90', render: (_, row) => label(row.figures.p90Ms) },
        ]}
      />
    </Card>
  );
}
