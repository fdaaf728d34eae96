import { EditOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Tabs, Tag } from 'antd';
import { Link, useParams, useSearchParams } from 'react-router';
import { ConditionTag } from '../../components/condition-tag';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { useCluster } from '../../hooks/use-cluster';
import { clusterCondition, clusterConditionTypes } from '../../lib/cluster-health';
import { fleetPath } from '../../lib/fleet-paths';
import { EntityHealth } from '../health/entity-health';
import { ChangeTimeline } from '../../components/change-timeline';
import { ClusterEventsTab } from './cluster-events-tab';
import { ClusterNamespacesTab } from './cluster-namespaces-tab';
import { ClusterNodesTab } from './cluster-nodes-tab';
import { ClusterPodsTab } from './cluster-pods-tab';
import { ClusterSummary } from './cluster-summary';
import { ClusterWorkloadsTab } from './cluster-workloads-tab';

/** `/fleet/clusters/:team/:name`: the Cluster's status, and what Gantry sees inside it, tab by tab. */
export function ClusterDetailPage() {
  const { team = '', name = '' } = useParams();
  const cluster = useCluster(team, name);
  const [search, setSearch] = useSearchParams();
  const tab = search.get('tab') ?? 'nodes';
  const crumbs = [{ label: 'Delivery' }, { label: 'Clusters', to: fleetPath }, { label: name }];

  if (cluster.isPending) return <PageLoading />;
  if (!cluster.data) {
    return (
      <>
        <PageHeader title={name} crumbs={crumbs} />
        <ErrorAlert error={cluster.error ?? new Error('Not found')} />
      </>
    );
  }

  const scope = { team, cluster: name };
  return (
    <>
      <PageHeader
        title={
          <Flex align="center" gap={8} wrap>
            <span>{name}</span>
            <Tag color="blue">team: {team}</Tag>
          </Flex>
        }
        subtitle={
          <Flex gap={6} align="center" wrap data-testid="cluster-conditions">
            {clusterConditionTypes.map((type) => (
              <span key={type}>
                {type} <ConditionTag type={type} condition={clusterCondition(cluster.data, type)} />
              </span>
            ))}
          </Flex>
        }
        crumbs={crumbs}
        extra={
          <Link to={`/resources/clusters/${encodeURIComponent(team)}/${encodeURIComponent(name)}?tab=yaml`}>
            <Button icon={<EditOutlined />}>Edit YAML</Button>
          </Link>
        }
      />
      <ErrorAlert error={cluster.error} style={{ marginBottom: 16 }} />
      <ClusterSummary cluster={cluster.data} />
      <div style={{ marginBottom: 16 }}>
        <EntityHealth team={team} entity={{ kind: 'Cluster', name }} />
      </div>
      <Card styles={{ body: { paddingTop: 8 } }}>
        <Tabs
          activeKey={tab}
          destroyOnHidden
          onChange={(key) => setSearch(key === 'nodes' ? {} : { tab: key }, { replace: true })}
          items={[
            { key: 'nodes', label: 'Nodes', children: <ClusterNodesTab {...scope} /> },
            { key: 'workloads', label: 'Workloads', children: <ClusterWorkloadsTab {...scope} /> },
            { key: 'namespaces', label: 'Namespaces', children: <ClusterNamespacesTab {...scope} /> },
            { key: 'pods', label: 'Pods', children: <ClusterPodsTab {...scope} /> },
            { key: 'events', label: 'Events', children: <ClusterEventsTab {...scope} /> },
            {
              key: 'changes',
              label: 'Change timeline',
              children: <ChangeTimeline entity={{ kind: 'Cluster', team, name }} />,
            },
          ]}
        />
      </Card>
    </>
  );
}
