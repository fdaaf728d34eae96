import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Empty, Flex, Segmented, Tag, Typography } from 'antd';
import { Link, useSearchParams } from 'react-router';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { WatchBadge } from '../../components/watch-badge';
import { useFleetClusters } from '../../hooks/use-fleet-clusters';
import { isClusterReady } from '../../lib/cluster-health';
import { groupClusters, type GroupLabel } from '../../lib/fleet-groups';
import { addClusterPath } from '../../lib/fleet-paths';
import { fleetTotals } from '../../lib/fleet-totals';
import { UnavailablePage } from '../platform/unavailable-page';
import { ClusterTable } from './cluster-table';
import { FleetSummary } from './fleet-summary';

/** The fleet at a glance: every cluster's health, grouped by region or env, live through the watch. */
export function FleetOverviewPage() {
  const fleet = useFleetClusters();
  const [params, setParams] = useSearchParams();
  const groupBy: GroupLabel = params.get('group') === 'env' ? 'env' : 'region';

  if (fleet.isPending) return <PageLoading />;
  if (!fleet.kind && !fleet.error) return <UnavailablePage />;

  const groups = groupClusters(fleet.clusters, groupBy);
  return (
    <>
      <PageHeader
        title="Clusters"
        subtitle="Kubernetes clusters under management: health, versions and what runs in them."
        crumbs={[{ label: 'Delivery' }, { label: 'Clusters' }]}
        extra={
          <>
            <WatchBadge state={fleet.watch} />
            <Button
              icon={<ReloadOutlined />}
              onClick={() => void fleet.refetch()}
              loading={fleet.isRefetching}
            >
              Refresh
            </Button>
            <Link to={addClusterPath}>
              <Button type="primary" icon={<PlusOutlined />}>
                Add cluster
              </Button>
            </Link>
          </>
        }
      />
      <ErrorAlert error={fleet.error} style={{ marginBottom: 16 }} />
      <FleetSummary totals={fleetTotals(fleet.clusters)} />
      <Flex align="center" gap={12} style={{ marginBottom: 16 }}>
        <Typography.Text type="secondary">Group by</Typography.Text>
        <Segmented<GroupLabel>
          value={groupBy}
          onChange={(value) => setParams(value === 'region' ? {} : { group: value }, { replace: true })}
          options={[
            { value: 'region', label: 'Region' },
            { value: 'env', label: 'Env' },
          ]}
          data-testid="fleet-group-by"
        />
      </Flex>
      {groups.length === 0 && (
        <Card>
          <Empty description="No clusters yet">
            <Link to={addClusterPath}>
              <Button type="primary" icon={<PlusOutlined />}>
                Add cluster
              </Button>
            </Link>
          </Empty>
        </Card>
      )}
      <Flex vertical gap={16}>
        {groups.map((group) => {
          const ready = group.clusters.filter(isClusterReady).length;
          return (
            <Card
              key={group.value ?? ''}
              size="small"
              data-testid={`fleet-group-${group.value ?? 'none'}`}
              title={
                <Flex align="center" gap={8}>
                  <span>{group.value ? `${groupBy}: ${group.value}` : `No ${groupBy} label`}</span>
                  <Tag color={ready === group.clusters.length ? 'success' : 'warning'}>
                    {ready}/{group.clusters.length} ready
                  </Tag>
                </Flex>
              }
            >
              <ClusterTable clusters={group.clusters} groupedBy={groupBy} />
            </Card>
          );
        })}
      </Flex>
    </>
  );
}
