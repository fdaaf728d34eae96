import { PlayCircleOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  Empty,
  Flex,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
  type TableColumnsType,
} from 'antd';
import { useState } from 'react';
import { useParams } from 'react-router';
import type { InspectionCheckResult, InspectionFinding, InspectionRun } from '@gantry/client';
import { diffInspectionRuns, getInspectionRun, listInspectionRuns, runInspection } from '../../api/health';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { useMe } from '../../hooks/use-me';
import { formatTime } from '../../lib/format';
import { diffRows, entityLabel, type DiffRow } from '../../lib/health';
import { mayOperate } from '../../lib/jobs';
import { ScoreTag } from './health-tags';

const outcomeColors: Record<InspectionCheckResult['outcome'], string> = {
  ok: 'green',
  risks: 'orange',
  noData: 'default',
  failed: 'red',
};

const runStateColors: Record<InspectionRun['state'], string> = {
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
};

function runLabel(run: InspectionRun): string {
  return `${formatTime(run.startedAt)} · ${run.trigger} · ${run.counts.findings} risks`;
}

function FindingsTable({ findings }: { findings: readonly InspectionFinding[] }) {
  return (
    <Table<InspectionFinding>
      rowKey="key"
      size="small"
      pagination={false}
      dataSource={[...findings]}
      columns={[
        { title: 'Score', key: 'score', width: 80, render: (_, f) => <ScoreTag score={f.score} /> },
        { title: 'Risk', dataIndex: 'title', key: 'title' },
        {
          title: 'Concerns',
          key: 'entities',
          render: (_, f) => f.entities.map(entityLabel).join(', ') || '—',
        },
      ]}
    />
  );
}

function RunResults({ team, runId }: { team: string; runId: string }) {
  const run = useQuery({
    queryKey: ['inspection-run', team, runId],
    queryFn: ({ signal }) => getInspectionRun(team, runId, signal),
  });
  if (run.error) return <ErrorAlert error={run.error} />;
  if (!run.data) return <Card loading size="small" />;
  const columns: TableColumnsType<InspectionCheckResult> = [
    { title: 'Check', dataIndex: 'check', key: 'check' },
    { title: 'Type', dataIndex: 'type', key: 'type', width: 100 },
    {
      title: 'Outcome',
      key: 'outcome',
      width: 110,
      render: (_, result) => <Tag color={outcomeColors[result.outcome]}>{result.outcome}</Tag>,
    },
    {
      title: 'Message',
      key: 'message',
      render: (_, result) => (
        <Space direction="vertical" size={0}>
          <Typography.Text>{result.message}</Typography.Text>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {result.reason} · {result.durationMs.toFixed(0)} ms
            {result.dropped > 0 ? ` · ${result.dropped} dropped over maxRisks` : ''}
          </Typography.Text>
        </Space>
      ),
    },
    { title: 'Risks', key: 'findings', width: 70, render: (_, result) => result.findings.length },
  ];
  return (
    <Card
      size="small"
      title={`Run ${run.data.id}`}
      data-testid="inspection-run-results"
      extra={
        <Typography.Text type="secondary">
          {run.data.trigger} by {run.data.createdBy} · {formatTime(run.data.startedAt)} →{' '}
          {formatTime(run.data.finishedAt)}
        </Typography.Text>
      }
    >
      <Table<InspectionCheckResult>
        rowKey="check"
        size="small"
        pagination={false}
        columns={columns}
        dataSource={run.data.results}
        expandable={{
          rowExpandable: (result) => result.findings.length > 0,
          expandedRowRender: (result) => <FindingsTable findings={result.findings} />,
        }}
      />
    </Card>
  );
}

const changeTags: Record<DiffRow['change'], { color: string; label: string }> = {
  new: { color: 'red', label: '+ new' },
  gone: { color: 'green', label: '− gone' },
  changed: { color: 'orange', label: '~ changed' },
};

function RunDiff({ team, runId, against }: { team: string; runId: string; against: string | undefined }) {
  const diff = useQuery({
    queryKey: ['inspection-diff', team, runId, against ?? ''],
    queryFn: ({ signal }) => diffInspectionRuns(team, runId, against, signal),
  });
  if (diff.error) return <ErrorAlert error={diff.error} />;
  if (!diff.data) return <Card loading size="small" />;
  const rows = diffRows(diff.data);
  return (
    <Card
      size="small"
      title="What changed"
      data-testid="inspection-diff"
      extra={
        <Typography.Text type="secondary" data-testid="inspection-diff-summary">
          {diff.data.against
            ? `${diff.data.new.length} new, ${diff.data.gone.length} gone, ${diff.data.changed.length} changed, ${diff.data.unchanged} unchanged`
            : 'no earlier run to compare with'}
        </Typography.Text>
      }
    >
      {diff.data.unknown.length > 0 && (
        <Typography.Paragraph type="secondary">
          Not compared (no verdict in one of the runs): {diff.data.unknown.join(', ')}
        </Typography.Paragraph>
      )}
      {rows.length === 0 ? (
        <Empty description="No difference." />
      ) : (
        <Table<DiffRow>
          rowKey={(row) => `${row.change}/${row.check}/${row.key}`}
          size="small"
          pagination={false}
          dataSource={rows}
          onRow={(row) => ({ 'data-testid': `diff-${row.change}` }) as object}
          columns={[
            {
              title: 'Change',
              key: 'change',
              width: 110,
              render: (_, row) => (
                <Tag color={changeTags[row.change].color}>{changeTags[row.change].label}</Tag>
              ),
            },
            { title: 'Check', dataIndex: 'check', key: 'check' },
            { title: 'Risk', dataIndex: 'title', key: 'title' },
            {
              title: 'Score',
              key: 'score',
              width: 120,
              render: (_, row) =>
                row.previousScore === undefined ? row.score : `${row.previousScore} → ${row.score}`,
            },
          ]}
        />
      )}
    </Card>
  );
}

