import { Form, Select, Table, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { WORKLOAD_KINDS, type InventoryWorkload } from '@gantry/client';
import { inventoryKey } from '../../api/inventory';
import { ErrorAlert } from '../../components/error-alert';
import { LoadMore } from '../../components/load-more';
import { useInventory } from '../../hooks/use-inventory';
import { formatAge, formatTime } from '../../lib/format';
import { workloadHealth, workloadProgress } from '../../lib/workload-health';

/** Deployments, StatefulSets, DaemonSets, Jobs and CronJobs, filtered on the server by kind and namespace. */
export function ClusterWorkloadsTab({ team, cluster }: { team: string; cluster: string }) {
  const [kind, setKind] = useState<string | undefined>();
  const [namespace, setNamespace] = useState<string | undefined>();
  const workloads = useInventory('workloads', { team, cluster, kind, namespace });
  const namespaces = useInventory('namespaces', { team, cluster }, 1000);
  const items = (workloads.data?.pages ?? []).flatMap((page) => page.items);
  const namespaceNames = (namespaces.data?.pages ?? []).flatMap((page) =>
    page.items.map((item) => item.name),
  );

  const columns: TableColumnsType<InventoryWorkload> = [
    { title: 'Kind', dataIndex: 'kind', width: 120, render: (value: string) => <Tag>{value}</Tag> },
    { title: 'Namespace', dataIndex: 'namespace' },
    { title: 'Name', dataIndex: 'name', render: (name: string) => <strong>{name}</strong> },
    {
      title: 'Ready',
      key: 'ready',
      render: (_, workload) => <span data-testid="workload-ready">{workloadProgress(workload)}</span>,
    },
    {
      title: 'Health',
      key: 'health',
      render: (_, workload) => {
        const health = workloadHealth(workload);
        return <Tag color={health.color}>{health.text}</Tag>;
      },
    },
    {
      title: 'Images',
      dataIndex: 'images',
      render: (images: string[]) =>
        images.length === 0 ? (
          '—'
        ) : (
          <Tooltip title={images.join(', ')}>
            <Typography.Text code style={{ fontSize: 12 }}>
              {images[0]}
            </Typography.Text>
            {images.length > 1 && <Typography.Text type="secondary"> +{images.length - 1}</Typography.Text>}
          </Tooltip>
        ),
    },
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
        <Form.Item label="Kind">
          <Select
            allowClear
            placeholder="All kinds"
            style={{ width: 170 }}
            value={kind}
            onChange={(value: string | undefined) => setKind(value)}
            options={WORKLOAD_KINDS.map((value) => ({ value, label: value }))}
            data-testid="workload-kind-filter"
          />
        </Form.Item>
        <Form.Item label="Namespace">
          <Select
            allowClear
            showSearch
            placeholder="All namespaces"
            style={{ width: 220 }}
            value={namespace}
            onChange={(value: string | undefined) => setNamespace(value)}
            options={namespaceNames.map((value) => ({ value, label: value }))}
            data-testid="workload-namespace-filter"
          />
        </Form.Item>
      </Form>
      <ErrorAlert error={workloads.error} style={{ marginBottom: 16 }} />
      <Table<InventoryWorkload>
        rowKey={inventoryKey}
        size="middle"
        loading={workloads.isPending}
        dataSource={items}
        columns={columns}
        pagination={false}
        data-testid="workloads-table"
        locale={{ emptyText: 'No workloads seen' }}
      />
      <LoadMore
        shown={items.length}
        hasMore={workloads.hasNextPage}
        loading={workloads.isFetchingNextPage}
        onLoadMore={() => void workloads.fetchNextPage()}
      />
    </>
  );
}
