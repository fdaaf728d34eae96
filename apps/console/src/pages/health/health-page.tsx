import { Card, Empty, Flex, Select, Tabs, Typography } from 'antd';
import { lazy, Suspense } from 'react';
import { useSearchParams } from 'react-router';
import { PageHeader } from '../../components/page-header';
import { useTeamNames } from '../../hooks/use-team-names';
import { ExceptionsTab } from './exceptions-tab';
import { InspectionsTab } from './inspections-tab';
import { RisksTab } from './risks-tab';
import { BaselinesTab } from './baselines-tab';
import { StreamTab } from './stream-tab';

// The statistics draw with ECharts: its chunk loads when the tab opens, not with the exception list.
const StatsTab = lazy(async () => ({ default: (await import('./stats-tab')).StatsTab }));

const tabKeys = [
  'stream',
  'exceptions',
  'failures',
  'risks',
  'baselines',
  'inspections',
  'statistics',
] as const;
type TabKey = (typeof tabKeys)[number];

/**
 * `/health`: a team's live stream of the five kinds, exceptions, failures by level, risks, Baselines,
 * inspections and statistics (docs/console.md).
 */
export function HealthPage() {
  const [params, setParams] = useSearchParams();
  const teams = useTeamNames();
  const team = params.get('team') ?? teams[0];
  const tabParam = params.get('tab');
  const tab: TabKey = tabKeys.includes(tabParam as TabKey) ? (tabParam as TabKey) : 'exceptions';
  const set = (changes: Record<string, string>) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      for (const [key, value] of Object.entries(changes)) next.set(key, value);
      return next;
    });
  const body = (render: (name: string) => React.ReactNode) =>
    team === undefined ? <Empty description="You are in no team." /> : render(team);

  return (
    <>
      <PageHeader
        title="Health center"
        subtitle="Everything that happens to a team's health, live; the exceptions the alerts were grouped into, the failures they became, and the risks inspections and baselines found before they turn into exceptions."
        crumbs={[{ label: 'Monitoring' }, { label: 'Health center' }]}
        extra={
          <Flex align="center" gap={8}>
            <Typography.Text type="secondary">Team</Typography.Text>
            <Select
              data-testid="health-team"
              style={{ minWidth: 200 }}
              value={team}
              placeholder="Team"
              onChange={(value: string) => set({ team: value })}
              options={teams.map((name) => ({ value: name, label: name }))}
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
              key: 'stream',
              label: 'Stream',
              children: body((name) => <StreamTab key={name} team={name} />),
            },
            {
              key: 'exceptions',
              label: 'Exceptions',
              children: body((name) => <ExceptionsTab key={name} team={name} failuresOnly={false} />),
            },
            {
              key: 'failures',
              label: 'Failures',
              children: body((name) => <ExceptionsTab key={name} team={name} failuresOnly />),
            },
            { key: 'risks', label: 'Risks', children: body((name) => <RisksTab key={name} team={name} />) },
            {
              key: 'baselines',
              label: 'Baselines',
              children: body((name) => <BaselinesTab key={name} team={name} />),
            },
            {
              key: 'inspections',
              label: 'Inspections',
              children: body((name) => <InspectionsTab key={name} team={name} />),
            },
            {
              key: 'statistics',
              label: 'Statistics',
              children: body((name) => (
                <Suspense fallback={<Card loading />}>
                  <StatsTab key={name} team={name} />
                </Suspense>
              )),
            },
          ]}
        />
      </Card>
    </>
  );
}
