import { PlayCircleOutlined } from '@ant-design/icons';
import {
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Flex,
  Row,
  Table,
  Tag,
  Tooltip,
  type TableColumnsType,
} from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import type { HostDisk } from '@gantry/client';
import { getHost, listHostJobRuns, type HostJobRun } from '../../api/hosts';
import { ErrorAlert } from '../../components/error-alert';
import { ChangeTimeline } from '../../components/change-timeline';
import { EventsList } from '../../components/events-list';
import { LabelsTags } from '../../components/labels-tags';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { fleetPollMs } from '../../hooks/fleet-poll';
import { nodePath } from '../../lib/fleet-paths';
import { formatAge, formatTime } from '../../lib/format';
import { formatBytes, hostsPath } from '../../lib/hosts';
import {
  formatDuration,
  jobRunPath,
  jobTemplatePath,
  jobTemplatesPath,
  targetStateStyles,
} from '../../lib/jobs';
import { RunStateTag } from '../jobs/job-runs-page';
import { HostStatusTag } from './host-status-tag';

/** How many of the team's newest runs the page looks through for this host's (the list has no host filter). */
const runsScanned = 50;
const mono = { fontFamily: 'ui-monospace, monospace', fontSize: 12.5 } as const;

const diskColumns: TableColumnsType<HostDisk> = [
  { title: 'Mount', key: 'mount', render: (_, disk) => <span style={mono}>{disk.mount}</span> },
  { title: 'Filesystem', key: 'filesystem', render: (_, disk) => disk.filesystem },
  { title: 'Size', key: 'size', align: 'right', render: (_, disk) => formatBytes(disk.sizeBytes) },
  { title: 'Used', key: 'used', align: 'right', render: (_, disk) => formatBytes(disk.usedBytes) },
  {
    title: 'Use',
    key: 'percent',
    align: 'right',
    render: (_, disk) =>
      disk.sizeBytes > 0 ? `${Math.round((disk.usedBytes / disk.sizeBytes) * 100)}%` : '—',
  },
];

function runColumns(host: string): TableColumnsType<HostJobRun> {
  return [
    {
      title: 'Run',
      key: 'id',
      render: (_, { run }) => (
        <Link to={jobRunPath(run.id, host)} style={mono} data-testid="host-run-link">
          {run.id}
        </Link>
      ),
    },
    { title: 'Run state', key: 'state', render: (_, { run }) => <RunStateTag run={run} /> },
    {
      title: 'On this host',
      key: 'target',
      render: (_, { target }) => (
        <Tooltip title={target.message || target.reason}>
          <Tag
            style={{
              color: targetStateStyles[target.state].color,
              background: targetStateStyles[target.state].background,
              borderColor: 'transparent',
            }}
            data-testid="host-target-state"
          >
            {targetStateStyles[target.state].label}
            {target.exitCode !== null && target.exitCode !== 0 ? ` (exit ${target.exitCode})` : ''}
          </Tag>
        </Tooltip>
      ),
    },
    {
      title: 'Template',
      key: 'template',
      render: (_, { run }) =>
        run.template ? (
          <Link to={jobTemplatePath(run.team, run.template)}>{run.template}</Link>
        ) : (
          <Tag color="warning">ad-hoc script</Tag>
        ),
    },
    {
      title: 'By',
      key: 'createdBy',
      render: (_, { run }) => (run.schedule ? `schedule ${run.schedule}` : run.createdBy),
    },
    {
      title: 'When',
      key: 'createdAt',
      render: (_, { run }) => (
        <Tooltip title={formatTime(run.createdAt)}>{formatAge(run.createdAt)} ago</Tooltip>
      ),
    },
    {
      title: 'Took',
      key: 'took',
      render: (_, { target }) =>
        target.startedAt ? formatDuration(target.startedAt, target.finishedAt) : '—',
    },
  ];
}