/** `/health/teams/:team/inspections/:name`: an Inspection's runs, a run's results, and two runs compared. */
export function InspectionPage() {
  const { team = '', name = '' } = useParams();
  const me = useMe();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [selected, setSelected] = useState<string>();
  const [against, setAgainst] = useState<string>();
  const runs = useQuery({
    queryKey: ['inspection-runs', team, name],
    queryFn: ({ signal }) => listInspectionRuns(team, name, signal),
    refetchInterval: 10_000,
  });
  const runNow = useMutation({
    mutationFn: () => runInspection(team, name),
    onSuccess: async (run) => {
      void message.success(`Run finished: ${run.counts.findings} risks`);
      setSelected(run.id);
      setAgainst(undefined);
      await queryClient.invalidateQueries({ queryKey: ['inspection-runs', team, name] });
      await queryClient.invalidateQueries({ queryKey: ['risks', team] });
    },
  });
  const canOperate = mayOperate(me.data, team, false);
  const items = runs.data?.items ?? [];
  const current = selected ?? items[0]?.id;
  const columns: TableColumnsType<InspectionRun> = [
    { title: 'Started', key: 'startedAt', render: (_, run) => formatTime(run.startedAt) },
    { title: 'Trigger', key: 'trigger', width: 100, render: (_, run) => run.trigger },
    {
      title: 'State',
      key: 'state',
      width: 100,
      render: (_, run) => <Tag color={runStateColors[run.state]}>{run.state}</Tag>,
    },
    {
      title: 'Checks',
      key: 'counts',
      render: (_, run) =>
        `${run.counts.checks} (${run.counts.ok} ok, ${run.counts.risks} with risks, ${run.counts.noData} no data, ${run.counts.failed} failed)`,
    },
    { title: 'Risks', key: 'findings', width: 70, render: (_, run) => run.counts.findings },
    { title: 'By', dataIndex: 'createdBy', key: 'createdBy', width: 140 },
  ];
  return (
    <>
      <PageHeader
        title={`Inspection ${name}`}
        subtitle="Each run with its checks' outcomes, and what changed between two runs."
        crumbs={[
          { label: 'Monitoring' },
          { label: 'Health center', to: `/health?team=${encodeURIComponent(team)}&tab=inspections` },
          { label: name },
        ]}
        extra={
          <Tooltip title={canOperate ? undefined : 'Operators run inspections'}>
            <Button
              type="primary"
              icon={<PlayCircleOutlined />}
              disabled={!canOperate}
              loading={runNow.isPending}
              onClick={() => runNow.mutate()}
              data-testid="inspection-run-now"
            >
              Run now
            </Button>
          </Tooltip>
        }
      />
      <ErrorAlert error={runs.error ?? runNow.error} style={{ marginBottom: 16 }} />
      <Space direction="vertical" size={16} style={{ width: '100%' }}>
        <Card size="small" title="Runs">
          <Table<InspectionRun>
            rowKey="id"
            size="small"
            loading={runs.isPending}
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            columns={columns}
            dataSource={items}
            rowSelection={{
              type: 'radio',
              selectedRowKeys: current ? [current] : [],
              onChange: (keys) => {
                setSelected(String(keys[0]));
                setAgainst(undefined);
              },
            }}
            onRow={(run) => ({ 'data-testid': `inspection-run-${run.id}` }) as object}
            locale={{ emptyText: 'No runs yet.' }}
          />
        </Card>
        {current && (
          <>
            <Flex gap={8} align="center">
              <Typography.Text>Compare the selected run with</Typography.Text>
              <Select
                style={{ minWidth: 360 }}
                allowClear
                placeholder="the run before it"
                value={against}
                onChange={(value: string | undefined) => setAgainst(value)}
                data-testid="inspection-diff-against"
                options={items
                  .filter((run) => run.id !== current)
                  .map((run) => ({ value: run.id, label: runLabel(run) }))}
              />
            </Flex>
            <RunDiff team={team} runId={current} against={against} />
            <RunResults team={team} runId={current} />
          </>
        )}
      </Space>
    </>
  );
}
