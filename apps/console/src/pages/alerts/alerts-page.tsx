import { Card, Empty, Flex, Select, Tabs, Typography } from 'antd';
import { useSearchParams } from 'react-router';
import { PageHeader } from '../../components/page-header';
import { useMe } from '../../hooks/use-me';
import { useTeamNames } from '../../hooks/use-team-names';
import { AlertsTab } from './alerts-tab';
import { NotificationsTab } from './notifications-tab';
import { RoutingTab } from './routing-tab';
import { SilencesTab } from './silences-tab';

/** The value of the team picker that lists every team's alerts (admins; `GET /api/alerts`). */
export const ALL_TEAMS = '*';

const tabKeys = ['alerts', 'silences', 'routing', 'notifications'] as const;
type TabKey = (typeof tabKeys)[number];

/** `/alerts`: a team's alerts as the dispatcher groups them, its silences, routing trees and delivery log. */
export function AlertsPage() {
  const [params, setParams] = useSearchParams();
  const teams = useTeamNames();
  const me = useMe();
  const isAdmin = me.data?.user.admin ?? false;
  const team = params.get('team') ?? teams[0];
  const tabParam = params.get('tab');
  const tab: TabKey = tabKeys.includes(tabParam as TabKey) ? (tabParam as TabKey) : 'alerts';
  const set = (changes: Record<string, string>) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      for (const [key, value] of Object.entries(changes)) next.set(key, value);
      return next;
    });
  const needsTeam = (body: (name: string) => React.ReactNode) =>
    team === undefined || team === ALL_TEAMS ? (
      <Empty description="Pick a team: silences, routing and notifications belong to one team." />
    ) : (
      body(team)
    );

  return (
    <>
      <PageHeader
        title="Alerts"
        subtitle="The team's alerts as the dispatcher grouped them for notification, what mutes them, the silences, the routing trees and the delivery log."
        crumbs={[{ label: 'Monitoring' }, { label: 'Alerts' }]}
        extra={
          <Flex align="center" gap={8}>
            <Typography.Text type="secondary">Team</Typography.Text>
            <Select
              data-testid="alerts-team"
              style={{ minWidth: 200 }}
              value={team}
              placeholder="Team"
              onChange={(value: string) => set({ team: value })}
              options={[
                ...(isAdmin ? [{ value: ALL_TEAMS, label: 'All teams' }] : []),
                ...teams.map((name) => ({ value: name, label: name })),
              ]}
            />
          </Flex>
        }
      />
      <Card>
        <Tabs
          activeKey={tab}
          onChange={(key) => set({ tab: key })}
          destroyOnHidden
          items={[
            {
              key: 'alerts',
              label: 'Alerts',
              children:
                team === undefined ? (
                  <Empty description="You are in no team." />
                ) : (
                  <AlertsTab team={team === ALL_TEAMS ? undefined : team} />
                ),
            },
            {
              key: 'silences',
              label: 'Silences',
              children: needsTeam((name) => <SilencesTab team={name} />),
            },
            { key: 'routing', label: 'Routing', children: needsTeam((name) => <RoutingTab team={name} />) },
            {
              key: 'notifications',
              label: 'Notifications',
              children: needsTeam((name) => <NotificationsTab team={name} />),
            },
          ]}
        />
      </Card>
    </>
  );
}
