import { RedoOutlined, StopOutlined } from '@ant-design/icons';
import { App, Button, Card, Descriptions, Empty, Flex, Popconfirm, Tag, Tooltip, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import type { JobRunWithTargets, JobTarget } from '@gantry/client';
import { cancelJobRun, getJobRun, rerunFailedTargets } from '../../api/jobs';
import { ErrorAlert } from '../../components/error-alert';
import { LogViewer } from '../../components/log-viewer';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { useMe } from '../../hooks/use-me';
import { formatTime } from '../../lib/format';
import {
  formatDuration,
  isRerunnable,
  jobRunPath,
  jobRunsPath,
  jobTemplatePath,
  mayOperate,
  targetStateStyles,
} from '../../lib/jobs';
import { RunStateTag, TargetCounts } from './job-runs-page';

/** The run is read again this often while it goes on (the grid follows its targets). */
const refreshMs = 1_000;

/** `/jobs/runs/:id`: the run, its targets as a grid by state, a target's live output, cancel and re-run. */
export function JobRunPage() {
  const { id = '' } = useParams();
  const run = useQuery({
    queryKey: ['jobs', 'run', id],
    queryFn: ({ signal }) => getJobRun(id, signal),
    refetchInterval: (query) => (query.state.data?.state === 'Running' ? refreshMs : false),
  });
  if (run.isPending) return <PageLoading />;
  if (run.error) return <ErrorAlert error={run.error} />;
  return <RunView run={run.data} />;
}

function RunView({ run }: { run: JobRunWithTargets }) {
  const [params, setParams] = useSearchParams();
  const selected = params.get('target') ?? undefined;
  const selectedTarget = run.targetList.find((target) => target.target === selected);
  const select = (target: string): void => {
    const next = new URLSearchParams(params);
    next.set('target', target);
    setParams(next, { replace: true });
  };

  return (
    <>
      <PageHeader
        title={
          <span>
            Run <span style={{ fontFamily: 'ui-monospace, monospace', fontSize: '0.8em' }}>{run.id}</span>
          </span>
        }
        subtitle={run.template ? `of ${run.team}/${run.template}` : `an ad-hoc script in ${run.team}`}
        crumbs={[{ label: 'Jobs' }, { label: 'Runs', to: jobRunsPath }, { label: run.id }]}
        extra={<RunActions run={run} />}
      />
      <Card size="small" style={{ marginBottom: 16 }}>
        <Descriptions size="small" column={{ xs: 1, md: 2, xl: 4 }}>
          <Descriptions.Item label="State">
            <RunStateTag run={run} />
            <Typography.Text type="secondary" data-testid="run-reason" style={{ marginInlineStart: 4 }}>
              {run.reason}
            </Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label="Template">
            {run.template ? (
              <Link to={jobTemplatePath(run.team, run.template)}>{run.template}</Link>
            ) : (
              <Tag color="warning">ad-hoc script</Tag>
            )}
            <Tooltip title={`script SHA-256 ${run.scriptSha256}`}>
              <Typography.Text type="secondary" style={{ marginInlineStart: 6 }}>
                v{run.templateVersion || '—'}
              </Typography.Text>
            </Tooltip>
          </Descriptions.Item>
          <Descriptions.Item label="By">
            {run.schedule ? `schedule ${run.schedule}` : run.createdBy}
          </Descriptions.Item>
          <Descriptions.Item label="Started">{formatTime(run.createdAt)}</Descriptions.Item>
          <Descriptions.Item label="Took">{formatDuration(run.createdAt, run.finishedAt)}</Descriptions.Item>
          <Descriptions.Item label="Pace">
            {run.concurrency} at once
            {run.batchSize ? `, batches of ${run.batchSize}` : ''}
            {run.stopAfterFailures ? `, stop after ${run.stopAfterFailures} failed` : ''}
          </Descriptions.Item>
          <Descriptions.Item label="Parameters">
            {Object.entries(run.parameters)
              .map(([name, value]) => `${name}=${String(value)}`)
              .join(' ') || '—'}
          </Descriptions.Item>
          {run.rerunOf && (
            <Descriptions.Item label="Re-run of">
              <Link to={jobRunPath(run.rerunOf)}>{run.rerunOf}</Link>
            </Descriptions.Item>
          )}
        </Descriptions>
        <TargetCounts counts={run.counts} />
      </Card>
      <Card size="small" title={`Targets (${run.targetList.length})`} style={{ marginBottom: 16 }}>
        <TargetGrid targets={run.targetList} selected={selected} onSelect={select} />
      </Card>
      <Card size="small" title="Output">
        {selectedTarget ? (
          <>
            <TargetFacts target={selectedTarget} />
            <LogViewer
              key={`${run.id}/${selectedTarget.target}`}
              runId={run.id}
              target={selectedTarget.target}
            />
          </>
        ) : (
          <Empty description="Select a target to see its output." />
        )}
      </Card>
    </>
  );
}

function RunActions({ run }: { run: JobRunWithTargets }) {
  const me = useMe();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const allowed = mayOperate(me.data, run.team, run.template === '');
  const refresh = (): Promise<void> => queryClient.invalidateQueries({ queryKey: ['jobs'] });
  const cancel = useMutation({
    mutationFn: () => cancelJobRun(run.id),
    onSuccess: async () => {
      void message.success('Cancel requested');
      await refresh();
    },
  });
  const rerun = useMutation({
    mutationFn: () => rerunFailedTargets(run.id),
    onSuccess: async (created) => {
      await refresh();
      void navigate(jobRunPath(created.id));
    },
  });
  const rerunnable = run.targetList.filter(isRerunnable).length;
  const why = !allowed
    ? run.template === ''
      ? 'An ad-hoc script is a team-admin’s.'
      : `This takes the operator role in team ${run.team}.`
    : undefined;
  const cancelDisabled = !allowed || run.state !== 'Running' || run.cancelRequested;
  const rerunDisabled = !allowed || run.state === 'Running' || rerunnable === 0;
  return (
    <Flex vertical gap={8} align="flex-end">
      <Flex gap={8}>
        <Popconfirm
          title="Cancel this run?"
          description="Queued targets never start; running ones are stopped."
          okText="Cancel run"
          cancelText="Keep running"
          onConfirm={() => cancel.mutate()}
          disabled={cancelDisabled}
        >
          <Tooltip title={why ?? (run.state !== 'Running' ? 'The run has ended.' : undefined)}>
            <Button
              danger
              icon={<StopOutlined />}
              disabled={cancelDisabled}
              loading={cancel.isPending}
              data-testid="run-cancel"
            >
              {run.cancelRequested && run.state === 'Running' ? 'Cancelling…' : 'Cancel'}
            </Button>
          </Tooltip>
        </Popconfirm>
        <Popconfirm
          title={`Re-run ${rerunnable} failed target(s)?`}
          description="A new run of the same template version and parameters."
          okText="Re-run"
          onConfirm={() => rerun.mutate()}
          disabled={rerunDisabled}
        >
          <Tooltip
            title={
              why ??
              (run.state === 'Running'
                ? 'Wait for the run to end, or cancel it.'
                : rerunnable === 0
                  ? 'No target failed.'
                  : undefined)
            }
          >
            <Button
              icon={<RedoOutlined />}
              disabled={rerunDisabled}
              loading={rerun.isPending}
              data-testid="run-rerun"
            >
              Re-run failed
            </Button>
          </Tooltip>
        </Popconfirm>
      </Flex>
      <ErrorAlert error={cancel.error ?? rerun.error} />
    </Flex>
  );
}

function TargetGrid({
  targets,
  selected,
  onSelect,
}: {
  targets: readonly JobTarget[];
  selected: string | undefined;
  onSelect: (target: string) => void;
}) {
  return (
    <div
      data-testid="target-grid"
      style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(168px, 1fr))', gap: 8 }}
    >
      {targets.map((target) => {
        const style = targetStateStyles[target.state];
        const isSelected = target.target === selected;
        return (
          <button
            type="button"
            key={target.target}
            data-testid="target-cell"
            data-target={target.target}
            data-state={target.state}
            aria-pressed={isSelected}
            onClick={() => onSelect(target.target)}
            title={`${target.reason}${target.message ? `: ${target.message}` : ''}`}
            style={{
              textAlign: 'left',
              cursor: 'pointer',
              border: `2px solid ${isSelected ? style.color : 'transparent'}`,
              borderLeft: `5px solid ${style.color}`,
              background: style.background,
              borderRadius: 6,
              padding: '6px 8px',
              font: 'inherit',
            }}
          >
            <div
              style={{
                fontFamily: 'ui-monospace, monospace',
                fontSize: 12.5,
                fontWeight: 600,
                overflow: 'hidden',
                textOverflow: 'ellipsis',
                whiteSpace: 'nowrap',
              }}
            >
              {target.target}
            </div>
            <div style={{ color: style.color, fontSize: 12 }}>
              {style.label}
              {target.exitCode !== null && ` · exit ${target.exitCode}`}
              {target.signal && ` · ${target.signal}`}
              {target.attempt > 1 && ` · attempt ${target.attempt}`}
            </div>
            <div style={{ color: '#57606a', fontSize: 11 }}>
              {target.startedAt ? formatDuration(target.startedAt, target.finishedAt) : target.reason}
              {target.truncated && ' · truncated'}
            </div>
          </button>
        );
      })}
    </div>
  );
}

function TargetFacts({ target }: { target: JobTarget }) {
  return (
    <Descriptions
      size="small"
      column={{ xs: 1, md: 3, xl: 6 }}
      style={{ marginBottom: 8 }}
      data-testid="target-facts"
    >
      <Descriptions.Item label="State">
        <span style={{ color: targetStateStyles[target.state].color }}>
          {targetStateStyles[target.state].label}
        </span>
      </Descriptions.Item>
      <Descriptions.Item label="Reason">
        {target.reason}
        {target.message ? `: ${target.message}` : ''}
      </Descriptions.Item>
      <Descriptions.Item label="Exit code">{target.exitCode ?? '—'}</Descriptions.Item>
      <Descriptions.Item label="Started">{formatTime(target.startedAt)}</Descriptions.Item>
      <Descriptions.Item label="Finished">{formatTime(target.finishedAt)}</Descriptions.Item>
      <Descriptions.Item label="Output">
        {target.outputBytes} bytes{target.truncated ? ' (truncated)' : ''}
      </Descriptions.Item>
    </Descriptions>
  );
}
