import { Table, Tag } from 'antd';
import type { InventoryNamespace } from '@gantry/client';
import { inventoryKey } from '../../api/inventory';
import { ErrorAlert } from '../../components/error-alert';
import { LabelsTags } from '../../components/labels-tags';
import { LoadMore } from '../../components/load-more';
import { useInventory } from '../../hooks/use-inventory';

export function ClusterNamespacesTab({ team, cluster }: { team: string; cluster: string }) {
  const namespaces = useInventory('namespaces', { team, cluster });
  const items = (namespaces.data?.pages ?? []).flatMap((page) => page.items);
  return (
    <>
      <ErrorAlert error={namespaces.error} style={{ marginBottom: 16 }} />
      <Table<InventoryNamespace>
        rowKey={inventoryKey}
        size="middle"
        loading={namespaces.isPending}
        dataSource={items}
        pagination={false}
        data-testid="namespaces-table"
        locale={{ emptyText: 'No namespaces seen yet' }}
        columns={[
          { title: 'Name', dataIndex: 'name', render: (name: string) => <strong>{name}</strong> },
          {
            title: 'Phase',
            dataIndex: 'phase',
            width: 140,
            render: (phase: string) => <Tag color={phase === 'Active' ? 'success' : 'warning'}>{phase}</Tag>,
          },
          {
            title: 'Labels',
            dataIndex: 'labels',
            render: (labels: Record<string, string>) => <LabelsTags labels={labels} />,
          },
        ]}
      />
      <LoadMore
        shown={items.length}
        hasMore={namespaces.hasNextPage}
        loading={namespaces.isFetchingNextPage}
        onLoadMore={() => void namespaces.fetchNextPage()}
      />
    </>
  );
}
