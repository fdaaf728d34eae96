import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Form, Input, Select, Table, Tag, Typography, Button, type TableColumnsType } from 'antd';
import { useState } from 'react';
import type { NotificationAttempt, NotificationRecord, NotificationState } from '@gantry/client';
import { getNotification, listNotifications, type NotificationFilter } from '../../api/alerts';
import { ErrorAlert } from '../../components/error-alert';
import { LoadMore } from '../../components/load-more';
import { formatTime } from '../../lib/format';

const stateColor: Record<NotificationState, string> = {
  pending: 'blue',
  sending: 'processing',
  delivered: 'green',
  failed: 'red',
  superseded: 'default',
};

const outcomeColor: Record<NotificationAttempt['outcome'], string> = {
  delivered: 'green',
  retryable: 'orange',
  permanent: 'red',
  interrupted: 'default',
};

/** How long a notification took from its creation to its delivery. */
function latency(notification: NotificationRecord): string {
  if (!notification.deliveredAt) return '—';
  const ms = Date.parse(notification.deliveredAt) - Date.parse(notification.createdAt);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function Attempts({ team, id }: { team: string; id: string }) {
  const detail = useQuery({
    queryKey: ['notification', team, id],
    queryFn: ({ signal }) => getNotification(team, id, signal),
  });
  if (detail.error) return <ErrorAlert error={detail.error} />;
  const columns: TableColumnsType<NotificationAttempt> = [
    { title: '#', key: 'attempt', width: 50, render: (_, attempt) => attempt.attempt },
    { title: 'At', key: 'at', width: 170, render: (_, attempt) => formatTime(attempt.at) },
    {
      title: 'Outcome',
      key: 'outcome',
      width: 110,
      render: (_, attempt) => <Tag color={outcomeColor[attempt.outcome]}>{attempt.outcome}</Tag>,
    },
    { title: 'Status', key: 'status', width: 70, render: (_, attempt) => attempt.statusCode ?? '—' },
    {
      title: 'Latency',
      key: 'latency',
      width: 90,
      render: (_, attempt) => `${Math.round(attempt.latencyMs)} ms`,
    },
    {
      title: 'Error',
      key: 'error',
      render: (_, attempt) =>
        attempt.error ? (
          <Typography.Text type="danger">
            {attempt.errorClass ? `${attempt.errorClass}: ` : ''}
            {attempt.error}
          </Typography.Text>
        ) : (
          (attempt.response ?? '—')
        ),
    },
    { title: 'Server', key: 'server', width: 140, render: (_, attempt) => attempt.server },
  ];
  return (
    <Table<NotificationAttempt>
      rowKey="attempt"
      size="small"
      loading={detail.isPending}
      pagination={false}
      columns={columns}
      dataSource={detail.data?.attempts ?? []}
      data-testid="notification-attempts"
    />
  );
}

/** A page of the delivery log, "Load more" for the next; each row expands to its attempts. */
export function NotificationsTable({ team, filter }: { team: string; filter: NotificationFilter }) {
  const log = useInfiniteQuery({
    queryKey: ['notifications', team, filter],
    queryFn: ({ pageParam, signal }) => listNotifications(team, filter, pageParam, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.continue,
    refetchInterval: 10_000,
  });
  const rows = log.data?.pages.flatMap((page) => page.items) ?? [];
  const columns: TableColumnsType<NotificationRecord> = [
    { title: 'Created', key: 'createdAt', width: 170, render: (_, n) => formatTime(n.createdAt) },
    { title: 'Channel', key: 'channel', width: 140, render: (_, n) => n.channel },
    {
      title: 'Message',
      key: 'status',
      width: 120,
      render: (_, n) => (
        <Tag color={n.status === 'firing' ? 'red' : 'green'}>
          {n.status} · {n.alerts}
        </Tag>
      ),
    },
    {
      title: 'State',
      key: 'state',
      width: 110,
      render: (_, n) => (
        <Tag color={stateColor[n.state]} data-testid="notification-state">
          {n.state}
        </Tag>
      ),
    },
    { title: 'Attempts', key: 'attempts', width: 90, render: (_, n) => n.attempts },
    { title: 'Latency', key: 'latency', width: 90, render: (_, n) => latency(n) },
    {
      title: 'Group',
      key: 'groupKey',
      render: (_, n) => (
        <Typography.Text type="secondary" ellipsis={{ tooltip: n.groupKey }} style={{ maxWidth: 320 }}>
          {n.groupKey}
        </Typography.Text>
      ),
    },
    {
      title: 'Last error',
      key: 'lastError',
      render: (_, n) => (n.lastError ? <Typography.Text type="danger">{n.lastError}</Typography.Text> : '—'),
    },
  ];
  return (
    <>
      <ErrorAlert error={log.error} style={{ marginBottom: 16 }} />
      <Table<NotificationRecord>
        rowKey="id"
        size="small"
        loading={log.isPending}
        pagination={false}
        columns={columns}
        dataSource={rows}
        expandable={{ expandedRowRender: (n) => <Attempts team={team} id={n.id} /> }}
        data-testid="notifications-table"
      />
      <LoadMore
        shown={rows.length}
        hasMore={log.hasNextPage}
        loading={log.isFetchingNextPage}
        onLoadMore={() => void log.fetchNextPage()}
      />
    </>
  );
}

/** The team's delivery log, filtered by channel and state. */
export function NotificationsTab({ team }: { team: string }) {
  const [filter, setFilter] = useState<NotificationFilter>({});
  return (
    <>
      <Form
        layout="inline"
        style={{ marginBottom: 16 }}
        onFinish={(values: { channel?: string; state?: NotificationState }) =>
          setFilter({
            ...(values.channel?.trim() ? { channel: values.channel.trim() } : {}),
            ...(values.state ? { state: values.state } : {}),
          })
        }
      >
        <Form.Item name="channel">
          <Input placeholder="channel" allowClear style={{ width: 160 }} />
        </Form.Item>
        <Form.Item name="state">
          <Select
            placeholder="State"
            allowClear
            style={{ width: 140 }}
            options={Object.keys(stateColor).map((state) => ({ value: state, label: state }))}
          />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit">
            Apply
          </Button>
        </Form.Item>
      </Form>
      <NotificationsTable team={team} filter={filter} />
    </>
  );
}
