import { useState } from 'react';
import type { EventFilter } from '../../api/events';
import { EventFilters } from '../../components/event-filters';
import { EventsList } from '../../components/events-list';

/**
 * The cluster's timeline: Gantry's events about it (connected, connection failed, nodes cordoned or
 * drained) and the Kubernetes events inside it, newest first, all carrying the cluster's id.
 */
export function ClusterEventsTab({ team, cluster }: { team: string; cluster: string }) {
  const [filter, setFilter] = useState<EventFilter>({});
  return (
    <>
      <EventFilters onApply={({ clusterId: _ignored, ...rest }) => setFilter(rest)} />
      <EventsList filter={{ ...filter, team, cluster }} emptyText="No events from this cluster match" />
    </>
  );
}
