import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Descriptions,
  Flex,
  Space,
  Table,
  Tag,
  Timeline,
  Tooltip,
  Typography,
} from 'antd';
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { HealingDiagnosis, HealingDryRunResult, HealingRun } from '@gantry/client';
import { apiRequest } from '../../api/client';
import { decideHealingRun, getHealingRun, getTreeSpec } from '../../api/healing';
import { ErrorAlert } from '../../components/error-alert';
import { PageLoading } from '../../components/page-loading';
import { PageHeader } from '../../components/page-header';
import { formatTime } from '../../lib/format';
import { ReasonModal } from '../../components/reason-modal';
import { DiagnosisGraph } from './diagnosis-graph';
import { HealingPhaseTag } from './healing-tags';

function EvidenceTable({ diagnosis }: { diagnosis: HealingDiagnosis }) {
  return (
    <Table
      data-testid="healing-evidence"
      size="small"
      rowKey="name"
      pagination={false}
      dataSource={diagnosis.evidence}
      columns={[
        { title: 'Evidence', dataIndex: 'name' },
        { title: 'Type', dataIndex: 'type' },
        { title: 'Query', key: 'query', render: (_, e) => e.query ?? '' },
        {
          title: 'Value seen',
          key: 'value',
          render: (_, e) =>
            e.ok ? (
              <Typography.Text code style={{ whiteSpace: 'pre-wrap' }}>
                {JSON.stringify(e.value ?? {})}
              </Typography.Text>
            ) : (
              <Tag color="error">
                {e.reason}: {e.message}
              </Tag>
            ),
        },
        { title: 'ms', key: 'ms', render: (_, e) => e.durationMs.toFixed(1) },
      ]}
    />
  );
}

/** The run's policy tried again on its trigger, with live evidence, acting on nothing. */
function DryRunCard({ run }: { run: HealingRun }) {
  const mutation = useMutation({
    mutationFn: () =>
      apiRequest<HealingDryRunResult>(`/api/teams/${encodeURIComponent(run.team)}/healing/dry-run`, {
        method: 'POST',
        body: {
          policy: run.policy,
          trigger: {
            kind: run.triggerKind === 'condition' ? 'exception' : run.triggerKind,
            id: run.triggerId,
          },
        },
      }),
  });
  const match = mutation.data?.matches[0];
  return (
    <Card size="small" title="Try it again (dry run)" style={{ marginTop: 16 }}>
      <Space direction="vertical" style={{ width: '100%' }}>
        <Button onClick={() => mutation.mutate()} loading={mutation.isPending} data-testid="healing-dry-run">
          Walk the tree now with live evidence
        </Button>
        <ErrorAlert error={mutation.error} />
        {mutation.data &&
          (match ? (
            <Alert
              type="info"
              data-testid="healing-dry-run-result"
              message={`${match.verdict}: ${match.message}`}
              description={`path: ${match.diagnosis.path.map((p) => `${p.step}:${String(p.branch)}`).join(' → ')}`}
            />
          ) : (
            <Alert
              type="warning"
              data-testid="healing-dry-run-result"
              message="The policy does not match the trigger now."
            />
          ))}
      </Space>
    </Card>
  );
}

