import { BellOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import {
  Button,
  Card,
  Collapse,
  Empty,
  Flex,
  Form,
  Input,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
  type TableColumnsType,
} from 'antd';
import { useState } from 'react';
import { Link } from 'react-router';
import type { AlertRecord, DispatchGroup, DispatchGroupAlert, GettableSilence } from '@gantry/client';
import { listAlerts, listDispatchGroups, listSilences, type AlertFilter } from '../../api/alerts';
import { ErrorAlert } from '../../components/error-alert';
import { LabelsTags } from '../../components/labels-tags';
import { groupAlerts, type AlertGroupView } from '../../lib/alerts';
import { applicationPath } from '../../lib/delivery-paths';
import { clusterPath, nodePath } from '../../lib/fleet-paths';
import { formatAge, formatTime } from '../../lib/format';
import { NotificationsTable } from './notifications-tab';
import { SilenceModal } from './silence-modal';

/** How often the page reads the alerts and groups again: the dispatcher changes them as alerts come. */
const POLL_MS = 5_000;

/** The inventory object and application an alert concerns, as links to their pages (its team's). */
function EntityLinks({ alert }: { alert: AlertRecord }) {
  const { cluster, node, namespace, application, component } = alert.entities;
  const links = [
    cluster && (
      <Link key="cluster" to={clusterPath(alert.team, cluster)} data-testid="alert-entity-cluster">
        cluster {cluster}
      </Link>
    ),
    cluster && node && (
      <Link key="node" to={nodePath(alert.team, cluster, node)} data-testid="alert-entity-node">
        node {node}
      </Link>
    ),
    !cluster && node && <span key="node">node {node}</span>,
    namespace &&
      (cluster ? (
        <Link key="namespace" to={clusterPath(alert.team, cluster, 'namespaces')}>
          namespace {namespace}
        </Link>
      ) : (
        <span key="namespace">namespace {namespace}</span>
      )),
    application && (
      <Link
        key="application"
        to={applicationPath(alert.team, application)}
        data-testid="alert-entity-application"
      >
        application {application}
      </Link>
    ),
    component && <span key="component">component {component}</span>,
  ].filter(Boolean);
  if (links.length === 0) return <span style={{ color: '#bfbfbf' }}>—</span>;
  return (
    <Space direction="vertical" size={0}>
      {links}
    </Space>
  );
}

function MutedBy({
  muting,
  silences,
  alerts,
}: {
  muting: DispatchGroupAlert | undefined;
  silences: ReadonlyMap<string, GettableSilence>;
  alerts: ReadonlyMap<string, AlertRecord>;
}) {
  if (!muting || (muting.silencedBy.length === 0 && muting.inhibitedBy.length === 0))
    return <span style={{ color: '#bfbfbf' }}>—</span>;
  return (
    <Space direction="vertical" size={2} data-testid="alert-muted">
      {muting.silencedBy.map((id) => {
        const silence = silences.get(id);
        return (
          <Tooltip key={id} title={silence ? `${silence.comment} (${silence.createdBy})` : id}>
            <Tag color="purple">
              silenced {silence ? `until ${formatTime(silence.endsAt)}` : id.slice(0, 8)}
            </Tag>
          </Tooltip>
        );
      })}
      {muting.inhibitedBy.map((fingerprint) => (
        <Tag key={fingerprint} color="gold">
          inhibited by {alerts.get(fingerprint)?.labels.alertname ?? fingerprint}
        </Tag>
      ))}
    </Space>
  );
}

function GroupTitle({ view, allTeams }: { view: AlertGroupView; allTeams: boolean }) {
  const { group } = view;
  if (!group && allTeams)
    return (
      <Typography.Text strong>
        Every team&apos;s alerts{' '}
        <Typography.Text type="secondary">
          (pick a team to see them as the dispatcher grouped them)
        </Typography.Text>
      </Typography.Text>
    );
  if (!group)
    return (
      <Typography.Text strong>
        In no group{' '}
        <Typography.Text type="secondary">
          (resolved and notified, or not yet taken by the dispatcher)
        </Typography.Text>
      </Typography.Text>
    );
  const labels = Object.entries(group.groupLabels);
  return (
    <Flex gap={8} wrap align="center">
      {labels.length === 0 ? (
        <Tag>all alerts</Tag>
      ) : (
        labels.map(([name, value]) => (
          <Tag key={name} color="blue">
            {name}={value}
          </Tag>
        ))
      )}
      <Typography.Text type="secondary" style={{ fontWeight: 'normal' }}>
        routing {group.routing} · to {group.receivers.join(', ') || 'no channel'}
        {group.nextFlushAt ? ` · next notification ${formatTime(group.nextFlushAt)}` : ''}
      </Typography.Text>
    </Flex>
  );
}

export function AlertsTab({ team }: { team: string | undefined }) {
  const [filter, setFilter] = useState<AlertFilter>({});
  const [silencing, setSilencing] = useState<AlertRecord>();
  const alerts = useQuery({
    queryKey: ['alerts', team ?? '*', filter],
    queryFn: ({ signal }) => listAlerts(team, filter, undefined, signal),
    refetchInterval: POLL_MS,
    // A new filter keeps the team's alerts shown until its answer comes (another team's, never).
    placeholderData: (previous, previousQuery) =>
      previousQuery?.queryKey[1] === (team ?? '*') ? previous : undefined,
  });
  const groups = useQuery({
    queryKey: ['alert-groups', team],
    queryFn: ({ signal }) => listDispatchGroups(team ?? '', signal),
    enabled: team !== undefined,
    refetchInterval: POLL_MS,
  });
  const silences = useQuery({
    queryKey: ['silences', team],
    queryFn: ({ signal }) => listSilences(team ?? '', signal),
    enabled: team !== undefined,
    refetchInterval: POLL_MS,
  });

  const items = alerts.data?.items ?? [];
  const views = groupAlerts(items, groups.data?.groups ?? []);
  const byFingerprint = new Map(items.map((alert) => [alert.fingerprint, alert]));
  const silenceById = new Map((silences.data ?? []).map((silence) => [silence.id, silence]));

  const columns = (group: DispatchGroup | undefined): TableColumnsType<AlertRecord> => [
    {
      title: 'Alert',
      key: 'alertname',
      width: 220,
      render: (_, alert) => (
        <Space direction="vertical" size={0}>
          <Typography.Text strong>{alert.labels.alertname ?? '(no alertname)'}</Typography.Text>
          {alert.annotations.summary && (
            <Typography.Text type="secondary">{alert.annotations.summary}</Typography.Text>
          )}
        </Space>
      ),
    },
    ...(team === undefined
      ? [{ title: 'Team', key: 'team', render: (_: unknown, a: AlertRecord) => a.team }]
      : []),
    {
      title: 'State',
      key: 'state',
      width: 100,
      render: (_, alert) =>
        alert.state === 'firing' ? <Tag color="red">firing</Tag> : <Tag color="green">resolved</Tag>,
    },
    { title: 'Labels', key: 'labels', render: (_, alert) => <LabelsTags labels={alert.labels} /> },
    { title: 'Concerns', key: 'entities', width: 200, render: (_, alert) => <EntityLinks alert={alert} /> },
    {
      title: 'Since',
      key: 'startsAt',
      width: 110,
      render: (_, alert) => <Tooltip title={formatTime(alert.startsAt)}>{formatAge(alert.startsAt)}</Tooltip>,
    },
    {
      title: 'Muted by',
      key: 'muted',
      width: 200,
      render: (_, alert) => (
        <MutedBy
          muting={group?.alerts.find((member) => member.fingerprint === alert.fingerprint)}
          silences={silenceById}
          alerts={byFingerprint}
        />
      ),
    },
    {
      title: '',
      key: 'actions',
      width: 100,
      render: (_, alert) =>
        alert.state === 'firing' && (
          <Button
            size="small"
            icon={<BellOutlined />}
            onClick={() => setSilencing(alert)}
            data-testid="alert-silence"
          >
            Silence
          </Button>
        ),
    },
  ];

  return (
    <>
      <Form
        layout="inline"
        style={{ marginBottom: 16, rowGap: 8 }}
        onFinish={(values: Record<string, string | undefined>) => {
          const next: Record<string, string> = {};
          for (const [key, value] of Object.entries(values)) if (value) next[key] = value.trim();
          setFilter(next as AlertFilter);
        }}
      >
        <Form.Item name="filter">
          <Input placeholder='matchers: severity="page",instance=~"db.*"' style={{ width: 300 }} allowClear />
        </Form.Item>
        <Form.Item name="state">
          <Select
            placeholder="State"
            allowClear
            style={{ width: 120 }}
            options={[
              { value: 'firing', label: 'firing' },
              { value: 'resolved', label: 'resolved' },
            ]}
          />
        </Form.Item>
        {(['cluster', 'node', 'namespace', 'application'] as const).map((entity) => (
          <Form.Item key={entity} name={entity}>
            <Input placeholder={entity} style={{ width: 130 }} allowClear />
          </Form.Item>
        ))}
        <Form.Item>
          <Button type="primary" htmlType="submit">
            Apply
          </Button>
        </Form.Item>
      </Form>
      <ErrorAlert error={alerts.error ?? groups.error ?? silences.error} style={{ marginBottom: 16 }} />
      {team !== undefined && groups.data && !groups.data.dispatching && (
        <Typography.Paragraph type="secondary">
          This server does not run the dispatcher now (another holds the alert-dispatch lease): the alerts are
          listed without their groups.
        </Typography.Paragraph>
      )}
      {alerts.isPending ? (
        <Card loading />
      ) : views.length === 0 ? (
        <Empty description="No alerts." />
      ) : (
        <Space direction="vertical" size={16} style={{ width: '100%' }}>
          {views.map((view) => (
            <Card
              key={view.key || 'rest'}
              size="small"
              title={<GroupTitle view={view} allTeams={team === undefined} />}
              data-testid="alert-group"
            >
              <Table<AlertRecord>
                rowKey="fingerprint"
                size="small"
                pagination={false}
                columns={columns(view.group)}
                dataSource={view.alerts}
                onRow={(alert) => ({ 'data-testid': `alert-${alert.labels.alertname ?? ''}` }) as object}
              />
              {view.group && team !== undefined && (
                <Collapse
                  ghost
                  size="small"
                  items={[
                    {
                      key: 'history',
                      label: 'Notification history',
                      children: <NotificationsTable team={team} filter={{ groupKey: view.group.groupKey }} />,
                    },
                  ]}
                />
              )}
            </Card>
          ))}
        </Space>
      )}
      {silencing && <SilenceModal alert={silencing} onClose={() => setSilencing(undefined)} />}
    </>
  );
}
