import { CalendarOutlined, ReloadOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Button, Card, Flex, Progress, Select, Table, Tag, Tooltip, type TableColumnsType } from 'antd';
import { Link, useSearchParams } from 'react-router';
import { actuationOf, changeSummary, type ChangeActuation, type ChangePhase } from '@gantry/client';
import { listChanges, type Change } from '../../api/changes';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { useTeamNames } from '../../hooks/use-team-names';
import {
  CHANGE_PHASE_LIST,
  ENDED_PHASES,
  changeCalendarPath,
  changePath,
  changeProgress,
  phaseColors,
  windowState,
} from '../../lib/changes';
import { formatAge, formatTime } from '../../lib/format';
import { LineCard } from './line-card';

const refreshMs = 3_000;

export function PhaseTag({ phase }: { phase: ChangePhase | undefined }) {
  const value = phase ?? 'Pending';
  return (
    <Tag color={phaseColors[value]} data-testid="change-phase">
      {value}
    </Tag>
  );
}

const columns: TableColumnsType<Change> = [
  {
    title: 'Change',
    key: 'name',
    render: (_, change) => (
      <Link to={changePath(change.metadata.team ?? '', change.metadata.name)}>{change.metadata.name}</Link>
    ),
  },
  { title: 'Team', key: 'team', render: (_, change) => change.metadata.team },
  {
    title: 'Phase',
    key: 'phase',
    render: (_, change) => (
      <Tooltip title={change.status?.message}>
        <span>
          <PhaseTag phase={change.status?.phase} />
        </span>
      </Tooltip>
    ),
  },
  { title: 'Action', key: 'action', render: (_, change) => changeSummary(change.spec) },
  {
    title: 'Progress',
    key: 'progress',
    width: 200,
    render: (_, change) => {
      const progress = changeProgress(change.status);
      const batches = change.status?.batches?.length ?? 0;
      return (
        <Tooltip
          title={`${progress.applied} of ${progress.total} entities; batch ${(change.status?.currentBatch ?? 0) + 1} of ${batches}`}
        >
          <Progress percent={progress.percent} size="small" data-testid="change-progress" />
        </Tooltip>
      );
    },
  },
  {
    title: 'Window',
    key: 'window',
    render: (_, change) => {
      const state = windowState(change.status);
      return state.waiting ? (
        <Tag color="warning" data-testid="change-window">
          {state.label}
        </Tag>
      ) : (
        <span data-testid="change-window">{state.label}</span>
      );
    },
  },
  {
    title: 'Started',
    key: 'startedAt',
    render: (_, change) =>
      change.status?.startedAt ? (
        <Tooltip title={formatTime(change.status.startedAt)}>
          {formatAge(change.status.startedAt)} ago
        </Tooltip>
      ) : (
        '—'
      ),
  },
];

const ACTIONS: { value: ChangeActuation; label: string }[] = [
  { value: 'nodeOperation', label: 'Node operations' },
  { value: 'jobRun', label: 'Job runs' },
  { value: 'applicationRevision', label: 'Application rollouts' },
  { value: 'workloadOperation', label: 'Workload operations' },
  { value: 'definitionUpgrade', label: 'Definition upgrades' },
  { value: 'kubernetesJob', label: 'Kubernetes Jobs' },
];

/** `/changes`: every change the caller can read, with team, phase, action and window filters, and the line. */
export function ChangesPage() {
  const [params, setParams] = useSearchParams();
  const team = params.get('team') || undefined;
  const phase = (params.get('phase') || undefined) as ChangePhase | undefined;
  const action = params.get('action') || undefined;
  const waiting = params.get('window') || undefined;
  const teams = useTeamNames();
  const changes = useQuery({
    queryKey: ['changes', 'list', team ?? ''],
    queryFn: ({ signal }) => listChanges(team, signal),
    refetchInterval: (query) =>
      query.state.data?.some((change) => !ENDED_PHASES.has(change.status?.phase ?? 'Pending'))
        ? refreshMs
        : false,
  });
  const items = (changes.data ?? [])
    .filter((change) => !phase || (change.status?.phase ?? 'Pending') === phase)
    .filter((change) => !action || actuationOf(change.spec) === action)
    .filter((change) => !waiting || (waiting === 'waiting') === windowState(change.status).waiting)
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));

  const setParam = (key: string, value: string | undefined): void => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  return (
    <>
      <PageHeader
        title="Changes"
        subtitle="Changes to many entities in observed batches, inside the teams' ChangeWindows."
        crumbs={[{ label: 'Management' }, { label: 'Changes' }]}
        extra={
          <Flex gap={8}>
            <Link to={team ? `${changeCalendarPath}?team=${encodeURIComponent(team)}` : changeCalendarPath}>
              <Button icon={<CalendarOutlined />} data-testid="open-calendar">
                Windows calendar
              </Button>
            </Link>
            <Button
              icon={<ReloadOutlined />}
              onClick={() => void changes.refetch()}
              loading={changes.isRefetching}
            >
              Refresh
            </Button>
          </Flex>
        }
      />
      <Flex vertical gap={16}>
        {team && <LineCard team={team} />}
        <Card>
          <Flex gap={8} wrap style={{ marginBottom: 16 }}>
            <Select
              allowClear
              placeholder="All teams"
              value={team}
              style={{ width: 200 }}
              data-testid="filter-team"
              options={teams.map((name) => ({ value: name, label: name }))}
              onChange={(value: string | undefined) => setParam('team', value)}
            />
            <Select
              allowClear
              placeholder="Any phase"
              value={phase}
              style={{ width: 160 }}
              data-testid="filter-phase"
              options={CHANGE_PHASE_LIST.map((value) => ({ value, label: value }))}
              onChange={(value: string | undefined) => setParam('phase', value)}
            />
            <Select
              allowClear
              placeholder="Any action"
              value={action}
              style={{ width: 180 }}
              options={ACTIONS}
              onChange={(value: string | undefined) => setParam('action', value)}
            />
            <Select
              allowClear
              placeholder="Any window state"
              value={waiting}
              style={{ width: 200 }}
              options={[
                { value: 'waiting', label: 'Waiting for a window' },
                { value: 'open', label: 'Not waiting' },
              ]}
              onChange={(value: string | undefined) => setParam('window', value)}
            />
          </Flex>
          {!team && (
            <Tag style={{ marginBottom: 12 }}>Pick a team to see and use its stop-the-line switch.</Tag>
          )}
          <ErrorAlert error={changes.error} style={{ marginBottom: 16 }} />
          <Table<Change>
            data-testid="changes"
            rowKey={(change) => `${change.metadata.team}/${change.metadata.name}`}
            columns={columns}
            dataSource={items}
            loading={changes.isPending}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            size="middle"
            locale={{ emptyText: 'No changes.' }}
          />
        </Card>
      </Flex>
    </>
  );
}
