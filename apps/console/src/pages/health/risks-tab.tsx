import { useQuery } from '@tanstack/react-query';
import {
  Button,
  Card,
  Empty,
  Form,
  Input,
  InputNumber,
  Select,
  Table,
  Tag,
  Tooltip,
  type TableColumnsType,
} from 'antd';
import { lazy, Suspense, useState } from 'react';
import { Link } from 'react-router';
import type { Risk } from '@gantry/client';
import { listRisks, type RiskFilter } from '../../api/health';
import { ErrorAlert } from '../../components/error-alert';
import { formatAge, formatTime } from '../../lib/format';
import { entityLabel, healthPaths } from '../../lib/health';
import { ScoreTag } from './health-tags';

const POLL_MS = 10_000;

// A Baseline's chart (ECharts) loads when a row opens, not with the list.
const BaselineChart = lazy(async () => ({ default: (await import('./baseline-chart')).BaselineChart }));

interface FilterForm {
  state?: 'open' | 'gone' | 'all';
  source?: string;
  entity?: string;
  minScore?: number | null;
}

function toFilter(values: FilterForm): RiskFilter {
  const source = values.source?.trim();
  const entity = values.entity?.trim();
  return {
    state: values.state ?? 'open',
    ...(source ? { source } : {}),
    ...(entity ? { entity } : {}),
    ...(values.minScore !== undefined && values.minScore !== null ? { minScore: values.minScore } : {}),
  };
}

/** A team's risks, highest score first within the page the server gives (newest first). */
export function RisksTab({ team }: { team: string }) {
  const [filter, setFilter] = useState<RiskFilter>({ state: 'open' });
  const risks = useQuery({
    queryKey: ['risks', team, filter],
    queryFn: ({ signal }) => listRisks(team, filter, signal),
    refetchInterval: POLL_MS,
  });
  const columns: TableColumnsType<Risk> = [
    {
      title: 'Score',
      key: 'score',
      width: 80,
      sorter: (a, b) => a.score - b.score,
      defaultSortOrder: 'descend',
      render: (_, risk) => <ScoreTag score={risk.score} />,
    },
    { title: 'Risk', dataIndex: 'title', key: 'title' },
    {
      title: 'Source',
      key: 'source',
      render: (_, risk) =>
        risk.source.kind === 'Inspection' ? (
          <Link to={healthPaths.inspection(team, risk.source.name)}>
            Inspection {risk.source.name} / {risk.source.check}
          </Link>
        ) : (
          `${risk.source.kind} ${risk.source.name} / ${risk.source.check}`
        ),
    },
    {
      title: 'Concerns',
      key: 'entities',
      render: (_, risk) => risk.entities.map(entityLabel).join(', ') || '—',
    },
    {
      title: 'State',
      key: 'state',
      width: 80,
      render: (_, risk) => <Tag color={risk.state === 'open' ? 'orange' : 'default'}>{risk.state}</Tag>,
    },
    {
      title: 'Seen',
      key: 'seen',
      width: 140,
      render: (_, risk) => (
        <Tooltip title={`first ${formatTime(risk.firstSeenAt)}, last ${formatTime(risk.lastSeenAt)}`}>
          since {formatAge(risk.firstSeenAt)}
        </Tooltip>
      ),
    },
  ];
  return (
    <>
      <Form<FilterForm>
        layout="inline"
        style={{ marginBottom: 16, rowGap: 8 }}
        initialValues={{ state: 'open' }}
        onFinish={(values) => setFilter(toFilter(values))}
      >
        <Form.Item name="state">
          <Select
            style={{ width: 110 }}
            options={[
              { value: 'open', label: 'open' },
              { value: 'gone', label: 'gone' },
              { value: 'all', label: 'all' },
            ]}
          />
        </Form.Item>
        <Form.Item name="source">
          <Input placeholder="Inspection/name[/check]" style={{ width: 220 }} allowClear />
        </Form.Item>
        <Form.Item name="entity">
          <Input placeholder="Kind/name" style={{ width: 160 }} allowClear />
        </Form.Item>
        <Form.Item name="minScore">
          <InputNumber placeholder="min score" min={0} max={100} style={{ width: 110 }} />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit">
            Apply
          </Button>
        </Form.Item>
      </Form>
      <ErrorAlert error={risks.error} style={{ marginBottom: 16 }} />
      {!risks.isPending && (risks.data?.items.length ?? 0) === 0 && !risks.error ? (
        <Empty description="No risks." />
      ) : (
        <Table<Risk>
          rowKey="id"
          size="small"
          loading={risks.isPending}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          columns={columns}
          dataSource={risks.data?.items ?? []}
          onRow={() => ({ 'data-testid': 'risk-row' }) as object}
          expandable={{
            rowExpandable: (risk) => risk.source.kind === 'Baseline',
            expandedRowRender: (risk) => (
              <Suspense fallback={<Card loading size="small" />}>
                <BaselineChart team={team} baseline={risk.source.name} series={risk.source.check} />
              </Suspense>
            ),
          }}
        />
      )}
    </>
  );
}
