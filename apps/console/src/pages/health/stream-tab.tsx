import {
  Badge,
  Button,
  Form,
  Input,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
  type TableColumnsType,
} from 'antd';
import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { ExceptionSeverity, HealthStreamItem, HealthStreamKind } from '@gantry/client';
import type { HealthStreamFilter } from '../../api/health';
import { ErrorAlert } from '../../components/error-alert';
import { LoadMore } from '../../components/load-more';
import { formatAge, formatTime } from '../../lib/format';
import { exceptionSeverities, failureLevels, healthPaths } from '../../lib/health';
import {
  baselinesPath,
  streamFilterFromParams,
  streamFilterParams,
  streamKinds,
  streamRowText,
} from '../../lib/health-stream';
import { LevelTag, ScoreTag, SeverityTag } from './health-tags';
import { useHealthStream } from './use-health-stream';

const kindColors: Record<HealthStreamKind, string> = {
  failure: 'magenta',
  exception: 'red',
  alert: 'orange',
  risk: 'gold',
  event: 'blue',
};

const stateColors: Record<string, string> = {
  firing: 'red',
  open: 'red',
  acknowledged: 'orange',
  mitigated: 'gold',
  resolved: 'green',
  gone: 'green',
  merged: 'default',
  Warning: 'orange',
  Normal: 'default',
};

interface FilterForm {
  kinds?: HealthStreamKind[];
  severity?: ExceptionSeverity;
  level?: string[];
  entity?: string;
  cluster?: string;
  q?: string;
}

function toForm(filter: HealthStreamFilter): FilterForm {
  return {
    kinds: filter.kinds ? (filter.kinds.split(',') as HealthStreamKind[]) : [],
    ...(filter.severity ? { severity: filter.severity } : {}),
    level: filter.level ? filter.level.split(',') : [],
    entity: filter.entity ?? '',
    cluster: filter.cluster ?? '',
    q: filter.q ?? '',
  };
}

/** The page's address for the form's values: every filter set is a parameter, the others go. */
function toParams(values: FilterForm): HealthStreamFilter {
  const params = new URLSearchParams();
  if (values.kinds?.length) params.set('kinds', values.kinds.join(','));
  if (values.severity) params.set('severity', values.severity);
  if (values.level?.length) params.set('level', values.level.join(','));
  for (const name of ['entity', 'cluster', 'q'] as const)
    if (values[name]?.trim()) params.set(name, values[name]);
  return streamFilterFromParams(params);
}

function Severity({ item }: { item: HealthStreamItem }) {
  switch (item.kind) {
    case 'exception':
    case 'failure':
      return (
        <Space size={0}>
          <SeverityTag severity={item.exception.severity} />
          {item.exception.level && <LevelTag level={item.exception.level} />}
        </Space>
      );
    case 'alert':
      return item.alert.labels.severity ? <Tag>{item.alert.labels.severity}</Tag> : null;
    case 'risk':
      return <ScoreTag score={item.risk.score} />;
    case 'event':
      return null;
  }
}

function Title({ team, item }: { team: string; item: HealthStreamItem }) {
  const { title } = streamRowText(item);
  switch (item.kind) {
    case 'exception':
    case 'failure':
      return <Link to={healthPaths.exception(team, item.exception.id)}>{title}</Link>;
    case 'risk':
      return item.risk.source.kind === 'Inspection' ? (
        <Link to={healthPaths.inspection(team, item.risk.source.name)}>{title}</Link>
      ) : (
        <Link to={baselinesPath(team, item.risk.source.name, item.risk.source.check)}>{title}</Link>
      );
    case 'alert':
      return <Link to={`/alerts?team=${encodeURIComponent(team)}`}>{title}</Link>;
    case 'event':
      return <span>{title}</span>;
  }
}

/**
 * The live stream of a team's five health kinds (ADR 0027), newest first, following the server's cursor
 * every 2.5 s; the filters live in the address (`kinds`, `severity`, `level`, `entity`, `cluster`, `q`).
 */
