import { ReloadOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Button,
  Card,
  Descriptions,
  Empty,
  Flex,
  Progress,
  Table,
  Tag,
  Timeline,
  Tooltip,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useParams } from 'react-router';
import { changeSummary, type ChangeActionName, type ChangeBatchStatus } from '@gantry/client';
import { actOnChange, getChange, getChangeJournal } from '../../api/changes';
import { ConditionsTable } from '../../components/conditions-table';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import {
  ENDED_PHASES,
  bakeProgress,
  batchGates,
  batchPhaseColors,
  changeProgress,
  changesPath,
  entityOutcomes,
  formatMs,
  journalRequests,
} from '../../lib/changes';
import { formatTime } from '../../lib/format';
import { PhaseTag } from './changes-page';
import { LineCard } from './line-card';
import { ReasonModal } from '../../components/reason-modal';

const refreshMs = 2_000;

/** The current time, every second: bake progress moves while the page is open. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

const outcomeColors: Record<string, string> = {
  Succeeded: 'success',
  Failed: 'error',
  Started: 'processing',
  Running: 'processing',
  Pending: 'default',
};

function BatchItem({
  batch,
  count,
  outcomes,
  now,
}: {
  batch: ChangeBatchStatus;
  count: number;
  outcomes: Map<string, { state: string; message?: string }>;
  now: number;
}) {
  const bake = bakeProgress(batch, now);
  const gates = batchGates(batch);
  return (
    <div data-testid="change-batch" data-batch={batch.index} data-phase={batch.phase}>
      <Flex gap={8} align="center" wrap>
        <Typography.Text strong>
          Batch {batch.index + 1} of {count}
        </Typography.Text>
        <Tag color={batchPhaseColors[batch.phase]}>{batch.phase}</Tag>
        <Typography.Text type="secondary">
          {batch.entities.length} entit{batch.entities.length === 1 ? 'y' : 'ies'} · {batch.applied} applied ·
          bake {batch.bake}
        </Typography.Text>
        {batch.startedAt && (
          <Typography.Text type="secondary">started {formatTime(batch.startedAt)}</Typography.Text>
        )}
        {batch.completedAt && (
          <Typography.Text type="secondary">completed {formatTime(batch.completedAt)}</Typography.Text>
        )}
      </Flex>
      {bake && (
        <Flex gap={8} align="center" style={{ maxWidth: 560, marginTop: 4 }} data-testid="batch-bake">
          <Progress
            percent={bake.percent}
            size="small"
            status={bake.percent >= 100 ? 'success' : 'active'}
            style={{ flex: 1, marginBottom: 0 }}
          />
          <Typography.Text type="secondary" style={{ whiteSpace: 'nowrap' }}>
            {bake.remainingMs > 0
              ? `observed until ${formatTime(batch.observeUntil)} (${formatMs(bake.remainingMs)} left)`
              : `observed until ${formatTime(batch.observeUntil)}`}
          </Typography.Text>
        </Flex>
      )}
      <Flex gap={4} wrap style={{ marginTop: 6 }}>
        {batch.entities.map((entity) => {
          const failed = batch.failed.find((f) => f.entity === entity);
          const outcome = failed
            ? { state: 'Failed', message: failed.message }
            : (outcomes.get(entity) ?? { state: 'Pending' });
          return (
            <Tooltip key={entity} title={outcome.message ?? outcome.state}>
              <Tag
                color={outcomeColors[outcome.state] ?? 'default'}
                data-testid="batch-entity"
                data-entity={entity}
                data-state={outcome.state}
              >
                {entity}
              </Tag>
            </Tooltip>
          );
        })}
      </Flex>
      {gates.length > 0 && (
        <Table
          size="small"
          style={{ marginTop: 8, maxWidth: 720 }}
          data-testid="batch-gates"
          rowKey="name"
          pagination={false}
          dataSource={gates}
          columns={[
            { title: 'Gate', dataIndex: 'name' },
            {
              title: 'Verdict',
              dataIndex: 'verdict',
              render: (verdict: string) => (
                <Tag
                  color={
                    /pass|succe/i.test(verdict) ? 'success' : /fail/i.test(verdict) ? 'error' : 'default'
                  }
                >
                  {verdict}
                </Tag>
              ),
            },
            { title: 'Values', dataIndex: 'values', render: (values?: string) => values ?? '—' },
            { title: 'Message', dataIndex: 'message', render: (message?: string) => message ?? '—' },
          ]}
        />
      )}
    </div>
  );
}

/** `/changes/teams/:team/:name`: a change as a timeline of batches, its requests, and pause, resume, abort. */
export function ChangePage() {
  const { team = '', name = '' } = useParams();
  const client = useQueryClient();
  const now = useNow();
  const [asking, setAsking] = useState<ChangeActionName | undefined>();
  const change = useQuery({
    queryKey: ['changes', 'item', team, name],
    queryFn: ({ signal }) => getChange(team, name, signal),
    refetchInterval: (query) => (ENDED_PHASES.has(query.state.data?.status?.phase ?? '') ? false : refreshMs),
  });
  const ended = ENDED_PHASES.has(change.data?.status?.phase ?? '');
  const journal = useQuery({
    queryKey: ['changes', 'journal', team, name],
    queryFn: ({ signal }) => getChangeJournal(team, name, signal),
    refetchInterval: ended ? false : refreshMs,
  });
  const crumbs = [{ label: 'Management' }, { label: 'Changes', to: changesPath }, { label: name }];
  if (change.isPending) return <PageLoading />;
  if (!change.data)
    return (
      <>
        <PageHeader title={name} crumbs={crumbs} />
        <ErrorAlert error={change.error} />
      </>
    );
  const data = change.data;
  const status = data.status;
  const phase = status?.phase ?? 'Pending';
  const batches = status?.batches ?? [];
  const outcomes = entityOutcomes(journal.data?.items ?? []);
  const requests = journalRequests(journal.data?.items ?? []);
  const progress = changeProgress(status);
  const refresh = () => {
    setAsking(undefined);
    void client.invalidateQueries({ queryKey: ['changes'] });
  };
  return (
    <>
      <PageHeader
        title={
          <Flex gap={10} align="center">
            <span>{name}</span>
            <PhaseTag phase={status?.phase} />
          </Flex>
        }
        subtitle={status?.message ?? data.spec.description}
        crumbs={crumbs}
        extra={
          <Flex gap={8}>
            {!ended && phase !== 'Paused' && (
              <Button onClick={() => setAsking('pause')} data-testid="change-pause">
                Pause
              </Button>
            )}
            {phase === 'Paused' && (
              <Button type="primary" onClick={() => setAsking('resume')} data-testid="change-resume">
                Resume
              </Button>
            )}
            {!ended && (
              <Button danger onClick={() => setAsking('abort')} data-testid="change-abort">
                Abort
              </Button>
            )}
            <Button
              icon={<ReloadOutlined />}
              onClick={() => void change.refetch()}
              loading={change.isRefetching}
            />
          </Flex>
        }
      />
      <ErrorAlert error={change.error ?? journal.error} style={{ marginBottom: 16 }} />
      <Flex vertical gap={16}>
        <Card size="small">
          <Descriptions size="small" column={{ xs: 1, md: 3 }}>
            <Descriptions.Item label="Team">{team}</Descriptions.Item>
            <Descriptions.Item label="Action">{changeSummary(data.spec)}</Descriptions.Item>
            <Descriptions.Item label="Progress">
              <span data-testid="change-progress-text">
                {progress.applied} of {progress.total} entities
              </span>
            </Descriptions.Item>
            <Descriptions.Item label="Started">{formatTime(status?.startedAt)}</Descriptions.Item>
            <Descriptions.Item label="Ended">{formatTime(status?.completedAt)}</Descriptions.Item>
            <Descriptions.Item label="Windows">
              {data.spec.windows.length > 0 ? data.spec.windows.join(', ') : 'only those that apply to all'}
            </Descriptions.Item>
            {status?.waitingUntil && (
              <Descriptions.Item label="Waits until">
                <span data-testid="change-waiting-until">{formatTime(status.waitingUntil)}</span>
              </Descriptions.Item>
            )}
            {status?.paused && (
              <Descriptions.Item label="Paused">
                by {status.paused.actor}: {status.paused.reason}
              </Descriptions.Item>
            )}
            {status?.aborted && (
              <Descriptions.Item label="Aborted">
                by {status.aborted.actor}: {status.aborted.reason}
              </Descriptions.Item>
            )}
          </Descriptions>
        </Card>
        <Card size="small" title="Batches">
          {batches.length === 0 ? (
            <Empty
              description="Not started: batches appear when the change starts."
              image={Empty.PRESENTED_IMAGE_SIMPLE}
            />
          ) : (
            <Timeline
              data-testid="change-timeline"
              items={batches.map((batch) => ({
                key: batch.index,
                color: batchPhaseColors[batch.phase],
                children: <BatchItem batch={batch} count={batches.length} outcomes={outcomes} now={now} />,
              }))}
            />
          )}
        </Card>
        <Card size="small" title="Requests">
          <Table
            size="small"
            rowKey="seq"
            data-testid="change-requests"
            pagination={false}
            dataSource={requests}
            locale={{ emptyText: 'No one has paused, resumed or aborted this change.' }}
            columns={[
              { title: 'Action', dataIndex: 'action', render: (action: string) => <Tag>{action}</Tag> },
              { title: 'By', dataIndex: 'actor' },
              { title: 'Why', dataIndex: 'reason' },
              { title: 'When', dataIndex: 'at', render: (at: string) => formatTime(at) },
            ]}
          />
        </Card>
        <LineCard team={team} />
        {status?.conditions && (
          <Card size="small" title="Conditions">
            <ConditionsTable conditions={status.conditions} />
          </Card>
        )}
      </Flex>
      {(['pause', 'resume', 'abort'] as const).map((action) => (
        <ReasonModal
          key={action}
          title={`${action[0]!.toUpperCase()}${action.slice(1)} ${name}?`}
          okText={`${action[0]!.toUpperCase()}${action.slice(1)}`}
          danger={action === 'abort'}
          open={asking === action}
          act={(reason) => actOnChange(team, name, action, reason)}
          onClose={() => setAsking(undefined)}
          onDone={refresh}
        />
      ))}
    </>
  );
}
