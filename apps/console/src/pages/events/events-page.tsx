import { Card } from 'antd';
import { useState } from 'react';
import type { EventFilter } from '../../api/events';
import { EventFilters } from '../../components/event-filters';
import { EventsList } from '../../components/events-list';
import { PageHeader } from '../../components/page-header';
import { useClusterIds } from '../../hooks/use-cluster-ids';
import { splitClusterId } from '../../lib/fleet-paths';

/** The event center: what happened across the fleet, from every cluster the caller may read. */
export function EventsPage() {
  const [filter, setFilter] = useState<EventFilter>({});
  const clusters = useClusterIds();
  return (
    <>
      <PageHeader
        title="Events"
        subtitle="What Gantry did (Gantry events) and what the clusters report (Kubernetes events), for every team you can read, newest first. Warnings are highlighted."
        crumbs={[{ label: 'Monitoring' }, { label: 'Events' }]}
      />
      <Card>
        <EventFilters
          clusters={clusters}
          onApply={({ clusterId, ...rest }) => {
            const cluster = clusterId ? splitClusterId(clusterId) : undefined;
            setFilter({ ...rest, team: cluster?.team, cluster: cluster?.name });
          }}
        />
        <EventsList filter={filter} showCluster />
      </Card>
    </>
  );
}
