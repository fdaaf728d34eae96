import { Card, Descriptions, Flex, Tag } from 'antd';
import type { Resource } from '@gantry/client';
import type { ClusterSpec } from '@gantry/client';
import { isRecord } from '../../api/normalize';
import { ConditionsTable } from '../../components/conditions-table';
import { LabelsTags } from '../../components/labels-tags';
import { PodPhaseTags } from '../../components/pod-phase-tags';
import { clusterStatusOf } from '../../lib/cluster-health';
import { conditionsOf } from '../../lib/conditions';

/** What the Cluster's status says: where it is, how it answers, what it holds, and its conditions. */
export function ClusterSummary({ cluster }: { cluster: Resource }) {
  const status = clusterStatusOf(cluster);
  const spec = (isRecord(cluster.spec) ? cluster.spec : {}) as Partial<ClusterSpec>;
  const inventory = status.inventory;
  return (
    <Card size="small" style={{ marginBottom: 16 }}>
      <Flex vertical gap={12}>
        <Descriptions
          size="small"
          column={{ xs: 1, md: 2, xl: 4 }}
          items={[
            { key: 'server', label: 'Server', children: <code>{status.server ?? '—'}</code> },
            { key: 'version', label: 'Kubernetes', children: status.serverVersion ?? '—' },
            {
              key: 'latency',
              label: 'Latency',
              children: status.latencyMs === undefined ? '—' : `${Math.round(status.latencyMs)} ms`,
            },
            {
              key: 'context',
              label: 'Context',
              children: (
                <>
                  {spec.context ?? 'current'}
                  {spec.paused && (
                    <Tag color="default" style={{ marginLeft: 8 }}>
                      paused
                    </Tag>
                  )}
                </>
              ),
            },
            {
              key: 'nodes',
              label: 'Nodes ready',
              children: inventory ? (
                <span data-testid="cluster-nodes">
                  {inventory.readyNodes}/{inventory.nodes}
                </span>
              ) : (
                '—'
              ),
            },
            { key: 'namespaces', label: 'Namespaces', children: inventory?.namespaces ?? '—' },
            { key: 'workloads', label: 'Workloads', children: inventory?.workloads ?? '—' },
            { key: 'pods', label: 'Pods', children: <PodPhaseTags pods={inventory?.pods} /> },
            {
              key: 'labels',
              label: 'Labels',
              span: 'filled',
              children: <LabelsTags labels={cluster.metadata.labels} />,
            },
          ]}
        />
        <ConditionsTable conditions={conditionsOf(cluster.status)} />
      </Flex>
    </Card>
  );
}
