import { Table, Tag, Tooltip } from 'antd';
import type { Condition } from '../api/types';
import { formatAge, formatTime } from '../lib/format';

const statusColors: Record<string, string> = { True: 'success', False: 'error', Unknown: 'default' };

export function ConditionsTable({ conditions }: { conditions: readonly Condition[] }) {
  return (
    <Table<Condition>
      size="small"
      rowKey="type"
      pagination={false}
      dataSource={[...conditions]}
      locale={{ emptyText: 'No conditions reported yet' }}
      columns={[
        { title: 'Type', dataIndex: 'type', width: 140 },
        {
          title: 'Status',
          dataIndex: 'status',
          width: 100,
          render: (status: string) => <Tag color={statusColors[status] ?? 'default'}>{status}</Tag>,
        },
        { title: 'Reason', dataIndex: 'reason', width: 180, render: (reason?: string) => reason ?? '—' },
        { title: 'Message', dataIndex: 'message', render: (message?: string) => message ?? '—' },
        {
          title: 'Last transition',
          dataIndex: 'lastTransitionTime',
          width: 160,
          render: (time?: string) => (
            <Tooltip title={formatTime(time)}>{time ? `${formatAge(time)} ago` : '—'}</Tooltip>
          ),
        },
      ]}
    />
  );
}
