import { ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Empty, Flex, Input, Progress, Select, Tooltip, type TableColumnsType } from 'antd';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import type { Host, HostStatus } from '@gantry/client';
import { listHostGroupNames, listHosts } from '../../api/hosts';
import { LabelsTags } from '../../components/labels-tags';
import { Age } from '../../components/age';
import { MONO } from '../../components/mono';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { PagedTable } from '../../components/paged-table';
import { fleetPollMs } from '../../hooks/fleet-poll';
import { useMe } from '../../hooks/use-me';
import { useTeamNames } from '../../hooks/use-team-names';
import { nodePath } from '../../lib/fleet-paths';
import { diskUsage, formatBytes, hostPath } from '../../lib/hosts';
import { mayOperate } from '../../lib/jobs';
import { HostStatusTag } from './host-status-tag';
import { JoinTokensCard } from './join-tokens-card';

const statuses: HostStatus[] = ['Online', 'Offline', 'Unknown'];
const pageSize = 200;
const mono = MONO;

function columns(team: string): TableColumnsType<Host> {
  return [
    {
      title: 'Host',
      key: 'name',
      render: (_, host) => (
        <Link to={hostPath(team, host.name)} style={mono}>
          {host.name}
        </Link>
      ),
    },
    { title: 'Status', key: 'status', render: (_, host) => <HostStatusTag host={host} /> },
    {
      title: 'OS / kernel',
      key: 'os',
      render: (_, host) =>
        host.facts ? (
          <div data-testid="host-os">
            <div>{host.facts.os}</div>
            <div style={{ color: '#8c8c8c', fontSize: 12 }}>
              {host.facts.kernel} · {host.facts.arch}
            </div>
          </div>
        ) : (
          '—'
        ),
    },
    { title: 'CPUs', key: 'cpus', align: 'right', render: (_, host) => host.facts?.cpus ?? '—' },
    {
      title: 'Memory',
      key: 'memory',
      align: 'right',
      render: (_, host) => (host.facts ? formatBytes(host.facts.memoryBytes) : '—'),
    },
    {
      title: 'Disk',
      key: 'disk',
      width: 140,
      render: (_, host) => {
        if (!host.facts || host.facts.disks.length === 0) return '—';
        const usage = diskUsage(host.facts);
        return (
          <Tooltip title={`${formatBytes(usage.used)} of ${formatBytes(usage.size)} used`}>
            <Progress
              percent={usage.percent}
              size="small"
              status={usage.percent >= 90 ? 'exception' : 'normal'}
            />
          </Tooltip>
        );
      },
    },
    {
      title: 'Addresses',
      key: 'addresses',
      render: (_, host) =>
        host.facts && host.facts.addresses.length > 0 ? (
          <div style={mono}>
            {host.facts.addresses.slice(0, 2).map((address) => (
              <div key={address}>{address}</div>
            ))}
            {host.facts.addresses.length > 2 && (
              <Tooltip title={host.facts.addresses.slice(2).join(', ')}>
                <span style={{ color: '#8c8c8c' }}>+{host.facts.addresses.length - 2} more</span>
              </Tooltip>
            )}
          </div>
        ) : (
          '—'
        ),
    },
    { title: 'Agent', key: 'agent', render: (_, host) => <span style={mono}>{host.agentVersion}</span> },
    {
      title: 'Heartbeat',
      key: 'heartbeat',
      render: (_, host) => <Age time={host.lastHeartbeat} />,
    },
    {
      title: 'Node',
      key: 'node',
      render: (_, host) =>
        host.node ? (
          <Link to={nodePath(team, host.node.cluster, host.node.node)} data-testid="host-node">
            {host.node.cluster}/{host.node.node}
          </Link>
        ) : (
          '—'
        ),
    },
    { title: 'Labels', key: 'labels', render: (_, host) => <LabelsTags labels={host.labels} /> },
  ];
}

/** `/hosts`: a team's hosts with their status and facts, filtered by label selector, HostGroup and status. */
export function HostsPage() {
  const [params, setParams] = useSearchParams();
  const teams = useTeamNames();
  const me = useMe();
  const team = params.get('team') || teams[0];
  const labelSelector = params.get('labelSelector') || undefined;
  const group = params.get('group') || undefined;
  const status = (params.get('status') || undefined) as HostStatus | undefined;
  const hosts = useInfiniteQuery({
    queryKey: ['hosts', team ?? '', labelSelector ?? '', group ?? '', status ?? ''],
    queryFn: ({ pageParam, signal }) =>
      listHosts(
        team ?? '',
        { labelSelector, group, status },
        { limit: pageSize, continueToken: pageParam, signal },
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.continue,
    enabled: team !== undefined,
    refetchInterval: fleetPollMs,
  });
  const groups = useQuery({
    queryKey: ['hosts', 'groups', team ?? ''],
    queryFn: ({ signal }) => listHostGroupNames(team ?? '', signal),
    enabled: team !== undefined,
  });
  const items = (hosts.data?.pages ?? []).flatMap((page) => page.items);

  const setParam = (key: string, value: string | undefined): void => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  return (
    <>
      <PageHeader
        title="Hosts"
        subtitle="The machines that run gantry agent: their status, facts, labels and Kubernetes node."
        crumbs={[{ label: 'Management' }, { label: 'Hosts' }]}
        extra={
          <Button icon={<ReloadOutlined />} onClick={() => void hosts.refetch()} loading={hosts.isRefetching}>
            Refresh
          </Button>
        }
      />
      {team === undefined && me.isPending ? (
        <PageLoading />
      ) : team === undefined ? (
        <Card>
          <Empty description="You are not a member of any team." />
        </Card>
      ) : (
        <Flex vertical gap={16}>
          <Card>
            <Flex gap={8} wrap style={{ marginBottom: 16 }}>
              <Select
                value={team}
                style={{ width: 200 }}
                aria-label="Team"
                options={teams.map((name) => ({ value: name, label: name }))}
                onChange={(value: string) => {
                  const next = new URLSearchParams(params);
                  next.set('team', value);
                  next.delete('group');
                  setParams(next, { replace: true });
                }}
              />
              <Input.Search
                key={`${team}/${labelSelector ?? ''}`}
                allowClear
                placeholder="Label selector, e.g. role=db,site in (fra1,fra2)"
                aria-label="Label selector"
                defaultValue={labelSelector}
                style={{ width: 340 }}
                onSearch={(value) => setParam('labelSelector', value.trim() || undefined)}
              />
              <Select
                allowClear
                placeholder="Any host group"
                aria-label="Host group"
                data-testid="group-filter"
                value={group}
                style={{ width: 200 }}
                loading={groups.isPending}
                options={(groups.data ?? []).map((name) => ({ value: name, label: name }))}
                onChange={(value: string | undefined) => setParam('group', value)}
              />
              <Select
                allowClear
                placeholder="Any status"
                aria-label="Status"
                data-testid="status-filter"
                value={status}
                style={{ width: 160 }}
                options={statuses.map((value) => ({ value, label: value }))}
                onChange={(value: string | undefined) => setParam('status', value)}
              />
            </Flex>
            <PagedTable<Host>
              query={hosts}
              items={items}
              columns={columns(team)}
              rowKey="name"
              testId="hosts"
              scrollX
              empty="No hosts. Create a join token and start gantry agent on a machine."
            />
          </Card>
          {mayOperate(me.data, team, true) && <JoinTokensCard team={team} />}
        </Flex>
      )}
    </>
  );
}
