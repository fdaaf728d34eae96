import { Table, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import { Link } from 'react-router';
import type { EventFilter } from '../api/events';
import type { EventRecord } from '@gantry/client';
import { useEvents } from '../hooks/use-events';
import { clusterPath, splitClusterId } from '../lib/fleet-paths';
import { formatAge, formatTime } from '../lib/format';
import { ErrorAlert } from './error-alert';
import { LoadMore } from './load-more';

const warningRow = { background: '#fff8e6' };

/**
 * Event records matching `filter`, newest first, Warnings highlighted: Gantry's own events (tagged
 * Gantry, with the user or controller that caused them) beside the clusters' Kubernetes Events.
 * `showCluster` adds the cluster column, `showNamespace={false}` drops the namespace one.
 */
export function EventsList({
  filter,
  showCluster = false,
  showNamespace = true,
  emptyText = 'No events match',
  testId = 'events-table',
}: {
  filter: EventFilter;
  showCluster?: boolean;
  showNamespace?: boolean;
  emptyText?: string;
  testId?: string;
}) {
  const events = useEvents(filter);
  const items = (events.data?.pages ?? []).flatMap((page) => page.items);

  const columns: TableColumnsType<EventRecord> = [
    {
      title: 'Last seen',
      dataIndex: 'lastSeen',
      width: 100,
      render: (time: string, event) => (
        <Tooltip title={`${formatTime(time)} (first ${formatTime(event.firstSeen)})`}>
          {formatAge(time)} ago
        </Tooltip>
      ),
    },
    {
      title: 'Type',
      dataIndex: 'type',
      width: 100,
      render: (type: string) => <Tag color={type === 'Warning' ? 'warning' : 'default'}>{type}</Tag>,
    },
    ...(showCluster
      ? [
          {
            title: 'Cluster',
            dataIndex: 'cluster',
            width: 150,
            render: (id: string) => {
              if (id === '') return '—';
              const { team, name } = splitClusterId(id);
              return <Link to={clusterPath(team, name, 'events')}>{id}</Link>;
            },
          },
        ]
      : []),
    ...(showNamespace
      ? [
          {
            title: 'Namespace',
            dataIndex: 'namespace',
            width: 140,
            render: (namespace: string) => namespace || '—',
          },
        ]
      : []),
    {
      title: 'Object',
      key: 'object',
      width: 280,
      render: (_, event) => (
        <span>
          <Typography.Text type="secondary">{event.objectKind}/</Typography.Text>
          {event.objectName}
        </span>
      ),
    },
    {
      title: 'Reason',
      dataIndex: 'reason',
      width: 170,
      render: (reason: string) => <strong>{reason}</strong>,
    },
    {
      title: 'Source',
      key: 'source',
      width: 170,
      render: (_, event) => (
        <span data-source={event.source}>
          <Tag color={event.source === 'gantry' ? 'blue' : 'default'}>
            {event.source === 'gantry' ? 'Gantry' : 'Kubernetes'}
          </Tag>
          {event.actor && <Typography.Text type="secondary">{event.actor}</Typography.Text>}
        </span>
      ),
    },
    { title: 'Message', dataIndex: 'message' },
    { title: 'Count', dataIndex: 'count', width: 70, align: 'right' },
  ];

  return (
    <>
      <ErrorAlert error={events.error} style={{ marginBottom: 16 }} />
      <Table<EventRecord>
        rowKey="id"
        size="small"
        loading={events.isPending}
        dataSource={items}
        columns={columns}
        pagination={false}
        data-testid={testId}
        locale={{ emptyText }}
        onRow={(event) => ({
          style: event.type === 'Warning' ? warningRow : undefined,
          'data-type': event.type,
          'data-reason': event.reason,
        })}
      />
      <LoadMore
        shown={items.length}
        hasMore={events.hasNextPage}
        loading={events.isFetchingNextPage}
        onLoadMore={() => void events.fetchNextPage()}
        testId="events-count"
      />
    </>
  );
}
