import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Table, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import { useState, type HTMLAttributes } from 'react';
import { Link, useSearchParams } from 'react-router';
import { isApiError, type Resource } from '@gantry/client';
import type { KindInfo } from '../../api/types';
import { ErrorAlert } from '../../components/error-alert';
import { ConditionStatus, HealthTag } from '../../components/health-tag';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { ResourceFilters } from '../../components/resource-filters';
import { WatchBadge } from '../../components/watch-badge';
import { useKind } from '../../hooks/use-kinds';
import { resourceKey, useResourceList } from '../../hooks/use-resource-list';
import { useResourceWatch } from '../../hooks/use-resource-watch';
import { useTeamNames } from '../../hooks/use-team-names';
import { applicationView, targetCounts } from '../../lib/application-status';
import { applicationPath, newApplicationPath } from '../../lib/delivery-paths';
import { formatAge, formatTime } from '../../lib/format';
import { UnavailablePage } from '../platform/unavailable-page';

/** `/delivery/applications`: every application the caller can read, live through the watch. */
export function ApplicationsPage() {
  const { kind, isPending, error } = useKind('applications');
  if (isPending) return <PageLoading />;
  if (error) return <ErrorAlert error={error} />;
  if (!kind) return <UnavailablePage entryKey="applications" />;
  return <ApplicationList kind={kind} />;
}

const columns: TableColumnsType<Resource> = [
  {
    title: 'Application',
    key: 'name',
    render: (_, application) => (
      <Link
        to={applicationPath(application.metadata.team ?? '', application.metadata.name)}
        style={{ fontWeight: 500 }}
      >
        {application.metadata.name}
      </Link>
    ),
    sorter: (a, b) => a.metadata.name.localeCompare(b.metadata.name),
  },
  { title: 'Team', key: 'team', render: (_, application) => application.metadata.team ?? '—' },
  {
    title: 'Revision',
    key: 'revision',
    width: 110,
    render: (_, application) => {
      const { revision, latestRevision } = applicationView(application).status;
      if (revision === undefined) return <span style={{ color: '#bfbfbf' }}>—</span>;
      return (
        <Tooltip
          title={
            latestRevision !== undefined && latestRevision !== revision
              ? `latest recorded: v${latestRevision}`
              : undefined
          }
        >
          <span>
            v{revision}
            {latestRevision !== undefined && latestRevision !== revision && (
              <Typography.Text type="warning"> → v{latestRevision}</Typography.Text>
            )}
          </span>
        </Tooltip>
      );
    },
  },
  {
    title: 'Health',
    key: 'health',
    width: 120,
    render: (_, application) => <HealthTag health={applicationView(application).status.health} />,
  },
  {
    title: 'Ready',
    key: 'ready',
    render: (_, application) => <ConditionStatus condition={applicationView(application).ready} />,
  },
  {
    title: 'Targets',
    key: 'targets',
    width: 110,
    align: 'right',
    render: (_, application) => {
      const counts = targetCounts(applicationView(application));
      if (counts.total === 0) return <span style={{ color: '#bfbfbf' }}>0</span>;
      return (
        <Tooltip title={`${counts.applied} applied, ${counts.failing} failed or unreachable`}>
          <span data-testid="application-targets">
            {counts.total}
            {counts.failing > 0 && (
              <Tag color="error" style={{ marginInlineStart: 6, marginInlineEnd: 0 }}>
                {counts.failing} failing
              </Tag>
            )}
          </span>
        </Tooltip>
      );
    },
  },
  {
    title: 'Updated',
    key: 'updated',
    width: 100,
    render: (_, application) => {
      const time = application.metadata.updatedTimestamp ?? application.metadata.creationTimestamp;
      return <Tooltip title={formatTime(time)}>{time ? `${formatAge(time)} ago` : '—'}</Tooltip>;
    },
  },
];

function ApplicationList({ kind }: { kind: KindInfo }) {
  const [params, setParams] = useSearchParams();
  const team = params.get('team') ?? undefined;
  const labelSelector = params.get('labelSelector') ?? undefined;
  const [nameSearch, setNameSearch] = useState('');
  const teams = useTeamNames();
  const filter = { team, labelSelector };
  const list = useResourceList(kind, filter);
  const watch = useResourceWatch(kind, filter, list.data?.pages[0]?.metadata.resourceVersion);

  const setParam = (key: string, value: string | undefined): void => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  const needle = nameSearch.trim().toLowerCase();
  const items = (list.data?.pages ?? [])
    .flatMap((page) => page.items)
    .filter((item) => !needle || item.metadata.name.toLowerCase().includes(needle));
  const selectorRejected = labelSelector !== undefined && isApiError(list.error) && list.error.status === 400;

  return (
    <>
      <PageHeader
        title="Applications"
        subtitle="Components with traits, delivered to the clusters their topology selects."
        crumbs={[{ label: 'Delivery' }, { label: 'Applications' }]}
        extra={
          <>
            <WatchBadge state={watch} />
            <Button icon={<ReloadOutlined />} onClick={() => void list.refetch()} loading={list.isRefetching}>
              Refresh
            </Button>
            <Link to={newApplicationPath}>
              <Button type="primary" icon={<PlusOutlined />}>
                New application
              </Button>
            </Link>
          </>
        }
      />
      <Card>
        <ResourceFilters
          kind={kind}
          teams={teams}
          team={team}
          labelSelector={labelSelector}
          onTeam={(value) => setParam('team', value)}
          onLabelSelector={(value) => setParam('labelSelector', value)}
          onNameSearch={setNameSearch}
          listError={list.error}
        />
        {list.error && !selectorRejected && <ErrorAlert error={list.error} style={{ marginBottom: 16 }} />}
        <Table<Resource>
          rowKey={resourceKey}
          size="middle"
          loading={list.isPending && !selectorRejected}
          dataSource={items}
          columns={columns}
          pagination={false}
          data-testid="applications-table"
          locale={{ emptyText: 'No applications found' }}
          onRow={(application) =>
            ({
              'data-application': `${application.metadata.team ?? ''}/${application.metadata.name}`,
            }) as HTMLAttributes<HTMLElement>
          }
        />
        <Flex justify="space-between" align="center" style={{ marginTop: 16 }}>
          <Typography.Text type="secondary" data-testid="list-count">
            {items.length} shown{needle ? ' (name filter applied to loaded pages)' : ''}
          </Typography.Text>
          {list.hasNextPage && (
            <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
              Load more
            </Button>
          )}
        </Flex>
      </Card>
    </>
  );
}
