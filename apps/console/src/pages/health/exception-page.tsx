import { useQuery } from '@tanstack/react-query';
import { Alert, Card, Descriptions, Divider, Empty, Flex, Space, Tag, Timeline, Typography } from 'antd';
import { Link, useParams } from 'react-router';
import type { EntityRefRecord, ExceptionTimeline, ExceptionTimelineEntry } from '@gantry/client';
import { getExceptionTimeline } from '../../api/health';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { useMe } from '../../hooks/use-me';
import { applicationPath } from '../../lib/delivery-paths';
import { clusterPath, nodePath } from '../../lib/fleet-paths';
import { formatAge, formatTime } from '../../lib/format';
import { describeCorrelation, entityLabel, healthPaths, stateChange, timelineItems } from '../../lib/health';
import { mayOperate } from '../../lib/jobs';
import { ExceptionActions } from './exception-actions';
import { LevelTag, SeverityTag, StateTag } from './health-tags';
import { ReviewCard } from './review-card';

const POLL_MS = 5_000;

/** An entity as a link to its console page where it has one. */
function EntityLink({ team, entity }: { team: string; entity: EntityRefRecord }) {
  const label = entityLabel(entity);
  if (entity.kind === 'Cluster') return <Link to={clusterPath(team, entity.name)}>{label}</Link>;
  if (entity.kind === 'Node' && entity.cluster)
    return <Link to={nodePath(team, entity.cluster, entity.name)}>{label}</Link>;
  if (entity.kind === 'Application') return <Link to={applicationPath(team, entity.name)}>{label}</Link>;
  return <span>{label}</span>;
}

const typeColors: Partial<Record<ExceptionTimelineEntry['type'], string>> = {
  opened: 'red',
  'alert-joined': 'red',
  'alert-resolved': 'green',
  notification: 'blue',
  escalation: 'orange',
  'state-changed': 'purple',
  assigned: 'cyan',
  comment: 'gray',
  'level-raised': 'volcano',
  merged: 'purple',
  event: 'gray',
};

function TimelineEntryView({ entry, team }: { entry: ExceptionTimelineEntry; team: string }) {
  const change = stateChange(entry);
  const event = entry.event;
  return (
    <Space direction="vertical" size={0} data-testid={`timeline-${entry.type}`}>
      <Flex gap={8} wrap align="baseline">
        <Tag>{entry.type}</Tag>
        {entry.level && <LevelTag level={entry.level} />}
        {change && <Typography.Text strong>{change}</Typography.Text>}
        <Typography.Text>{entry.message}</Typography.Text>
      </Flex>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {formatTime(entry.at)} · {entry.actor}
        {event
          ? ` · ${event.type} ${event.reason} on ${event.objectKind}/${event.objectName}${event.cluster ? ` in ${event.cluster}` : ''}`
          : ''}
        {entry.exception && (
          <>
            {' · came with a merge from '}
            <Link to={healthPaths.exception(team, entry.exception)}>{entry.exception}</Link>
          </>
        )}
      </Typography.Text>
      {entry.reason && (
        <Typography.Text italic data-testid="timeline-reason">
          why: {entry.reason}
        </Typography.Text>
      )}
    </Space>
  );
}

function ExceptionTimelineView({ timeline }: { timeline: ExceptionTimeline }) {
  const items = timelineItems(timeline);
  const before = items.filter((item) => item.beforeOpening);
  const after = items.filter((item) => !item.beforeOpening);
  const team = timeline.exception.team;
  const toTimeline = (list: typeof items) =>
    list.map((item) => ({
      key: item.key,
      color: typeColors[item.entry.type] ?? 'blue',
      children: <TimelineEntryView entry={item.entry} team={team} />,
    }));
  return (
    <Card
      title="Timeline"
      size="small"
      data-testid="exception-timeline"
      extra={
        <Typography.Text type="secondary">
          events on its entities from {formatTime(timeline.from)} to {formatTime(timeline.to)}
        </Typography.Text>
      }
    >
      {timeline.truncated && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 12 }}
          title="More entries or events exist than were returned (the newest are shown)."
        />
      )}
      {before.length > 0 && (
        <div
          data-testid="timeline-before-opening"
          style={{ background: '#fafafa', padding: 12, marginBottom: 12 }}
        >
          <Typography.Text strong type="secondary">
            Before opening — what happened on its entities in the 30 minutes before
          </Typography.Text>
          <Timeline style={{ marginTop: 12 }} items={toTimeline(before)} />
        </div>
      )}
      <Divider plain style={{ margin: '4px 0 16px' }}>
        opened {formatTime(timeline.exception.openedAt)}
      </Divider>
      {after.length === 0 ? (
        <Empty description="Nothing yet." />
      ) : (
        <Timeline items={toTimeline(after)} data-testid="timeline-after-opening" />
      )}
    </Card>
  );
}

