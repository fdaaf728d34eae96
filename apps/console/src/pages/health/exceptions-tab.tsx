import { useInfiniteQuery } from '@tanstack/react-query';
import {
  Button,
  Empty,
  Form,
  Input,
  Select,
  Space,
  Table,
  Tooltip,
  Typography,
  type TableColumnsType,
} from 'antd';
import { useState } from 'react';
import { Link } from 'react-router';
import type { ExceptionRecord, ExceptionSeverity } from '@gantry/client';
import { listExceptions, type ExceptionFilter } from '../../api/health';
import { ErrorAlert } from '../../components/error-alert';
import { LoadMore } from '../../components/load-more';
import { formatAge, formatTime } from '../../lib/format';
import {
  entityLabel,
  exceptionSeverities,
  exceptionStates,
  failureLevels,
  healthPaths,
} from '../../lib/health';
import { LevelTag, SeverityTag, StateTag } from './health-tags';
import { ReviewCard } from './review-card';

/** Exceptions and failures change as alerts come and controllers act: read them again this often. */
const POLL_MS = 5_000;

interface FilterForm {
  state?: string;
  severity?: ExceptionSeverity;
  level?: string[];
  entity?: string;
  assignee?: string;
}

function toFilter(values: FilterForm): ExceptionFilter {
  const entity = values.entity?.trim();
  const assignee = values.assignee?.trim();
  return {
    ...(values.state && values.state !== 'all' ? { state: values.state } : {}),
    ...(values.severity ? { severity: values.severity } : {}),
    ...(values.level && values.level.length > 0 ? { level: values.level.join(',') } : {}),
    ...(entity ? { entity } : {}),
    ...(assignee ? { assignee } : {}),
  };
}

/**
 * A team's exceptions (or its failures: the exceptions that reached a level), newest first, with the
 * filters of the list API. A failure's row opens its review, editable by operators.
 */
export function ExceptionsTab({ team, failuresOnly }: { team: string; failuresOnly: boolean }) {
  const initial: FilterForm = { state: failuresOnly ? 'all' : 'active' };
  const [filter, setFilter] = useState<ExceptionFilter>(toFilter(initial));
  const list = useInfiniteQuery({
    queryKey: ['exceptions', team, failuresOnly ? 'failures' : 'all', filter],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      listExceptions(team, filter, { failuresOnly, continueToken: pageParam, signal }),
    getNextPageParam: (last) => last.continue,
    refetchInterval: POLL_MS,
  });
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];

  const columns: TableColumnsType<ExceptionRecord> = [
    {
      title: 'Exception',
      key: 'title',
      render: (_, record) => (
        <Space direction="vertical" size={0}>
          <Link to={healthPaths.exception(team, record.id)} data-testid="exception-link">
            {record.title}
          </Link>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {record.id}
          </Typography.Text>
        </Space>
      ),
    },
    ...(failuresOnly
      ? [
          {
            title: 'Level',
            key: 'level',
            width: 80,
            render: (_: unknown, record: ExceptionRecord) => <LevelTag level={record.level} />,
          },
        ]
      : []),
    { title: 'State', key: 'state', width: 120, render: (_, record) => <StateTag state={record.state} /> },
    {
      title: 'Severity',
      key: 'severity',
      width: 100,
      render: (_, record) => <SeverityTag severity={record.severity} />,
    },
    ...(failuresOnly
      ? []
      : [
          {
            title: 'Level',
            key: 'level',
            width: 80,
            render: (_: unknown, record: ExceptionRecord) => <LevelTag level={record.level} />,
          },
        ]),
    {
      title: 'Concerns',
      key: 'entities',
      render: (_, record) =>
        record.entities.length === 0 ? (
          <span style={{ color: '#bfbfbf' }}>—</span>
        ) : (
          <Typography.Text>
            {record.entities.slice(0, 3).map(entityLabel).join(', ')}
            {record.entities.length > 3 ? ` and ${record.entities.length - 3} more` : ''}
          </Typography.Text>
        ),
    },
    {
      title: 'Alerts',
      key: 'alerts',
      width: 90,
      render: (_, record) => (
        <Tooltip title="firing / ever joined">
          {record.firingAlertCount} / {record.alertCount}
        </Tooltip>
      ),
    },
    { title: 'Assignee', key: 'assignee', width: 120, render: (_, record) => record.assignee ?? '—' },
    {
      title: 'Opened',
      key: 'openedAt',
      width: 100,
      render: (_, record) => (
        <Tooltip title={formatTime(record.openedAt)}>{formatAge(record.openedAt)}</Tooltip>
      ),
    },
  ];

  return (
    <>
      <Form<FilterForm>
        layout="inline"
        style={{ marginBottom: 16, rowGap: 8 }}
        initialValues={initial}
        onFinish={(values) => setFilter(toFilter(values))}
        data-testid="exception-filters"
      >
        <Form.Item name="state">
          <Select
            style={{ width: 150 }}
            data-testid="exception-filter-state"
            options={[
              { value: 'active', label: 'active' },
              ...exceptionStates.map((state) => ({ value: state, label: state })),
              { value: 'all', label: 'all states' },
            ]}
          />
        </Form.Item>
        <Form.Item name="severity">
          <Select
            placeholder="Severity"
            allowClear
            style={{ width: 120 }}
            options={exceptionSeverities.map((value) => ({ value, label: value }))}
          />
        </Form.Item>
        <Form.Item name="level">
          <Select
            mode="multiple"
            placeholder="Level"
            allowClear
            style={{ minWidth: 120 }}
            options={failureLevels.map((value) => ({ value, label: value }))}
          />
        </Form.Item>
        <Form.Item name="entity">
          <Input placeholder="Kind/name, e.g. Node/w-3" style={{ width: 200 }} allowClear />
        </Form.Item>
        <Form.Item name="assignee">
          <Input placeholder="assignee" style={{ width: 130 }} allowClear />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit">
            Apply
          </Button>
        </Form.Item>
      </Form>
      <ErrorAlert error={list.error} style={{ marginBottom: 16 }} />
      {!list.isPending && items.length === 0 && !list.error ? (
        <Empty description={failuresOnly ? 'No failures.' : 'No exceptions.'} />
      ) : (
        <Table<ExceptionRecord>
          rowKey="id"
          size="small"
          loading={list.isPending}
          pagination={false}
          columns={columns}
          dataSource={items}
          onRow={(record) => ({ 'data-testid': `exception-row-${record.id}` }) as object}
          expandable={
            failuresOnly
              ? { expandedRowRender: (record) => <ReviewCard team={team} exception={record} /> }
              : undefined
          }
        />
      )}
      <LoadMore
        shown={items.length}
        hasMore={list.hasNextPage}
        loading={list.isFetchingNextPage}
        onLoadMore={() => void list.fetchNextPage()}
      />
    </>
  );
}
