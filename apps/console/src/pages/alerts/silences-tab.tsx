import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Popconfirm, Segmented, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import type { GettableSilence, SilenceState } from '@gantry/client';
import { expireSilence, listSilences } from '../../api/alerts';
import { ErrorAlert } from '../../components/error-alert';
import { formatMatcher, silenceStateOrder } from '../../lib/alerts';
import { formatTime } from '../../lib/format';

const stateColor: Record<SilenceState, string> = { active: 'purple', pending: 'blue', expired: 'default' };

/** The team's silences (the Alertmanager API's view of its Silence objects), active first, with Expire. */
export function SilencesTab({ team }: { team: string }) {
  const [shown, setShown] = useState<SilenceState | 'all'>('all');
  const queryClient = useQueryClient();
  const silences = useQuery({
    queryKey: ['silences', team],
    queryFn: ({ signal }) => listSilences(team, signal),
    refetchInterval: 10_000,
  });
  const expire = useMutation({
    mutationFn: (id: string) => expireSilence(team, id),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['silences'] }),
  });
  const rows = [...(silences.data ?? [])]
    .filter((silence) => shown === 'all' || silence.status.state === shown)
    .sort(
      (a, b) =>
        silenceStateOrder[a.status.state] - silenceStateOrder[b.status.state] ||
        b.endsAt.localeCompare(a.endsAt),
    );
  const columns: TableColumnsType<GettableSilence> = [
    {
      title: 'State',
      key: 'state',
      width: 100,
      render: (_, silence) => <Tag color={stateColor[silence.status.state]}>{silence.status.state}</Tag>,
    },
    {
      title: 'Matchers',
      key: 'matchers',
      render: (_, silence) =>
        silence.matchers.map((matcher) => (
          <Tag key={formatMatcher(matcher)} style={{ marginBottom: 2 }}>
            {formatMatcher(matcher)}
          </Tag>
        )),
    },
    { title: 'Starts', key: 'startsAt', width: 170, render: (_, silence) => formatTime(silence.startsAt) },
    { title: 'Ends', key: 'endsAt', width: 170, render: (_, silence) => formatTime(silence.endsAt) },
    { title: 'Created by', key: 'createdBy', width: 130, render: (_, silence) => silence.createdBy },
    {
      title: 'Comment',
      key: 'comment',
      render: (_, silence) => <Typography.Text>{silence.comment}</Typography.Text>,
    },
    {
      title: '',
      key: 'actions',
      width: 100,
      render: (_, silence) =>
        silence.status.state !== 'expired' && (
          <Popconfirm title="Expire this silence now?" onConfirm={() => expire.mutate(silence.id)}>
            <Button size="small" danger loading={expire.isPending && expire.variables === silence.id}>
              Expire
            </Button>
          </Popconfirm>
        ),
    },
  ];
  return (
    <>
      <Segmented
        style={{ marginBottom: 16 }}
        value={shown}
        onChange={(value) => setShown(value as SilenceState | 'all')}
        options={[
          { value: 'all', label: 'All' },
          { value: 'active', label: 'Active' },
          { value: 'pending', label: 'Pending' },
          { value: 'expired', label: 'Expired' },
        ]}
      />
      <ErrorAlert error={silences.error ?? expire.error} style={{ marginBottom: 16 }} />
      <Table<GettableSilence>
        rowKey="id"
        size="small"
        loading={silences.isPending}
        columns={columns}
        dataSource={rows}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        data-testid="silences-table"
      />
    </>
  );
}