/** `/health/teams/:team/exceptions/:id`: an exception, its actions, review and timeline. */
export function ExceptionPage() {
  const { team = '', id = '' } = useParams();
  const me = useMe();
  const timeline = useQuery({
    queryKey: ['exception', team, id, 'timeline'],
    queryFn: ({ signal }) => getExceptionTimeline(team, id, signal),
    refetchInterval: POLL_MS,
  });
  const crumbs = [
    { label: 'Monitoring' },
    { label: 'Health center', to: `/health?team=${encodeURIComponent(team)}` },
    { label: id },
  ];
  if (timeline.isPending) return <PageLoading />;
  if (!timeline.data)
    return (
      <>
        <PageHeader title="Exception" crumbs={crumbs} />
        <ErrorAlert error={timeline.error} />
      </>
    );
  const exception = timeline.data.exception;
  const canOperate = mayOperate(me.data, team, false);
  const grouped = describeCorrelation(exception.correlationReason);
  return (
    <>
      <PageHeader
        title={exception.title}
        subtitle={`Exception ${exception.id} of team ${team}`}
        crumbs={crumbs}
      />
      <ErrorAlert error={timeline.error} style={{ marginBottom: 16 }} />
      <Space direction="vertical" size={16} style={{ width: '100%' }}>
        <Card size="small" data-testid="exception-header">
          <Descriptions size="small" column={{ xs: 1, md: 2, xl: 3 }}>
            <Descriptions.Item label="State">
              <StateTag state={exception.state} />
              {exception.mergedInto && (
                <Link to={healthPaths.exception(team, exception.mergedInto)}>
                  into {exception.mergedInto}
                </Link>
              )}
            </Descriptions.Item>
            <Descriptions.Item label="Severity">
              <SeverityTag severity={exception.severity} />
            </Descriptions.Item>
            <Descriptions.Item label="Level">
              <LevelTag level={exception.level} />
            </Descriptions.Item>
            <Descriptions.Item label="Assignee">
              <span data-testid="exception-assignee-value">{exception.assignee ?? 'nobody'}</span>
            </Descriptions.Item>
            <Descriptions.Item label="Opened">
              {formatTime(exception.openedAt)} ({formatAge(exception.openedAt)} ago)
              {exception.reopenCount > 0 &&
                ` · reopened ${exception.reopenCount}× (this episode since ${formatTime(exception.episodeOpenedAt)})`}
            </Descriptions.Item>
            <Descriptions.Item label="Alerts">
              {exception.firingAlertCount} firing of {exception.alertCount}
            </Descriptions.Item>
            <Descriptions.Item label="Origin">
              {exception.origin === 'manual' ? `opened by hand by ${exception.createdBy}` : 'correlation'}
            </Descriptions.Item>
            <Descriptions.Item label="Why grouped" span={2}>
              <span data-testid="exception-grouped">{grouped ?? '—'}</span>
            </Descriptions.Item>
            <Descriptions.Item label="Concerns" span={3}>
              {exception.entities.length === 0 ? (
                '—'
              ) : (
                <Flex gap={12} wrap data-testid="exception-entities">
                  {exception.entities.map((entity, index) => (
                    <EntityLink key={index} team={team} entity={entity} />
                  ))}
                </Flex>
              )}
            </Descriptions.Item>
          </Descriptions>
          <Divider style={{ margin: '12px 0' }} />
          <ExceptionActions exception={exception} canOperate={canOperate} />
        </Card>
        <ReviewCard team={team} exception={exception} />
        <ExceptionTimelineView timeline={timeline.data} />
      </Space>
    </>
  );
}
