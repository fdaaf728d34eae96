import { Card, Flex } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { listNodeHosts } from '../../api/hosts';
import { ErrorAlert } from '../../components/error-alert';
import { fleetPollMs } from '../../hooks/fleet-poll';
import { hostPath } from '../../lib/hosts';
import { HostStatusTag } from '../hosts/host-status-tag';

/** The host record of the same machine (the host–node link seen from the node), when an agent runs there. */
export function NodeHostsCard({ team, cluster, node }: { team: string; cluster: string; node: string }) {
  const hosts = useQuery({
    queryKey: ['hosts', team, 'node', cluster, node],
    queryFn: ({ signal }) => listNodeHosts(team, cluster, node, signal),
    refetchInterval: fleetPollMs,
  });
  return (
    <Card title="Host" size="small" data-testid="node-hosts">
      <ErrorAlert error={hosts.error} />
      {hosts.data && hosts.data.length === 0 && (
        <span style={{ color: '#8c8c8c' }}>No gantry agent runs on this node.</span>
      )}
      <Flex vertical gap={6}>
        {(hosts.data ?? []).map((host) => (
          <Flex key={host.name} gap={8} align="center">
            <Link to={hostPath(team, host.name)}>{host.name}</Link>
            <HostStatusTag host={host} />
          </Flex>
        ))}
      </Flex>
    </Card>
  );
}
