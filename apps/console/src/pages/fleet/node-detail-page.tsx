import { Card, Col, Empty, Flex, Row, Table, Tag } from 'antd';
import { useState } from 'react';
import { useParams } from 'react-router';
import type { DrainReport, InventoryNode, NodeTaint } from '@gantry/client';
import { ConditionsTable } from '../../components/conditions-table';
import { ErrorAlert } from '../../components/error-alert';
import { EventsList } from '../../components/events-list';
import { LabelsTags } from '../../components/labels-tags';
import { NodeStatusTags } from '../../components/node-status-tags';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { useInventoryNode } from '../../hooks/use-inventory-node';
import { clusterPath, fleetPath } from '../../lib/fleet-paths';
import { formatAge } from '../../lib/format';
import { nodeRoles, nodeZone } from '../../lib/node-labels';
import { DrainReportPanel } from './drain-report';
import { NodeActions } from './node-actions';
import { EntityHealth } from '../health/entity-health';
import { NodeHostsCard } from './node-hosts-card';
import { NodeResourcesTable } from './node-resources-table';

/** `/fleet/clusters/:team/:name/nodes/:node`: one node as the inventory saw it, and what can be done to it. */
export function NodeDetailPage() {
  const { team = '', name: cluster = '', node: nodeName = '' } = useParams();
  const nodeRef = { team, cluster, node: nodeName };
  const node = useInventoryNode(nodeRef);
  const [report, setReport] = useState<DrainReport | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const crumbs = [
    { label: 'Delivery' },
    { label: 'Clusters', to: fleetPath },
    { label: cluster, to: clusterPath(team, cluster) },
    { label: nodeName },
  ];

  if (node.isPending) return <PageLoading />;
  if (!node.data) {
    return (
      <>
        <PageHeader title={nodeName} crumbs={crumbs} />
        {node.error ? (
          <ErrorAlert error={node.error} />
        ) : (
          <Card>
            <Empty description={`Cluster ${team}/${cluster} has no node ${nodeName} in its inventory.`} />
          </Card>
        )}
      </>
    );
  }

  const data = node.data;
  return (
    <>
      <PageHeader
        title={
          <Flex align="center" gap={10} wrap>
            <span>{nodeName}</span>
            <NodeStatusTags ready={data.ready} unschedulable={data.unschedulable} />
          </Flex>
        }
        subtitle={<NodeFacts node={data} />}
        crumbs={crumbs}
        extra={<NodeActions nodeRef={nodeRef} node={data} onDrained={setReport} onError={setActionError} />}
      />
      <ErrorAlert error={actionError} style={{ marginBottom: 16 }} />
      {report && <DrainReportPanel report={report} onClose={() => setReport(null)} />}
      <Flex vertical gap={16}>
        <EntityHealth team={team} entity={{ kind: 'Node', name: nodeName, cluster }} />
        <Card title="Conditions" size="small">
          <ConditionsTable conditions={data.conditions} />
        </Card>
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={12}>
            <Card title="Capacity and allocatable" size="small" style={{ height: '100%' }}>
              <NodeResourcesTable node={data} />
            </Card>
          </Col>
          <Col xs={24} xl={12}>
            <Flex vertical gap={16} style={{ height: '100%' }}>
              <Card title="Taints" size="small">
                <TaintsTable taints={data.taints} />
              </Card>
              <Card title="Labels" size="small" style={{ flex: 1 }}>
                <LabelsTags labels={data.labels} />
              </Card>
              <NodeHostsCard team={team} cluster={cluster} node={nodeName} />
            </Flex>
          </Col>
        </Row>
        <Card title="Events" size="small">
          <EventsList
            filter={{ team, cluster, kind: 'Node', name: nodeName }}
            emptyText="No events about this node"
          />
        </Card>
      </Flex>
    </>
  );
}

function NodeFacts({ node }: { node: InventoryNode }) {
  const roles = nodeRoles(node.labels);
  const facts = [
    `roles: ${roles.length ? roles.join(', ') : 'none'}`,
    `zone: ${nodeZone(node.labels) ?? '—'}`,
    `kubelet ${node.kubeletVersion ?? '—'}`,
    `age ${formatAge(node.createdAt)}`,
  ];
  return (
    <span>
      {node.cluster} · {facts.join(' · ')}
    </span>
  );
}

function TaintsTable({ taints }: { taints: readonly NodeTaint[] }) {
  return (
    <Table<NodeTaint>
      size="small"
      rowKey={(taint) => `${taint.key}:${taint.effect}`}
      pagination={false}
      dataSource={[...taints]}
      locale={{ emptyText: 'No taints' }}
      columns={[
        { title: 'Key', dataIndex: 'key' },
        { title: 'Value', dataIndex: 'value', render: (value?: string) => value ?? '—' },
        { title: 'Effect', dataIndex: 'effect', render: (effect: string) => <Tag>{effect}</Tag> },
      ]}
    />
  );
}
