import { Form, Input, Select, Table, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router';
import type { InventoryNode } from '@gantry/client';
import { inventoryKey } from '../../api/inventory';
import { ErrorAlert } from '../../components/error-alert';
import { LoadMore } from '../../components/load-more';
import { NodeStatusTags } from '../../components/node-status-tags';
import { useInventory } from '../../hooks/use-inventory';
import { nodePath } from '../../lib/fleet-paths';
import { formatAge, formatTime } from '../../lib/format';
import { matchesNodeFilter, type NodeFilter, type NodeStatusFilter } from '../../lib/node-filter';
import { nodeRegion, nodeRoles, nodeZone } from '../../lib/node-labels';
import { formatBytes, formatCpu } from '../../lib/quantity';

const statusOptions: { value: NodeStatusFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'Ready', label: 'Ready' },
  { value: 'NotReady', label: 'NotReady' },
  { value: 'SchedulingDisabled', label: 'SchedulingDisabled' },
];

/** The cluster's nodes as last seen; the filters apply to the pages loaded so far. */
export function ClusterNodesTab({ team, cluster }: { team: string; cluster: string }) {
  const nodes = useInventory('nodes', { team, cluster });
  const [filter, setFilter] = useState<NodeFilter>({ status: 'all', labels: '', name: '' });
  const loaded = (nodes.data?.pages ?? []).flatMap((page) => page.items);
  const items = loaded.filter((node) => matchesNodeFilter(node, filter));
  const filtered = items.length !== loaded.length;

  const columns: TableColumnsType<InventoryNode> = [
    {
      title: 'Name',
      dataIndex: 'name',
      render: (name: string) => (
        <Link to={nodePath(team, cluster, name)} style={{ fontWeight: 500 }}>
          {name}
        </Link>
      ),
      sorter: (a, b) => a.name.localeCompare(b.name),
    },
    {
      title: 'Status',
      key: 'status',
      render: (_, node) => <NodeStatusTags ready={node.ready} unschedulable={node.unschedulable} />,
    },
    {
      title: 'Roles',
      key: 'roles',
      render: (_, node) => {
        const roles = nodeRoles(node.labels);
        return roles.length ? roles.map((role) => <Tag key={role}>{role}</Tag>) : '—';
      },
    },
    {
      title: 'Zone',
      key: 'zone',
      render: (_, node) => (
        <>
          {nodeZone(node.labels) ?? '—'}
          <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
            {nodeRegion(node.labels)}
          </Typography.Text>
        </>
      ),
    },
    {
      title: 'CPU',
      key: 'cpu',
      align: 'right',
      render: (_, node) => formatCpu(node.allocatable['cpu']),
    },
    {
      title: 'Memory',
      key: 'memory',
      align: 'right',
      render: (_, node) => formatBytes(node.allocatable['memory']),
    },
    { title: 'Kubelet', dataIndex: 'kubeletVersion', render: (version?: string) => version ?? '—' },
    {
      title: 'Age',
      dataIndex: 'createdAt',
      width: 80,
      render: (time?: string) => <Tooltip title={formatTime(time)}>{formatAge(time)}</Tooltip>,
    },
  ];

  return (
    <>
      <Form layout="inline" style={{ marginBottom: 16, rowGap: 8 }}>
        <Form.Item label="Status">
          <Select<NodeStatusFilter>
            value={filter.status}
            style={{ width: 190 }}
            options={statusOptions}
            onChange={(status) => setFilter({ ...filter, status })}
            data-testid="node-status-filter"
          />
        </Form.Item>
        <Form.Item label="Labels">
          <Input
            allowClear
            placeholder="zone=eu-west-1a, worker"
            style={{ width: 260 }}
            onChange={(event) => setFilter({ ...filter, labels: event.target.value })}
            aria-label="Label filter"
          />
        </Form.Item>
        <Form.Item label="Name">
          <Input
            allowClear
            placeholder="Search loaded names"
            style={{ width: 200 }}
            onChange={(event) => setFilter({ ...filter, name: event.target.value })}
            aria-label="Node name search"
          />
        </Form.Item>
      </Form>
      <ErrorAlert error={nodes.error} style={{ marginBottom: 16 }} />
      <Table<InventoryNode>
        rowKey={inventoryKey}
        size="middle"
        loading={nodes.isPending}
        dataSource={items}
        columns={columns}
        pagination={false}
        data-testid="nodes-table"
        locale={{ emptyText: filtered ? 'No loaded node matches the filters' : 'No nodes seen yet' }}
      />
      <LoadMore
        shown={items.length}
        note={filtered ? ` of ${loaded.length} loaded` : undefined}
        hasMore={nodes.hasNextPage}
        loading={nodes.isFetchingNextPage}
        onLoadMore={() => void nodes.fetchNextPage()}
        testId="nodes-count"
      />
    </>
  );
}
