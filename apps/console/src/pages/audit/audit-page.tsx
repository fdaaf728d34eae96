import { useInfiniteQuery } from '@tanstack/react-query';
import { Button, Card, Flex, Table, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { listAudit, type AuditFilter } from '../../api/audit';
import type { AuditEntry } from '../../api/types';
import { DiffView } from '../../components/diff-view';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { useKinds } from '../../hooks/use-kinds';
import { useTeamNames } from '../../hooks/use-team-names';
import { formatAge, formatTime } from '../../lib/format';
import { AuditFilters } from './audit-filters';

const actionColors: Record<string, string> = {
  create: 'green',
  update: 'blue',
  replace: 'blue',
  patch: 'cyan',
  delete: 'red',
  login: 'default',
};

function actionColor(action: string): string {
  const verb = Object.keys(actionColors).find((key) => action.toLowerCase().includes(key));
  return verb ? (actionColors[verb] ?? 'default') : 'default';
}

const auditPageSize = 50;

export function AuditPage() {
  const [filter, setFilter] = useState<AuditFilter>({});
  const kinds = useKinds();
  const teams = useTeamNames();
  const audit = useInfiniteQuery({
    queryKey: ['audit', filter],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => listAudit(filter, pageParam, auditPageSize),
    getNextPageParam: (last) => last.continue,
  });
  const entries = (audit.data?.pages ?? []).flatMap((page) => page.items);

  return (
    <>
      <PageHeader
        title="Audit log"
        subtitle="Every write through the API: who, what, when, and what it changed."
        crumbs={[{ label: 'Administration' }, { label: 'Audit log' }]}
        extra={
          <Button onClick={() => void audit.refetch()} loading={audit.isRefetching}>
            Refresh
          </Button>
        }
      />
      <Card>
        <AuditFilters kinds={(kinds.data ?? []).map((kind) => kind.kind)} teams={teams} onApply={setFilter} />
        <ErrorAlert error={audit.error} style={{ marginBottom: 16 }} />
        <Table<AuditEntry>
          rowKey="id"
          size="middle"
          loading={audit.isPending}
          dataSource={entries}
          pagination={false}
          data-testid="audit-table"
          locale={{ emptyText: 'No audit entries match' }}
          expandable={{
            // The log records what it does not know as null.
            expandedRowRender: (entry) => (
              <DiffView
                before={entry.before ?? undefined}
                after={entry.after ?? undefined}
                diff={entry.diff ?? undefined}
              />
            ),
            rowExpandable: (entry) => [entry.before, entry.after, entry.diff].some((part) => part != null),
          }}
          columns={[
            {
              title: 'Time',
              dataIndex: 'at',
              width: 200,
              render: (time: string) => (
                <Tooltip title={`${formatAge(time)} ago`}>{formatTime(time)}</Tooltip>
              ),
            },
            { title: 'Actor', dataIndex: 'actor', render: (actor: string) => <strong>{actor}</strong> },
            {
              title: 'Action',
              dataIndex: 'action',
              render: (action: string) => <Tag color={actionColor(action)}>{action}</Tag>,
            },
            { title: 'Kind', dataIndex: 'kind', render: (kind: string) => kind || '—' },
            { title: 'Team', dataIndex: 'team', render: (team: string) => team || '—' },
            { title: 'Name', dataIndex: 'name', render: (name: string) => name || '—' },
          ]}
        />
        <Flex justify="space-between" align="center" style={{ marginTop: 16 }}>
          <Typography.Text type="secondary" data-testid="audit-count">
            {entries.length} entries shown
          </Typography.Text>
          {audit.hasNextPage && (
            <Button onClick={() => void audit.fetchNextPage()} loading={audit.isFetchingNextPage}>
              Load more
            </Button>
          )}
        </Flex>
      </Card>
    </>
  );
}
