import { ReloadOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Button,
  Card,
  Descriptions,
  Empty,
  Flex,
  Input,
  Select,
  Space,
  Statistic,
  Table,
  Tabs,
  Tag,
  Tooltip,
  type TableColumnsType,
} from 'antd';
import { lazy, Suspense, useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { HealingRunSummary, HealingScorecard } from '@gantry/client';
import {
  decideHealingRun,
  getHealingScorecard,
  getHealingStats,
  listHealingPolicies,
  listHealingRuns,
  type HealingPolicy,
} from '../../api/healing';
import { Age } from '../../components/age';
import { ErrorAlert } from '../../components/error-alert';
import { IdLink } from '../../components/mono';
import { PageHeader } from '../../components/page-header';
import { PagedTable } from '../../components/paged-table';
import { useTeamNames } from '../../hooks/use-team-names';
import { formatTime } from '../../lib/format';
import { HEALING_PHASE_LIST, healingRunPath, percent } from '../../lib/healing';
import { ReasonModal } from '../../components/reason-modal';
import { DryRunModal } from './dry-run-modal';
import { HealingPhaseTag } from './healing-tags';

const refreshMs = 5_000;
// The MTTR chart (ECharts) loads when the statistics tab opens, not with the runs.
const RecoveryChart = lazy(async () => ({ default: (await import('./recovery-chart')).RecoveryChart }));

function runColumns(team: string): TableColumnsType<HealingRunSummary> {
  return [
    {
      title: 'Run',
      key: 'id',
      render: (_, run) => <IdLink to={healingRunPath(team, run.id)}>{run.id.slice(0, 12)}</IdLink>,
    },
    { title: 'Policy', key: 'policy', render: (_, run) => run.policy },
    { title: 'Entity', key: 'entity', render: (_, run) => run.entity },
    {
      title: 'Phase',
      key: 'phase',
      render: (_, run) => (
        <Tooltip title={`${run.reason}: ${run.message}`}>
          <span>
            <HealingPhaseTag phase={run.phase} />
          </span>
        </Tooltip>
      ),
    },
    { title: 'Root cause', key: 'rootCause', render: (_, run) => run.rootCause ?? '—' },
    { title: 'Action', key: 'chosen', render: (_, run) => run.chosen ?? '—' },
    {
      title: 'When',
      key: 'createdAt',
      render: (_, run) => <Age time={run.createdAt} />,
    },
  ];
}

function RunsTab({ team }: { team: string }) {
  const [params, setParams] = useSearchParams();
  const phase = params.get('phase') || undefined;
  const policy = params.get('policy') || undefined;
  const entity = params.get('entity') || undefined;
  const runs = useInfiniteQuery({
    queryKey: ['healing', 'runs', team, phase ?? '', policy ?? '', entity ?? ''],
    queryFn: ({ pageParam, signal }) =>
      listHealingRuns(
        team,
        {
          limit: 50,
          ...(phase ? { phase } : {}),
          ...(policy ? { policy } : {}),
          ...(entity ? { entity } : {}),
          ...(pageParam ? { continue: pageParam } : {}),
        },
        signal,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.continue,
    refetchInterval: refreshMs,
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
      <Flex gap={8} wrap style={{ marginBottom: 16 }}>
        <Select
          allowClear
          placeholder="Any phase"
          value={phase}
          style={{ width: 180 }}
          data-testid="healing-phase-filter"
          options={HEALING_PHASE_LIST.map((value) => ({ value, label: value }))}
          onChange={(value: string | undefined) => setParam('phase', value)}
        />
        <Input.Search
          allowClear
          placeholder="Policy"
          defaultValue={policy}
          style={{ width: 200 }}
          onSearch={(value) => setParam('policy', value.trim() || undefined)}
        />
        <Input.Search
          allowClear
          placeholder="Entity, e.g. Node/east/n1"
          defaultValue={entity}
          style={{ width: 240 }}
          onSearch={(value) => setParam('entity', value.trim() || undefined)}
        />
      </Flex>
      <PagedTable<HealingRunSummary>
        query={runs}
        items={items}
        columns={runColumns(team)}
        rowKey="id"
        testId="healing-runs"
        empty="No healing runs."
      />
    </>
  );
}

/** The runs waiting for a person, each with approve and reject (a reason required, recorded with who). */
function ApprovalsTab({ team }: { team: string }) {
  const client = useQueryClient();
  const [deciding, setDeciding] = useState<{ id: string; verb: 'approve' | 'reject' } | undefined>();
  const waiting = useQuery({
    queryKey: ['healing', 'approvals', team],
    queryFn: ({ signal }) =>
      listHealingRuns(team, { phase: 'AwaitingApproval', state: 'active', limit: 200 }, signal),
    refetchInterval: refreshMs,
  });
  const columns: TableColumnsType<HealingRunSummary> = [
    ...runColumns(team).slice(0, 3),
    {
      title: 'Waits for',
      key: 'action',
      render: (_, run) => <Tag color="warning">{run.awaitingApproval?.action ?? run.chosen}</Tag>,
    },
    {
      title: 'Expires at',
      key: 'expires',
      render: (_, run) =>
        run.awaitingApproval ? (
          <span data-testid="approval-expires">{formatTime(run.awaitingApproval.expiresAt)}</span>
        ) : (
          '—'
        ),
    },
    {
      title: '',
      key: 'decide',
      render: (_, run) => (
        <Space>
          <Button
            size="small"
            type="primary"
            data-testid={`approve-${run.id}`}
            onClick={() => setDeciding({ id: run.id, verb: 'approve' })}
          >
            Approve
          </Button>
          <Button
            size="small"
            danger
            data-testid={`reject-${run.id}`}
            onClick={() => setDeciding({ id: run.id, verb: 'reject' })}
          >
            Reject
          </Button>
        </Space>
      ),
    },
  ];
  return (
    <>
      <ErrorAlert error={waiting.error} style={{ marginBottom: 16 }} />
      <Table<HealingRunSummary>
        data-testid="healing-approvals"
        rowKey="id"
        columns={columns}
        dataSource={waiting.data?.items ?? []}
        loading={waiting.isPending}
        pagination={false}
        size="middle"
        locale={{ emptyText: 'Nothing waits for an approval.' }}
      />
      <ReasonModal
        title={deciding?.verb === 'reject' ? 'Reject the action' : 'Approve the action'}
        okText={deciding?.verb === 'reject' ? 'Reject' : 'Approve'}
        danger={deciding?.verb === 'reject'}
        open={deciding !== undefined}
        act={(reason) => decideHealingRun(team, deciding!.id, deciding!.verb, reason)}
        onClose={() => setDeciding(undefined)}
        onDone={() => {
          setDeciding(undefined);
          void client.invalidateQueries({ queryKey: ['healing'] });
        }}
      />
    </>
  );
}

type PolicyRow = { name: string; policy?: HealingPolicy; card?: HealingScorecard };

/** The team's policies with their mode, and the shadow scorecard of those in shadow mode. */
function PoliciesTab({ team }: { team: string }) {
  const [dryRun, setDryRun] = useState<{ policy?: string } | undefined>();
  const policies = useQuery({
    queryKey: ['healing', 'policies', team],
    queryFn: ({ signal }) => listHealingPolicies(team, signal),
  });
  const scorecard = useQuery({
    queryKey: ['healing', 'scorecard', team],
    queryFn: ({ signal }) => getHealingScorecard(team, signal),
  });
  const cards = new Map((scorecard.data?.items ?? []).map((card) => [card.policy, card]));
  const rows: PolicyRow[] = (policies.data ?? []).map((policy) => ({
    name: policy.metadata.name,
    policy,
    ...(cards.has(policy.metadata.name) ? { card: cards.get(policy.metadata.name) } : {}),
  }));
  const columns: TableColumnsType<PolicyRow> = [
    {
      title: 'Policy',
      key: 'name',
      render: (_, row) => (
        <Link to={`/resources/healingpolicies/${encodeURIComponent(team)}/${encodeURIComponent(row.name)}`}>
          {row.name}
        </Link>
      ),
    },
    {
      title: 'Mode',
      key: 'mode',
      render: (_, row) => {
        const mode = row.policy?.spec.guardrails.mode ?? 'Shadow';
        return (
          <Tag color={mode === 'Act' ? 'green' : 'purple'}>
            {row.policy?.spec.suspend ? 'Suspended' : mode}
          </Tag>
        );
      },
    },
    {
      title: 'Tree',
      key: 'tree',
      render: (_, row) => {
        const tree = row.policy?.spec.diagnosis.tree ?? '';
        return tree.startsWith('builtin/') ? (
          tree
        ) : (
          <Link to={`/resources/diagnosistrees/${encodeURIComponent(team)}/${encodeURIComponent(tree)}`}>
            {tree}
          </Link>
        );
      },
    },
    { title: 'Shadow runs', key: 'runs', render: (_, row) => (row.card ? row.card.runs : '—') },
    {
      title: 'Would run',
      key: 'would',
      render: (_, row) =>
        row.card
          ? Object.entries(row.card.wouldRun).map(([action, n]) => (
              <Tag key={action}>
                {action} × {n}
              </Tag>
            ))
          : '—',
    },
    {
      title: 'Resolved anyway',
      key: 'resolved',
      render: (_, row) => (row.card ? row.card.resolvedWithoutAction : '—'),
    },
    { title: 'Still active', key: 'active', render: (_, row) => (row.card ? row.card.stillActive : '—') },
    {
      title: 'Incomplete',
      key: 'incomplete',
      render: (_, row) => (row.card ? row.card.diagnosisIncomplete : '—'),
    },
    {
      title: '',
      key: 'dry-run',
      render: (_, row) => (
        <Button
          size="small"
          data-testid={`dry-run-${row.name}`}
          onClick={() => setDryRun({ policy: row.name })}
        >
          Try it…
        </Button>
      ),
    },
  ];
  return (
    <>
      <ErrorAlert error={policies.error ?? scorecard.error} style={{ marginBottom: 16 }} />
      <Flex justify="flex-end" style={{ marginBottom: 12 }}>
        <Space>
          <Button onClick={() => setDryRun({})}>Try every policy…</Button>
          <Link to="/resources/healingpolicies/new">
            <Button>New policy (YAML)</Button>
          </Link>
          <Link to="/resources/diagnosistrees/new">
            <Button>New tree (YAML)</Button>
          </Link>
        </Space>
      </Flex>
      <Table<PolicyRow>
        data-testid="healing-policies"
        rowKey="name"
        columns={columns}
        dataSource={rows}
        loading={policies.isPending}
        pagination={false}
        size="middle"
        locale={{ emptyText: 'No healing policies.' }}
      />
      <DryRunModal
        team={team}
        policy={dryRun?.policy}
        open={dryRun !== undefined}
        onClose={() => setDryRun(undefined)}
      />
    </>
  );
}

const WINDOWS = [
  { value: '1', label: 'Last day' },
  { value: '7', label: 'Last 7 days' },
  { value: '30', label: 'Last 30 days' },
];

/** Runs by outcome and root cause, share healed without a person, recovery p50/p90, actions' success. */
function StatsTab({ team }: { team: string }) {
  const [days, setDays] = useState('7');
  const stats = useQuery({
    queryKey: ['healing', 'stats', team, days],
    queryFn: ({ signal }) =>
      getHealingStats(team, new Date(Date.now() - Number(days) * 86_400_000).toISOString(), signal),
  });
  const data = stats.data;
  const minutes = (ms: number | undefined) => (ms === undefined ? '—' : `${Math.round(ms / 60_000)} min`);
  return (
    <>
      <Flex gap={8} style={{ marginBottom: 16 }}>
        <Select value={days} style={{ width: 160 }} options={WINDOWS} onChange={setDays} />
      </Flex>
      <ErrorAlert error={stats.error} style={{ marginBottom: 16 }} />
      {data && (
        <div data-testid="healing-stats">
          <Flex gap={32} wrap style={{ marginBottom: 24 }}>
            <Statistic title="Runs" value={data.runs} />
            <Statistic title="Healed without a person" value={percent(data.autoHealed.share)} />
            <Statistic title="Recovery p50" value={minutes(data.timeToRecovery.p50Ms)} />
            <Statistic title="Recovery p90" value={minutes(data.timeToRecovery.p90Ms)} />
            <Statistic title="Escalations" value={data.escalations.total} />
          </Flex>
          {data.recovery && (
            <Flex style={{ marginBottom: 24 }}>
              <Suspense fallback={null}>
                <RecoveryChart recovery={data.recovery} />
              </Suspense>
            </Flex>
          )}
          <Flex gap={24} wrap align="flex-start">
            <Card size="small" title="By outcome" style={{ minWidth: 260 }}>
              {Object.keys(data.byOutcome).length === 0 ? (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
              ) : (
                <Descriptions column={1} size="small">
                  {Object.entries(data.byOutcome).map(([phase, n]) => (
                    <Descriptions.Item key={phase} label={phase}>
                      {n}
                    </Descriptions.Item>
                  ))}
                </Descriptions>
              )}
            </Card>
            <Card size="small" title="By root cause" style={{ minWidth: 300 }}>
              <Table
                size="small"
                rowKey="rootCause"
                pagination={false}
                dataSource={data.byRootCause}
                columns={[
                  { title: 'Root cause', dataIndex: 'rootCause' },
                  { title: 'Runs', dataIndex: 'runs' },
                  { title: 'Healed', dataIndex: 'healed' },
                ]}
              />
            </Card>
            <Card size="small" title="Actions" style={{ minWidth: 360 }}>
              <Table
                size="small"
                rowKey="action"
                pagination={false}
                dataSource={data.actions}
                columns={[
                  { title: 'Action', dataIndex: 'action' },
                  { title: 'Started', dataIndex: 'started' },
                  { title: 'Succeeded', dataIndex: 'succeeded' },
                  { title: 'Failed', dataIndex: 'failed' },
                  {
                    title: 'Success',
                    key: 'rate',
                    render: (_, row: { successRate?: number }) => percent(row.successRate),
                  },
                ]}
              />
            </Card>
          </Flex>
        </div>
      )}
    </>
  );
}

/** `/healing`: a team's healing runs, the approvals inbox, the policies with their scorecard, statistics. */
export function HealingPage() {
  const [params, setParams] = useSearchParams();
  const teams = useTeamNames();
  const team = params.get('team') || teams[0];
  const tab = params.get('tab') || 'runs';
  const client = useQueryClient();
  useEffect(() => {
    if (!params.get('team') && teams[0]) {
      const next = new URLSearchParams(params);
      next.set('team', teams[0]);
      setParams(next, { replace: true });
    }
  }, [params, setParams, teams]);
  const setParam = (key: string, value: string): void => {
    const next = new URLSearchParams(params);
    next.set(key, value);
    setParams(next, { replace: true });
  };
  return (
    <>
      <PageHeader
        title="Healing"
        subtitle="What healed itself, what waits for a person, and how each policy scores before it is trusted to act."
        crumbs={[{ label: 'Control' }, { label: 'Healing' }]}
        extra={
          <Space>
            <Select
              placeholder="Team"
              value={team}
              style={{ width: 200 }}
              data-testid="healing-team"
              options={teams.map((name) => ({ value: name, label: name }))}
              onChange={(value: string) => setParam('team', value)}
            />
            <Button
              icon={<ReloadOutlined />}
              onClick={() => void client.invalidateQueries({ queryKey: ['healing'] })}
            >
              Refresh
            </Button>
          </Space>
        }
      />
      <Card>
        {team ? (
          <Tabs
            activeKey={tab}
            onChange={(key) => setParam('tab', key)}
            items={[
              { key: 'runs', label: 'Runs', children: <RunsTab team={team} /> },
              { key: 'approvals', label: 'Approvals', children: <ApprovalsTab team={team} /> },
              { key: 'policies', label: 'Policies', children: <PoliciesTab team={team} /> },
              { key: 'stats', label: 'Statistics', children: <StatsTab team={team} /> },
            ]}
          />
        ) : (
          <Empty description="You are in no team." />
        )}
      </Card>
    </>
  );
}
