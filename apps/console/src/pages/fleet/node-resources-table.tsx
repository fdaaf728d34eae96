import { Table } from 'antd';
import type { InventoryNode } from '@gantry/client';
import { formatResource } from '../../lib/quantity';

const firstResources = ['cpu', 'memory', 'pods', 'ephemeral-storage'];

/** Capacity next to what is allocatable to pods, resource by resource. */
export function NodeResourcesTable({ node }: { node: InventoryNode }) {
  const names = [...new Set([...Object.keys(node.capacity), ...Object.keys(node.allocatable)])].sort(
    (a, b) => {
      const rank = (name: string) => (firstResources.includes(name) ? firstResources.indexOf(name) : 99);
      return rank(a) - rank(b) || a.localeCompare(b);
    },
  );
  return (
    <Table
      size="small"
      rowKey="resource"
      pagination={false}
      data-testid="node-resources"
      dataSource={names.map((resource) => ({ resource }))}
      locale={{ emptyText: 'The node reports no resources' }}
      columns={[
        { title: 'Resource', dataIndex: 'resource' },
        {
          title: 'Capacity',
          key: 'capacity',
          align: 'right',
          render: (_, { resource }) => formatResource(resource, node.capacity[resource]),
        },
        {
          title: 'Allocatable',
          key: 'allocatable',
          align: 'right',
          render: (_, { resource }) => formatResource(resource, node.allocatable[resource]),
        },
      ]}
    />
  );
}
