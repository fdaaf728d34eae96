import { Alert, Descriptions, Flex, Table, Typography } from 'antd';
import type { DrainReport, PodRef } from '@gantry/client';

type ReportedPod = PodRef & { reason?: string };

function PodList({ title, pods }: { title: string; pods: readonly ReportedPod[] }) {
  if (pods.length === 0) return null;
  const withReason = pods.some((pod) => pod.reason);
  return (
    <div>
      <Typography.Text strong>{title}</Typography.Text>
      <Table<ReportedPod>
        size="small"
        rowKey={(pod) => `${pod.namespace}/${pod.name}`}
        dataSource={[...pods]}
        pagination={false}
        columns={[
          { title: 'Namespace', dataIndex: 'namespace', width: 180 },
          { title: 'Pod', dataIndex: 'name' },
          ...(withReason ? [{ title: 'Reason', dataIndex: 'reason' }] : []),
        ]}
      />
    </div>
  );
}

/** What a drain did: evicted, remaining (with why), skipped, and whether it ran out of time. */
export function DrainReportPanel({ report, onClose }: { report: DrainReport; onClose: () => void }) {
  const complete = !report.timedOut && report.remaining.length === 0;
  const title = report.timedOut
    ? `Drain of ${report.node} timed out`
    : complete
      ? `${report.node} drained`
      : `${report.node} drained, with pods remaining`;
  return (
    <Alert
      type={complete ? 'success' : 'warning'}
      showIcon
      closable={{ onClose }}
      style={{ marginBottom: 16 }}
      data-testid="drain-report"
      title={title}
      description={
        <Flex vertical gap={12} style={{ marginTop: 8 }}>
          <Descriptions
            size="small"
            column={{ xs: 2, md: 5 }}
            items={[
              { key: 'cordoned', label: 'Cordoned', children: report.cordoned ? 'Yes' : 'No' },
              { key: 'evicted', label: 'Evicted', children: report.evicted.length },
              { key: 'remaining', label: 'Remaining', children: report.remaining.length },
              { key: 'skipped', label: 'Skipped', children: report.skipped.length },
              { key: 'timedOut', label: 'Timed out', children: report.timedOut ? 'Yes' : 'No' },
            ]}
          />
          {report.evicted.length + report.remaining.length + report.skipped.length === 0 && (
            <Typography.Text type="secondary">The node had no pods to evict.</Typography.Text>
          )}
          <PodList title="Evicted" pods={report.evicted} />
          <PodList title="Remaining" pods={report.remaining} />
          <PodList title="Skipped" pods={report.skipped} />
        </Flex>
      }
    />
  );
}