/** `/healing/teams/:team/runs/:id`: "why did it do that?" — the tree, the path, the values, what was done. */
export function HealingRunPage() {
  const { team = '', id = '' } = useParams();
  const client = useQueryClient();
  const [deciding, setDeciding] = useState<'approve' | 'reject' | undefined>();
  // Opened from an approval request's notification (`?decide=1`, ADR 0041): the decision comes first.
  const [params] = useSearchParams();
  const fromLink = params.get('decide') === '1';
  const run = useQuery({
    queryKey: ['healing', 'run', team, id],
    queryFn: ({ signal }) => getHealingRun(team, id, signal),
    refetchInterval: (query) => (query.state.data?.endedAt ? false : 5_000),
  });
  const treeName = run.data?.diagnosis?.tree;
  const tree = useQuery({
    queryKey: ['healing', 'tree', team, treeName ?? ''],
    queryFn: ({ signal }) => getTreeSpec(team, treeName!, signal),
    enabled: treeName !== undefined,
    staleTime: 60_000,
  });
  if (run.isPending) return <PageLoading />;
  if (run.error || !run.data) return <ErrorAlert error={run.error} />;
  const data = run.data;
  const waiting = data.awaitingApproval !== undefined;
  return (
    <>
      <PageHeader
        title={
          <Space>
            Healing run <HealingPhaseTag phase={data.phase} />
          </Space>
        }
        subtitle={`${data.policy} on ${data.entity}`}
        crumbs={[
          { label: 'Control' },
          { label: 'Healing', to: `/healing?team=${encodeURIComponent(team)}` },
          { label: id.slice(0, 12) },
        ]}
        extra={
          waiting && (
            <Space>
              <Button type="primary" data-testid="run-approve" onClick={() => setDeciding('approve')}>
                Approve {data.awaitingApproval?.action}
              </Button>
              <Button danger data-testid="run-reject" onClick={() => setDeciding('reject')}>
                Reject
              </Button>
            </Space>
          )
        }
      />
      {fromLink &&
        (waiting ? (
          <Alert
            type="warning"
            showIcon
            style={{ marginBottom: 16 }}
            data-testid="approval-from-link"
            message={`${data.awaitingApproval?.action} on ${data.entity} waits for your decision`}
            description={`Requested ${formatTime(data.awaitingApproval?.requestedAt)}; the request expires ${formatTime(data.awaitingApproval?.expiresAt)}. ${data.message}`}
            action={
              <Space direction="vertical">
                <Button type="primary" data-testid="link-approve" onClick={() => setDeciding('approve')}>
                  Approve
                </Button>
                <Button danger data-testid="link-reject" onClick={() => setDeciding('reject')}>
                  Reject
                </Button>
              </Space>
            }
          />
        ) : (
          <Alert
            type="info"
            showIcon
            style={{ marginBottom: 16 }}
            data-testid="approval-closed"
            message={`This run does not wait for a decision now (${data.phase}: ${data.reason})`}
            description={data.approvals
              .filter((a) => a.decision)
              .map((a) => `${a.action} ${a.decision} by ${a.decidedBy}`)
              .join('; ')}
          />
        ))}
      <Card>
        <Descriptions size="small" column={2} data-testid="healing-run-summary">
          <Descriptions.Item label="Policy">
            <Link
              to={`/resources/healingpolicies/${encodeURIComponent(team)}/${encodeURIComponent(data.policy)}`}
            >
              {data.policy}
            </Link>{' '}
            <Tag>{data.mode}</Tag>
          </Descriptions.Item>
          <Descriptions.Item label="Entity">{data.entity}</Descriptions.Item>
          <Descriptions.Item label="Trigger">
            {data.trigger.kind === 'exception' ? (
              <Link
                to={`/health/teams/${encodeURIComponent(team)}/exceptions/${encodeURIComponent(data.trigger.id)}`}
              >
                exception {data.trigger.id.slice(0, 12)}
              </Link>
            ) : (
              `${data.trigger.kind} ${data.trigger.id}`
            )}{' '}
            since {formatTime(data.trigger.since)}
          </Descriptions.Item>
          <Descriptions.Item label="Reason">
            {data.reason}: {data.message}
          </Descriptions.Item>
          <Descriptions.Item label="Root cause" span={2}>
            <span data-testid="healing-root-cause">
              {data.diagnosis?.conclusion
                ? `${data.diagnosis.conclusion.rootCause} → ${data.diagnosis.conclusion.action}`
                : (data.diagnosis?.message ?? 'not diagnosed')}
            </span>
          </Descriptions.Item>
        </Descriptions>
      </Card>
      {data.diagnosis && (
        <Card size="small" title={`Diagnosis: ${data.diagnosis.tree}`} style={{ marginTop: 16 }}>
          <ErrorAlert error={tree.error} style={{ marginBottom: 12 }} />
          {data.diagnosis.failed && (
            <Alert
              type="error"
              style={{ marginBottom: 12 }}
              message={`Stopped at ${data.diagnosis.failed.evidence ?? data.diagnosis.failed.step ?? ''}: ${data.diagnosis.failed.reason}`}
              description={data.diagnosis.failed.message}
            />
          )}
          {tree.data && <DiagnosisGraph spec={tree.data} diagnosis={data.diagnosis} />}
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            Path
          </Typography.Title>
          <Timeline
            data-testid="healing-path"
            items={data.diagnosis.path.map((entry) => ({
              children: (
                <span>
                  <b>{entry.step}</b>: took{' '}
                  {entry.branch === 'otherwise' ? 'otherwise' : `branch ${entry.branch}`}
                  {entry.next ? ` → ${entry.next}` : ''}{' '}
                  {entry.tried.map((t) => (
                    <Tooltip key={t.index} title={t.when}>
                      <Tag color={t.result === true ? 'blue' : t.result === false ? 'default' : 'error'}>
                        {t.when.length > 40 ? `${t.when.slice(0, 39)}…` : t.when} = {String(t.result)}
                      </Tag>
                    </Tooltip>
                  ))}
                </span>
              ),
            }))}
          />
          <EvidenceTable diagnosis={data.diagnosis} />
        </Card>
      )}
      <Flex gap={16} wrap style={{ marginTop: 16 }} align="flex-start">
        <Card size="small" title="Decisions" style={{ flex: 1, minWidth: 360 }}>
          <Timeline
            data-testid="healing-decisions"
            items={data.decisions.map((d) => ({
              children: (
                <span>
                  <Typography.Text type="secondary">{formatTime(d.at)}</Typography.Text> <Tag>{d.stage}</Tag>
                  {d.reason}: {d.message}
                </span>
              ),
            }))}
          />
        </Card>
        <Card size="small" title="Actions, approvals and verification" style={{ flex: 1, minWidth: 360 }}>
          <Table
            data-testid="healing-actions"
            size="small"
            rowKey="key"
            pagination={false}
            dataSource={data.actions}
            locale={{ emptyText: 'No action taken.' }}
            columns={[
              { title: 'Rung', key: 'rung', render: (_, a) => a.rung + 1 },
              { title: 'Action', dataIndex: 'action' },
              { title: 'State', dataIndex: 'state' },
              { title: 'Change', key: 'handle', render: (_, a) => a.handle ?? '' },
              { title: 'Started', key: 'startedAt', render: (_, a) => formatTime(a.startedAt) },
            ]}
          />
          {data.approvals.map((a) => (
            <div key={a.requestedAt} data-testid="healing-approval" style={{ marginTop: 8 }}>
              {a.decision
                ? `${a.action} ${a.decision} by ${a.decidedBy} at ${formatTime(a.decidedAt)}${a.reason ? `: ${a.reason}` : ''}`
                : `${a.action} waits for approval until ${formatTime(a.expiresAt)}`}
            </div>
          ))}
          {data.verifications.map((v) => (
            <div key={v.at} style={{ marginTop: 8 }}>
              <Tag color={v.healed ? 'success' : 'error'}>{v.healed ? 'healed' : 'not healed'}</Tag>{' '}
              {v.message}
            </div>
          ))}
        </Card>
      </Flex>
      {data.triggerKind !== 'condition' && <DryRunCard run={data} />}
      <ReasonModal
        title={deciding === 'reject' ? 'Reject the action' : 'Approve the action'}
        okText={deciding === 'reject' ? 'Reject' : 'Approve'}
        danger={deciding === 'reject'}
        open={deciding !== undefined}
        act={(reason) => decideHealingRun(team, id, deciding!, reason)}
        onClose={() => setDeciding(undefined)}
        onDone={() => {
          setDeciding(undefined);
          void client.invalidateQueries({ queryKey: ['healing'] });
        }}
      />
    </>
  );
}
