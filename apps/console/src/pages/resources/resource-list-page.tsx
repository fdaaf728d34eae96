import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Typography } from 'antd';
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { isApiError } from '@gantry/client';
import type { KindInfo } from '../../api/types';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { ResourceFilters } from '../../components/resource-filters';
import { ResourceTable } from '../../components/resource-table';
import { WatchBadge } from '../../components/watch-badge';
import { useKind } from '../../hooks/use-kinds';
import { useResourceList } from '../../hooks/use-resource-list';
import { useResourceWatch } from '../../hooks/use-resource-watch';
import { useTeamNames } from '../../hooks/use-team-names';
import { NotFoundPage } from '../not-found-page';

export function ResourceListPage() {
  const { plural } = useParams();
  const { kind, isPending, error } = useKind(plural);
  if (isPending) return <PageLoading />;
  if (error) return <ErrorAlert error={error} />;
  if (!kind) return <NotFoundPage />;
  return <ResourceList kind={kind} />;
}

/** The generic browser for one kind: filters in the URL, pages by `continue`, live through the watch. */
function ResourceList({ kind }: { kind: KindInfo }) {
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
        title={kind.kind === 'Team' ? 'Teams' : kind.plural.charAt(0).toUpperCase() + kind.plural.slice(1)}
        subtitle={
          <>
            <code>
              {kind.group}/{kind.version}
            </code>{' '}
            · {kind.kind} · {kind.scope === 'Global' ? 'global' : 'team-scoped'}
          </>
        }
        crumbs={[{ label: 'Resources', to: '/resources' }, { label: kind.kind }]}
        extra={
          <>
            <WatchBadge state={watch} />
            <Button icon={<ReloadOutlined />} onClick={() => void list.refetch()} loading={list.isRefetching}>
              Refresh
            </Button>
            <Link to={`/resources/${kind.plural}/new`}>
              <Button type="primary" icon={<PlusOutlined />}>
                Create {kind.kind}
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
        <ResourceTable kind={kind} items={items} loading={list.isPending && !selectorRejected} />
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
