import { useQuery } from '@tanstack/react-query';
import { Button, Card, Empty, Flex, Space, Table, Typography, type TableColumnsType } from 'antd';
import { lazy, Suspense, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import type { BaselineSpec, BaselineStatus, Resource } from '@gantry/client';
import { baselineKind, listRisks } from '../../api/health';
import { listResources } from '../../api/resources';
import { ConditionTag } from '../../components/condition-tag';
import { ErrorAlert } from '../../components/error-alert';
import { conditionsOf } from '../../lib/conditions';
import { deviatingSeries } from '../../lib/health-stream';

// A series' chart (ECharts) loads when one is opened, not with the list.
const BaselineChart = lazy(async () => ({ default: (await import('./baseline-chart')).BaselineChart }));

const POLL_MS = 10_000;

interface BaselineResource extends Resource {
  spec: BaselineSpec;
  status?: BaselineStatus;
}

/**
 * A team's Baselines: source, query, state (its conditions), the series it watches and those deviating
 * now (its open risks); a deviating series opens its chart (`?baseline=&series=` in the address).
 */
export function BaselinesTab({ team }: { team: string }) {
  const [params, setParams] = useSearchParams();
  const open = params.get('baseline') ?? undefined;
  const openSeries = params.get('series') ?? undefined;
  const baselines = useQuery({
    queryKey: ['resources', baselineKind.plural, 'list', { team, labelSelector: '' }],
    queryFn: ({ signal }) => listResources(baselineKind, { team, limit: 500, signal }),
    refetchInterval: POLL_MS,
  });
  const risks = useQuery({
    queryKey: ['risks', team, { state: 'open', source: 'Baseline' }],
    queryFn: ({ signal }) => listRisks(team, { state: 'open', source: 'Baseline' }, signal),
    refetchInterval: POLL_MS,
  });
  const deviating = useMemo(() => deviatingSeries(risks.data?.items ?? []), [risks.data]);
  const items = (baselines.data?.items ?? []) as BaselineResource[];
  const select = (baseline: string | undefined, series?: string) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (baseline) next.set('baseline', baseline);
      else next.delete('baseline');
      if (series) next.set('series', series);
      else next.delete('series');
      return next;
    });

  const columns: TableColumnsType<BaselineResource> = [
    {
      title: 'Baseline',
      key: 'name',
      render: (_, item) => (
        <Space direction="vertical" size={0}>
          <Typography.Text strong>{item.metadata.name}</Typography.Text>
          {item.spec.description && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {item.spec.description}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    { title: 'Source', key: 'source', width: 140, render: (_, item) => item.spec.source.name },
    {
      title: 'Query',
      key: 'query',
      render: (_, item) => (
        <Typography.Text code ellipsis={{ tooltip: item.spec.query }} style={{ maxWidth: 320 }}>
          {item.spec.query}
        </Typography.Text>
      ),
    },
    {
      title: 'State',
      key: 'state',
      render: (_, item) => {
        const conditions = conditionsOf(item.status);
        return conditions.length === 0 ? (
          <ConditionTag type="Ready" condition={undefined} />
        ) : (
          <Flex gap={4} wrap>
            {conditions.map((condition) => (
              <ConditionTag key={condition.type} type={condition.type} condition={condition} />
            ))}
          </Flex>
        );
      },
    },
    {
      title: 'Series',
      key: 'series',
      width: 80,
      render: (_, item) => (
        <span data-testid="baseline-series-count">{item.status?.series?.checked ?? '—'}</span>
      ),
    },
    {
      title: 'Deviating now',
      key: 'deviating',
      width: 120,
      render: (_, item) => (
        <span data-testid="baseline-deviating-count">{deviating.get(item.metadata.name)?.length ?? 0}</span>
      ),
    },
  ];

  return (
    <>
      <ErrorAlert error={baselines.error ?? risks.error} style={{ marginBottom: 16 }} />
      {!baselines.isPending && items.length === 0 && !baselines.error ? (
        <Empty description="No Baselines in this team." />
      ) : (
        <Table<BaselineResource>
          rowKey={(item) => item.metadata.name}
          size="small"
          loading={baselines.isPending}
          pagination={false}
          columns={columns}
          dataSource={items}
          onRow={(item) => ({ 'data-testid': 'baseline-row', 'data-name': item.metadata.name }) as object}
          expandable={{
            expandedRowKeys: open ? [open] : [],
            onExpand: (expanded, item) => select(expanded ? item.metadata.name : undefined),
            expandedRowRender: (item) => {
              const series = deviating.get(item.metadata.name) ?? [];
              return (
                <Space direction="vertical" style={{ width: '100%' }}>
                  {series.length === 0 ? (
                    <Typography.Text type="secondary">No series deviates now.</Typography.Text>
                  ) : (
                    <Flex gap={8} wrap>
                      <Typography.Text type="secondary">Deviating:</Typography.Text>
                      {series.map((key) => (
                        <Button
                          key={key}
                          size="small"
                          type={openSeries === key ? 'primary' : 'default'}
                          data-testid="baseline-deviating-series"
                          onClick={() => select(item.metadata.name, key)}
                        >
                          {key}
                        </Button>
                      ))}
                    </Flex>
                  )}
                  {openSeries && open === item.metadata.name && (
                    <Suspense fallback={<Card loading size="small" />}>
                      <BaselineChart team={team} baseline={item.metadata.name} series={openSeries} />
                    </Suspense>
                  )}
                </Space>
              );
            },
          }}
        />
      )}
    </>
  );
}
