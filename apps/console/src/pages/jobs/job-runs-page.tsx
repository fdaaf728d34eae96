import { ReloadOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Input, Select, Tag, Tooltip, type TableColumnsType } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import type { JobRun, JobRunState } from '@gantry/client';
import { listJobRuns } from '../../api/jobs';
import { Age } from '../../components/age';
import { IdLink } from '../../components/mono';
import { PageHeader } from '../../components/page-header';
import { PagedTable } from '../../components/paged-table';
import { useTeamNames } from '../../hooks/use-team-names';
import {
  countsInOrder,
  formatDuration,
  jobRunPath,
  jobTemplatePath,
  runStateColors,
  targetStateStyles,
} from '../../lib/jobs';

const runStates: JobRunState[] = ['Running', 'Succeeded', 'Failed', 'Cancelled'];
const pageSize = 50;
/** The list is not on a watch: it is read again this often while it shows a running run. */
const refreshMs = 3_000;

export function RunStateTag({ run }: { run: Pick<JobRun, 'state' | 'reason' | 'cancelRequested'> }) {
  return (
    <Tooltip title={run.reason}>
      <Tag color={runStateColors[run.state]} data-testid="run-state">
        {run.state === 'Running' && run.cancelRequested ? 'Cancelling' : run.state}
      </Tag>
    </Tooltip>
  );
}

/** The run's targets by state, one small tag per state in use. */
export function TargetCounts({ counts }: { counts: Readonly<Record<string, number>> }) {
  return (
    <Flex gap={4} wrap data-testid="run-counts">
      {countsInOrder(counts).map(([state, count]) => (
        <Tag
          key={state}
          style={{
            color: targetStateStyles[state].color,
            background: targetStateStyles[state].background,
            borderColor: 'transparent',
            marginInlineEnd: 0,
          }}
        >
          {count} {targetStateStyles[state].label}
        </Tag>
      ))}
    </Flex>
  );
}

const columns: TableColumnsType<JobRun> = [
  {
    title: 'Run',
    key: 'id',
    render: (_, run) => <IdLink to={jobRunPath(run.id)}>{run.id}</IdLink>,
  },
  { title: 'State', key: 'state', width: 120, render: (_, run) => <RunStateTag run={run} /> },
  {
    title: 'Template',
    key: 'template',
    render: (_, run) =>
      run.template ? (
        <Link to={jobTemplatePath(run.team, run.template)}>{run.template}</Link>
      ) : (
        <Tag color="warning">ad-hoc script</Tag>
      ),
  },
  { title: 'Team', key: 'team', render: (_, run) => run.team },
  {
    title: 'By',
    key: 'createdBy',
    render: (_, run) => (run.schedule ? `schedule ${run.schedule}` : run.createdBy),
  },
  {
    title: 'When',
    key: 'createdAt',
    render: (_, run) => <Age time={run.createdAt} />,
  },
  {
    title: 'Took',
    key: 'took',
    render: (_, run) => formatDuration(run.createdAt, run.finishedAt),
  },
  { title: 'Targets', key: 'counts', render: (_, run) => <TargetCounts counts={run.counts} /> },
];

/** `/jobs/runs`: job runs, newest first, with team, template and state filters. */
export function JobRunsPage() {
  const [params, setParams] = useSearchParams();
  const team = params.get('team') || undefined;
  const template = params.get('template') || undefined;
  const state = (params.get('state') || undefined) as JobRunState | undefined;
  const teams = useTeamNames();
  const runs = useInfiniteQuery({
    queryKey: ['jobs', 'runs', team ?? '', template ?? '', state ?? ''],
    queryFn: ({ pageParam, signal }) =>
      listJobRuns({ team, template, state }, { limit: pageSize, continueToken: pageParam, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.continue,
    refetchInterval: (query) =>
      query.state.data?.pages.some((page) => page.items.some((run) => run.state === 'Running'))
        ? refreshMs
        : false,
  });
  const items = (runs.data?.pages ?? []).flatMap((page) => page.items);

  const setParam = (key: string, value: string | undefined): void => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  return (
    <>
      <PageHeader
        title="Job runs"
        subtitle="Every run of a template, an ad-hoc script or a schedule, and its targets by state."
        crumbs={[{ label: 'Management' }, { label: 'Jobs' }, { label: 'Runs' }]}
        extra={
          <Button icon={<ReloadOutlined />} onClick={() => void runs.refetch()} loading={runs.isRefetching}>
            Refresh
          </Button>
        }
      />
      <Card>
        <Flex gap={8} wrap style={{ marginBottom: 16 }}>
          <Select
            allowClear
            placeholder="All teams"
            value={team}
            style={{ width: 200 }}
            options={teams.map((name) => ({ value: name, label: name }))}
            onChange={(value: string | undefined) => setParam('team', value)}
          />
          <Input.Search
            allowClear
            placeholder="Template"
            defaultValue={template}
            style={{ width: 220 }}
            onSearch={(value) => setParam('template', value.trim() || undefined)}
          />
          <Select
            allowClear
            placeholder="Any state"
            value={state}
            style={{ width: 160 }}
            options={runStates.map((value) => ({ value, label: value }))}
            onChange={(value: string | undefined) => setParam('state', value)}
          />
        </Flex>
        <PagedTable<JobRun>
          query={runs}
          items={items}
          columns={columns}
          rowKey="id"
          testId="job-runs"
          empty="No runs."
        />
      </Card>
    </>
  );
}
