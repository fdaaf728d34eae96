import { useQuery } from '@tanstack/react-query';
import { Empty, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { Link } from 'react-router';
import type { InspectionSpec, InspectionStatus, Resource } from '@gantry/client';
import { inspectionKind } from '../../api/health';
import { listResources } from '../../api/resources';
import { ErrorAlert } from '../../components/error-alert';
import { formatAge, formatTime } from '../../lib/format';
import { healthPaths } from '../../lib/health';

interface InspectionResource extends Resource {
  spec: InspectionSpec;
  status?: InspectionStatus;
}

/** A team's Inspections with their schedule and last run; each opens its run history. */
export function InspectionsTab({ team }: { team: string }) {
  const inspections = useQuery({
    queryKey: ['resources', inspectionKind.plural, 'list', { team, labelSelector: '' }],
    queryFn: ({ signal }) => listResources(inspectionKind, { team, limit: 500, signal }),
    refetchInterval: 10_000,
  });
  const items = (inspections.data?.items ?? []) as InspectionResource[];
  const columns: TableColumnsType<InspectionResource> = [
    {
      title: 'Inspection',
      key: 'name',
      render: (_, item) => (
        <Link to={healthPaths.inspection(team, item.metadata.name)} data-testid="inspection-link">
          {item.metadata.name}
        </Link>
      ),
    },
    {
      title: 'Schedule',
      key: 'schedule',
      render: (_, item) => (
        <>
          <Typography.Text code>{item.spec.schedule.cron}</Typography.Text> {item.spec.schedule.timeZone}
          {item.spec.suspend && <Tag style={{ marginLeft: 8 }}>suspended</Tag>}
        </>
      ),
    },
    { title: 'Checks', key: 'checks', width: 80, render: (_, item) => item.spec.checks.length },
    {
      title: 'Last run',
      key: 'last',
      render: (_, item) => {
        const last = item.status?.lastRun;
        if (!last) return '—';
        return (
          <span title={formatTime(last.startedAt)}>
            {formatAge(last.startedAt)} ago · {last.state} · {last.findings} risks
            {last.failed > 0 ? ` · ${last.failed} checks failed` : ''}
          </span>
        );
      },
    },
    { title: 'Next', key: 'next', render: (_, item) => formatTime(item.status?.nextRunTime) },
  ];
  return (
    <>
      <ErrorAlert error={inspections.error} style={{ marginBottom: 16 }} />
      {!inspections.isPending && items.length === 0 && !inspections.error ? (
        <Empty description="No Inspections: apply one (gantry inspections templates)." />
      ) : (
        <Table<InspectionResource>
          rowKey={(item) => item.metadata.name}
          size="small"
          loading={inspections.isPending}
          pagination={false}
          columns={columns}
          dataSource={items}
        />
      )}
    </>
  );
}
