import { Typography } from 'antd';
import { EventsList } from '../../components/events-list';

/**
 * What happened to an application, newest first: the events regarding it (revisions created, objects
 * applied or pruned on each cluster, rollbacks), from `GET /api/events?team=&kind=Application&name=`.
 */
export function ApplicationTimelineTab({ team, name }: { team: string; name: string }) {
  return (
    <>
      <Typography.Paragraph type="secondary">
        Events regarding this application, newest first; a repeated event is counted, not listed again.
      </Typography.Paragraph>
      <EventsList
        filter={{ team, kind: 'Application', name }}
        showCluster
        showNamespace={false}
        emptyText="No events for this application yet"
        testId="application-timeline"
      />
    </>
  );
}