/** `/hosts/teams/:team/:name`: one host's facts in full, labels, its node, its job runs and events. */
export function HostPage() {
  const { team = '', name = '' } = useParams();
  const host = useQuery({
    queryKey: ['hosts', team, 'host', name],
    queryFn: ({ signal }) => getHost(team, name, signal),
    refetchInterval: fleetPollMs,
  });
  const runs = useQuery({
    queryKey: ['hosts', team, 'host', name, 'runs'],
    queryFn: ({ signal }) => listHostJobRuns(team, name, { scan: runsScanned, signal }),
    refetchInterval: (query) =>
      query.state.data?.some(({ run }) => run.state === 'Running') ? fleetPollMs : false,
  });
  const crumbs = [
    { label: 'Management' },
    { label: 'Hosts', to: `${hostsPath}?team=${encodeURIComponent(team)}` },
    { label: name },
  ];

  if (host.isPending) return <PageLoading />;
  if (!host.data) {
    return (
      <>
        <PageHeader title={name} crumbs={crumbs} />
        <ErrorAlert error={host.error} />
      </>
    );
  }
  const data = host.data;
  const facts = data.facts;
  return (
    <>
      <PageHeader
        title={
          <Flex align="center" gap={10} wrap>
            <span>{data.name}</span>
            <HostStatusTag host={data} />
            {data.connected && <Tag color="processing">connected</Tag>}
          </Flex>
        }
        subtitle={facts ? `${facts.os} · ${facts.kernel} · ${facts.arch}` : 'No facts reported yet.'}
        crumbs={crumbs}
        extra={
          <Link to={`${jobTemplatesPath}?team=${encodeURIComponent(team)}`}>
            <Button type="primary" icon={<PlayCircleOutlined />}>
              Run a job
            </Button>
          </Link>
        }
      />
      <Flex vertical gap={16}>
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={12}>
            <Card title="Facts" size="small" style={{ height: '100%' }}>
              <Descriptions column={1} size="small" data-testid="host-facts">
                <Descriptions.Item label="Hostname">{facts?.hostname ?? '—'}</Descriptions.Item>
                <Descriptions.Item label="OS">{facts?.os ?? '—'}</Descriptions.Item>
                <Descriptions.Item label="Platform">{facts?.platform ?? '—'}</Descriptions.Item>
                <Descriptions.Item label="Architecture">{facts?.arch ?? '—'}</Descriptions.Item>
                <Descriptions.Item label="Kernel">{facts?.kernel ?? '—'}</Descriptions.Item>
                <Descriptions.Item label="CPUs">{facts?.cpus ?? '—'}</Descriptions.Item>
                <Descriptions.Item label="Memory">
                  {facts ? formatBytes(facts.memoryBytes) : '—'}
                </Descriptions.Item>
                <Descriptions.Item label="Up">
                  {facts ? formatAge(new Date(Date.now() - facts.uptimeSeconds * 1000).toISOString()) : '—'}
                </Descriptions.Item>
                <Descriptions.Item label="Addresses">
                  <span style={mono}>
                    {facts && facts.addresses.length > 0 ? facts.addresses.join(', ') : '—'}
                  </span>
                </Descriptions.Item>
              </Descriptions>
            </Card>
          </Col>
          <Col xs={24} xl={12}>
            <Card title="Agent" size="small" style={{ height: '100%' }}>
              <Descriptions column={1} size="small" data-testid="host-agent">
                <Descriptions.Item label="Team">{data.team}</Descriptions.Item>
                <Descriptions.Item label="Agent version">
                  <span style={mono}>{data.agentVersion}</span>
                </Descriptions.Item>
                <Descriptions.Item label="Last heartbeat">
                  {data.lastHeartbeat
                    ? `${formatAge(data.lastHeartbeat)} ago (${formatTime(data.lastHeartbeat)})`
                    : '—'}
                </Descriptions.Item>
                <Descriptions.Item label="Status since">{formatTime(data.statusSince)}</Descriptions.Item>
                <Descriptions.Item label="Joined">{formatTime(data.createdAt)}</Descriptions.Item>
                <Descriptions.Item label="Credential">
                  <span style={mono}>{data.credentialId}</span>
                </Descriptions.Item>
                <Descriptions.Item label="Kubernetes node">
                  {data.node ? (
                    <Link to={nodePath(team, data.node.cluster, data.node.node)} data-testid="host-node">
                      {data.node.cluster}/{data.node.node}
                    </Link>
                  ) : (
                    'None in the team’s clusters'
                  )}
                </Descriptions.Item>
                <Descriptions.Item label="Labels">
                  <span data-testid="host-labels">
                    <LabelsTags labels={data.labels} />
                  </span>
                </Descriptions.Item>
              </Descriptions>
            </Card>
          </Col>
        </Row>
        <Card title="Disks" size="small">
          <Table<HostDisk>
            data-testid="host-disks"
            rowKey="mount"
            columns={diskColumns}
            dataSource={facts?.disks ?? []}
            pagination={false}
            size="small"
            locale={{ emptyText: 'No disks reported.' }}
          />
        </Card>
        <Card
          title="Jobs"
          size="small"
          extra={<span style={{ color: '#8c8c8c' }}>among the team’s {runsScanned} newest runs</span>}
        >
          <ErrorAlert error={runs.error} style={{ marginBottom: 12 }} />
          <Table<HostJobRun>
            data-testid="host-runs"
            rowKey={({ run }) => run.id}
            columns={runColumns(data.name)}
            dataSource={runs.data ?? []}
            loading={runs.isPending}
            pagination={false}
            size="small"
            locale={{
              emptyText: <Empty description="No runs on this host." image={Empty.PRESENTED_IMAGE_SIMPLE} />,
            }}
          />
        </Card>
        <Card title="Change timeline" size="small">
          <ChangeTimeline entity={{ kind: 'Host', team, name: data.name }} />
        </Card>
        <Card title="Events" size="small">
          <EventsList
            filter={{ team, kind: 'Host', name: data.name }}
            emptyText="No events about this host"
          />
        </Card>
      </Flex>
    </>
  );
}