export function StreamTab({ team }: { team: string }) {
  const [params, setParams] = useSearchParams();
  const filter = useMemo(() => streamFilterFromParams(params), [params]);
  const stream = useHealthStream(team, filter);

  const apply = (values: FilterForm) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      for (const [name, value] of Object.entries(streamFilterParams(toParams(values))))
        if (value === undefined) next.delete(name);
        else next.set(name, value);
      return next;
    });

  const columns: TableColumnsType<HealthStreamItem> = [
    {
      title: 'When',
      key: 'at',
      width: 110,
      render: (_, item) => (
        <Tooltip title={`${formatTime(item.at)} (record written ${formatTime(item.changedAt)})`}>
          {formatAge(item.at)} ago
        </Tooltip>
      ),
    },
    {
      title: 'Kind',
      key: 'kind',
      width: 100,
      render: (_, item) => <Tag color={kindColors[item.kind]}>{item.kind}</Tag>,
    },
    {
      title: 'State',
      key: 'state',
      width: 120,
      render: (_, item) => {
        const { state } = streamRowText(item);
        return (
          <Tag color={stateColors[state] ?? 'default'} data-testid="stream-state">
            {state}
          </Tag>
        );
      },
    },
    { title: 'Severity', key: 'severity', width: 130, render: (_, item) => <Severity item={item} /> },
    { title: 'What', key: 'title', render: (_, item) => <Title team={team} item={item} /> },
    {
      title: 'Concerns',
      key: 'concerns',
      render: (_, item) => streamRowText(item).concerns || <span style={{ color: '#bfbfbf' }}>—</span>,
    },
  ];

  return (
    <>
      <Form<FilterForm>
        key={params.toString()}
        layout="inline"
        style={{ marginBottom: 16, rowGap: 8 }}
        initialValues={toForm(filter)}
        onFinish={apply}
        data-testid="stream-filters"
      >
        <Form.Item name="kinds">
          <Select
            mode="multiple"
            placeholder="All kinds"
            allowClear
            style={{ minWidth: 160 }}
            data-testid="stream-filter-kinds"
            options={streamKinds.map((value) => ({ value, label: value }))}
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
            style={{ minWidth: 110 }}
            options={failureLevels.map((value) => ({ value, label: value }))}
          />
        </Form.Item>
        <Form.Item name="entity">
          <Input
            placeholder="Kind/name"
            style={{ width: 150 }}
            allowClear
            data-testid="stream-filter-entity"
          />
        </Form.Item>
        <Form.Item name="cluster">
          <Input placeholder="cluster" style={{ width: 120 }} allowClear />
        </Form.Item>
        <Form.Item name="q">
          <Input placeholder="text" style={{ width: 150 }} allowClear data-testid="stream-filter-text" />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" data-testid="stream-apply">
            Apply
          </Button>
        </Form.Item>
      </Form>
      <Space style={{ marginBottom: 8 }}>
        <Badge status={stream.error ? 'error' : 'processing'} />
        <Typography.Text type="secondary" data-testid="stream-status">
          {stream.error
            ? 'Not updating: the last read failed; trying again.'
            : `Live · updated ${stream.updatedAt ? formatTime(stream.updatedAt) : '…'}`}
        </Typography.Text>
      </Space>
      <ErrorAlert error={stream.error} style={{ marginBottom: 16 }} />
      <Table<HealthStreamItem>
        rowKey="key"
        size="small"
        loading={stream.loading}
        pagination={false}
        columns={columns}
        dataSource={stream.items}
        locale={{ emptyText: 'Nothing in the stream for these filters.' }}
        onRow={(item) =>
          ({ 'data-testid': 'stream-row', 'data-key': item.key, 'data-kind': item.kind }) as object
        }
      />
      <LoadMore
        shown={stream.items.length}
        hasMore={stream.hasOlder}
        loading={stream.loadingOlder}
        onLoadMore={stream.loadOlder}
      />
    </>
  );
}
