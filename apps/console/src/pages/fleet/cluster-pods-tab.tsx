import { Table, Tag, Typography, type TableColumnsType } from 'antd';
import type { InventoryPods } from '@gantry/client';
import { inventoryKey } from '../../api/inventory';
import { ErrorAlert } from '../../components/error-alert';
import { LoadMore } from '../../components/load-more';
import { phaseColor, sortPhases } from '../../lib/pod-phases';
import { useInventory } from '../../hooks/use-inventory';

const itemFields = new Set(['cluster', 'kind', 'namespace', 'name', 'updatedAt']);

/** The counts of one namespace's pods, by phase: the item's numeric fields. */
function phaseCounts(item: InventoryPods): Record<string, number> {
  return Object.fromEntries(
    Object.entries(item).filter(
      (entry): entry is [string, number] => !itemFields.has(entry[0]) && typeof entry[1] === 'number',
    ),
  );
}

/** Pods by phase per namespace: Gantry counts pods rather than keeping each one. */
export function ClusterPodsTab({ team, cluster }: { team: string; cluster: string }) {
  const pods = useInventory('pods', { team, cluster }, 500);
  const rows = (pods.data?.pages ?? [])
    .flatMap((page) => page.items)
    .map((item) => ({ item, counts: phaseCounts(item) }));
  const phases = sortPhases(rows.flatMap((row) => Object.keys(row.counts)));
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

  const columns: TableColumnsType<(typeof rows)[number]> = [
    { title: 'Namespace', key: 'namespace', render: (_, row) => <strong>{row.item.namespace}</strong> },
    ...phases.map((phase) => ({
      title: <Tag color={phaseColor(phase)}>{phase}</Tag>,
      key: phase,
      align: 'right' as const,
      render: (_: unknown, row: (typeof rows)[number]) => row.counts[phase] ?? 0,
    })),
    { title: 'Total', key: 'total', align: 'right', render: (_, row) => total(row.counts) },
  ];

  return (
    <>
      <ErrorAlert error={pods.error} style={{ marginBottom: 16 }} />
      <Table
        rowKey={(row) => inventoryKey(row.item)}
        size="middle"
        loading={pods.isPending}
        dataSource={rows}
        columns={columns}
        pagination={false}
        data-testid="pods-table"
        locale={{ emptyText: 'No pods seen' }}
        summary={() =>
          rows.length > 1 && (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0}>
                <Typography.Text type="secondary">All namespaces</Typography.Text>
              </Table.Summary.Cell>
              {phases.map((phase, index) => (
                <Table.Summary.Cell key={phase} index={index + 1} align="right">
                  {rows.reduce((sum, row) => sum + (row.counts[phase] ?? 0), 0)}
                </Table.Summary.Cell>
              ))}
              <Table.Summary.Cell index={phases.length + 1} align="right">
                {rows.reduce((sum, row) => sum + total(row.counts), 0)}
              </Table.Summary.Cell>
            </Table.Summary.Row>
          )
        }
      />
      <LoadMore
        shown={rows.length}
        hasMore={pods.hasNextPage}
        loading={pods.isFetchingNextPage}
        onLoadMore={() => void pods.fetchNextPage()}
      />
    </>
  );
}
