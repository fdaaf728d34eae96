import { useQuery } from '@tanstack/react-query';
import { Card, Empty, Flex, Space, Tag, Tooltip, Tree, Typography, type TreeDataNode } from 'antd';
import { Link } from 'react-router';
import type { AlertRoutingSpec, NotificationChannelSpec, Resource } from '@gantry/client';
import { alertRoutingKind, notificationChannelKind } from '../../api/alerts';
import { listAll } from '../../api/delivery';
import { ErrorAlert } from '../../components/error-alert';
import { routeTree, type RouteView } from '../../lib/alerts';

type Channel = Resource & { spec: NotificationChannelSpec };

const resourcePath = (plural: string, team: string, name: string) =>
  `/resources/${plural}/${encodeURIComponent(team)}/${encodeURIComponent(name)}`;

function Receivers({
  view,
  team,
  channels,
}: {
  view: RouteView;
  team: string;
  channels: ReadonlyMap<string, Channel>;
}) {
  if (view.receivers.length === 0) return <Tag>no channel</Tag>;
  return (
    <>
      {view.receivers.map((name) => {
        const channel = channels.get(name);
        return channel ? (
          <Link key={name} to={resourcePath(notificationChannelKind.plural, team, name)}>
            <Tag color={view.receiversInherited ? 'default' : 'geekblue'} data-testid="route-channel">
              {name} ({channel.spec.type}){view.receiversInherited ? ' · inherited' : ''}
            </Tag>
          </Link>
        ) : (
          <Tooltip key={name} title="No NotificationChannel of this name in the team: nothing is sent to it.">
            <Tag color="red" data-testid="route-channel-missing">
              {name} (missing)
            </Tag>
          </Tooltip>
        );
      })}
    </>
  );
}

function RouteTitle({
  view,
  team,
  channels,
}: {
  view: RouteView;
  team: string;
  channels: ReadonlyMap<string, Channel>;
}) {
  const { route } = view;
  return (
    <Space direction="vertical" size={2} style={{ padding: '4px 0' }} data-testid="route-node">
      <Flex gap={6} wrap align="center">
        <Typography.Text strong>{view.id === 'root' ? 'root' : 'route'}</Typography.Text>
        {(route.matchers ?? []).length === 0 ? (
          <Tag>every alert</Tag>
        ) : (
          (route.matchers ?? []).map((matcher) => (
            <Tag key={matcher} color="blue">
              {matcher}
            </Tag>
          ))
        )}
        {route.continue && <Tag color="orange">continue</Tag>}
        <Typography.Text type="secondary">→</Typography.Text>
        <Receivers view={view} team={team} channels={channels} />
      </Flex>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        group by {view.groupBy.length === 0 ? '(nothing: one group)' : view.groupBy.join(', ')}
        {view.groupByInherited ? ' (inherited)' : ''} · wait {view.groupWait} · interval {view.groupInterval}{' '}
        · repeat {view.repeatInterval}
        {route.muteTimeIntervals?.length ? ` · muted during ${route.muteTimeIntervals.join(', ')}` : ''}
        {route.activeTimeIntervals?.length ? ` · active during ${route.activeTimeIntervals.join(', ')}` : ''}
      </Typography.Text>
    </Space>
  );
}

function treeData(view: RouteView, team: string, channels: ReadonlyMap<string, Channel>): TreeDataNode {
  return {
    key: view.id,
    title: <RouteTitle view={view} team={team} channels={channels} />,
    children: view.children.map((child) => treeData(child, team, channels)),
  };
}

/** Each AlertRouting of the team as a tree, with the channels each route reaches. */
export function RoutingTab({ team }: { team: string }) {
  const routings = useQuery({
    queryKey: ['resources', alertRoutingKind.plural, team, 'all'],
    queryFn: ({ signal }) => listAll(alertRoutingKind, { team, signal }),
  });
  const channels = useQuery({
    queryKey: ['resources', notificationChannelKind.plural, team, 'all'],
    queryFn: ({ signal }) => listAll(notificationChannelKind, { team, signal }),
  });
  const error = routings.error ?? channels.error;
  if (error) return <ErrorAlert error={error} />;
  if (!routings.data || !channels.data) return <Card loading />;
  const byName = new Map((channels.data as Channel[]).map((channel) => [channel.metadata.name, channel]));
  if (routings.data.length === 0)
    return <Empty description="The team has no AlertRouting: its alerts are stored but not notified." />;
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      {routings.data.map((routing) => {
        const root = routeTree(routing.spec as AlertRoutingSpec);
        return (
          <Card
            key={routing.metadata.name}
            size="small"
            title={
              <Link to={resourcePath(alertRoutingKind.plural, team, routing.metadata.name)}>
                {routing.metadata.name}
              </Link>
            }
            data-testid="routing-tree"
          >
            <Tree
              blockNode
              selectable={false}
              defaultExpandAll
              showLine
              treeData={[treeData(root, team, byName)]}
            />
          </Card>
        );
      })}
    </Space>
  );
}
