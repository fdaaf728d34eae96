import { useQuery } from '@tanstack/react-query';
import { Empty, Tag, Timeline, Typography } from 'antd';
import { Link } from 'react-router';
import { listChanges } from '../api/changes';
import type { EventFilter } from '../api/events';
import { useEvents } from '../hooks/use-events';
import { DRIFT_REASONS, changePath, entityTimeline, phaseColors } from '../lib/changes';
import { formatTime } from '../lib/format';
import { ErrorAlert } from './error-alert';
import type { ChangePhase } from '@gantry/client';

export interface TimelineEntity {
  kind: 'Application' | 'Cluster' | 'Host';
  team: string;
  name: string;
}

/** The Gantry events of an entity's timeline: about it, or for a cluster about anything on it. */
function eventFilter(entity: TimelineEntity): EventFilter {
  return entity.kind === 'Cluster'
    ? { team: entity.team, cluster: entity.name, source: 'gantry' }
    : { team: entity.team, kind: entity.kind, name: entity.name, source: 'gantry' };
}

/**
 * An entity's change timeline (ADR 0031): the changes that touched it (which batch, how it went) beside
 * Gantry's events about it — applies, operations, and edits by others (drift) — newest first.
 */
export function ChangeTimeline({ entity }: { entity: TimelineEntity }) {
  const changes = useQuery({
    queryKey: ['changes', 'list', entity.team],
    queryFn: ({ signal }) => listChanges(entity.team, signal),
    refetchInterval: 5_000,
  });
  const events = useEvents(eventFilter(entity), 100);
  const items = entityTimeline(
    entity.kind,
    entity.name,
    changes.data ?? [],
    (events.data?.pages ?? []).flatMap((page) => page.items),
  );
  return (
    <div data-testid="change-timeline-entity">
      <ErrorAlert error={changes.error ?? events.error} style={{ marginBottom: 12 }} />
      {items.length === 0 ? (
        <Empty description="No changes or Gantry events yet." image={Empty.PRESENTED_IMAGE_SIMPLE} />
      ) : (
        <Timeline
          items={items.map((item) =>
            item.type === 'change'
              ? {
                  key: `change/${item.team}/${item.name}`,
                  color: 'blue',
                  children: (
                    <div data-testid="timeline-change" data-change={item.name}>
                      <Typography.Text type="secondary">{formatTime(item.at)}</Typography.Text>{' '}
                      <Tag color="blue">Change</Tag>
                      <Link to={changePath(item.team, item.name)}>{item.name}</Link>{' '}
                      <Tag color={phaseColors[item.phase as ChangePhase] ?? 'default'}>{item.phase}</Tag>
                      <Typography.Text>{item.outcome}</Typography.Text>
                    </div>
                  ),
                }
              : {
                  key: `event/${item.event.id}`,
                  color: DRIFT_REASONS.has(item.event.reason)
                    ? 'orange'
                    : item.event.type === 'Warning'
                      ? 'red'
                      : 'gray',
                  children: (
                    <div data-testid="timeline-event" data-reason={item.event.reason}>
                      <Typography.Text type="secondary">{formatTime(item.at)}</Typography.Text>{' '}
                      <Tag color={DRIFT_REASONS.has(item.event.reason) ? 'orange' : undefined}>
                        {item.event.reason}
                      </Tag>
                      {item.event.objectKind !== entity.kind && (
                        <Typography.Text type="secondary">
                          {item.event.objectKind} {item.event.namespace ? `${item.event.namespace}/` : ''}
                          {item.event.objectName}:{' '}
                        </Typography.Text>
                      )}
                      <Typography.Text>{item.event.message}</Typography.Text>
                      {item.event.count > 1 && (
                        <Typography.Text type="secondary"> ×{item.event.count}</Typography.Text>
                      )}
                      <Typography.Text type="secondary"> · {item.event.actor}</Typography.Text>
                    </div>
                  ),
                },
          )}
        />
      )}
    </div>
  );
}
