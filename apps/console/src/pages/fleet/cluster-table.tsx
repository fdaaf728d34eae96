import { Table, Typography, type TableColumnsType } from 'antd';
import type { HTMLAttributes } from 'react';
import { Link } from 'react-router';
import type { Resource } from '@gantry/client';
import { ConditionTag } from '../../components/condition-tag';
import { LabelsTags } from '../../components/labels-tags';
import { PodPhaseTags } from '../../components/pod-phase-tags';
import { resourceKey } from '../../hooks/use-resource-list';
import { clusterCondition, clusterStatusOf } from '../../lib/cluster-health';
import type { GroupLabel } from '../../lib/fleet-groups';
import { clusterPath } from '../../lib/fleet-paths';

const conditionColumns = [
  { type: 'Ready', title: 'Ready' },
  { type: 'Connected', title: 'Connected' },
  { type: 'InventorySynced', title: 'Inventory' },
] as const;

/** The clusters of one group: health from the conditions, the rest from `status`. */
export function ClusterTable({
  clusters,
  groupedBy,
}: {
  clusters: readonly Resource[];
  groupedBy: GroupLabel;
}) {
  const columns: TableColumnsType<Resource> = [
    {
      title: 'Cluster',
      key: 'name',
      render: (_, cluster) => (
        <>
          <Link
            to={clusterPath(cluster.metadata.team ?? '', cluster.metadata.name)}
            style={{ fontWeight: 500 }}
          >
            {cluster.metadata.name}
          </Link>
          <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
            {cluster.metadata.team}
          </Typography.Text>
        </>
      ),
    },
    ...conditionColumns.map(({ type, title }) => ({
      title,
      key: type,
      width: 120,
      render: (_: unknown, cluster: Resource) => (
        <ConditionTag type={type} condition={clusterCondition(cluster, type)} />
      ),
    })),
    {
      title: 'Version',
      key: 'version',
      width: 100,
      render: (_, cluster) => clusterStatusOf(cluster).serverVersion ?? '—',
    },
    {
      title: 'Latency',
      key: 'latency',
      width: 90,
      align: 'right',
      render: (_, cluster) => {
        const latency = clusterStatusOf(cluster).latencyMs;
        return latency === undefined ? '—' : `${Math.round(latency)} ms`;
      },
    },
    {
      title: 'Nodes',
      key: 'nodes',
      width: 90,
      align: 'right',
      render: (_, cluster) => {
        const inventory = clusterStatusOf(cluster).inventory;
        if (!inventory) return '—';
        const short = inventory.readyNodes < inventory.nodes;
        return (
          <span data-testid="cluster-nodes" style={short ? { color: '#cf222e', fontWeight: 500 } : undefined}>
            {inventory.readyNodes}/{inventory.nodes}
          </span>
        );
      },
    },
    {
      title: 'Pods',
      key: 'pods',
      render: (_, cluster) => <PodPhaseTags pods={clusterStatusOf(cluster).inventory?.pods} />,
    },
    {
      title: 'Labels',
      key: 'labels',
      render: (_, cluster) => {
        const { [groupedBy]: _grouped, ...others } = cluster.metadata.labels ?? {};
        return <LabelsTags labels={others} />;
      },
    },
  ];
  return (
    <Table<Resource>
      rowKey={resourceKey}
      size="middle"
      dataSource={[...clusters]}
      columns={columns}
      pagination={false}
      onRow={(cluster) =>
        ({
          'data-cluster': `${cluster.metadata.team ?? ''}/${cluster.metadata.name}`,
        }) as HTMLAttributes<HTMLElement>
      }
    />
  );
}
