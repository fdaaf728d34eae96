import { ExperimentOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Empty, Flex, Switch, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { ObjectAction, ObjectDiff, TargetDiff } from '@gantry/client';
import { diffApplication } from '../../api/delivery';
import { DiffLines } from '../../components/diff-view';
import { ErrorAlert } from '../../components/error-alert';
import { objectDiffLines } from '../../lib/delivery-diff';

const actionColors: Record<ObjectAction, string> = {
  create: 'success',
  update: 'warning',
  unchanged: 'default',
  prune: 'error',
};
const actions: readonly ObjectAction[] = ['create', 'update', 'prune', 'unchanged'];

/**
 * The server-side dry run: what applying the application now would create, change or prune on each
 * target. It renders and reads the live objects, so it runs when asked, not on every visit.
 */
export function ApplicationDiffTab({ team, name }: { team: string; name: string }) {
  const [requested, setRequested] = useState(false);
  const [hideUnchanged, setHideUnchanged] = useState(true);
  const diff = useQuery({
    queryKey: ['delivery', 'diff', team, name],
    queryFn: ({ signal }) => diffApplication(team, name, signal),
    enabled: requested,
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
  });
  return (
    <Flex vertical gap={16}>
      <Flex gap={12} align="center" wrap>
        <Button
          type="primary"
          icon={<ExperimentOutlined />}
          loading={diff.isFetching}
          data-testid="run-diff"
          onClick={() => (requested ? void diff.refetch() : setRequested(true))}
        >
          {requested ? 'Run again' : 'Run diff'}
        </Button>
        <Flex gap={6} align="center">
          <Switch
            size="small"
            checked={hideUnchanged}
            onChange={setHideUnchanged}
            aria-label="Hide unchanged objects"
          />
          <Typography.Text>Hide unchanged objects</Typography.Text>
        </Flex>
        <Typography.Text type="secondary">
          Renders the current spec and compares it with what each cluster has. Nothing is written.
        </Typography.Text>
      </Flex>
      <ErrorAlert error={diff.error} title="The diff could not be made" />
      {!requested && (
        <Empty
          image={Empty.PRESENTED_IMAGE_SIMPLE}
          description="Run the diff to see what a sync would change."
        />
      )}
      {(diff.data?.problems ?? []).map((problem) => (
        <Alert key={problem} type="warning" showIcon title={problem} />
      ))}
      {diff.data && diff.data.targets.length === 0 && (
        <Empty
          image={Empty.PRESENTED_IMAGE_SIMPLE}
          description="No targets: the topology selects no cluster."
        />
      )}
      {diff.data?.targets.map((target) => (
        <TargetCard
          key={`${target.cluster}/${target.namespace}`}
          target={target}
          hideUnchanged={hideUnchanged}
        />
      ))}
    </Flex>
  );
}

function TargetCard({ target, hideUnchanged }: { target: TargetDiff; hideUnchanged: boolean }) {
  const objects = target.objects ?? [];
  const shown = hideUnchanged ? objects.filter((object) => object.action !== 'unchanged') : objects;
  return (
    <Card
      size="small"
      data-target={`${target.cluster}/${target.namespace}`}
      title={
        <Flex gap={8} align="center" wrap>
          <span>{target.cluster}</span>
          <Typography.Text type="secondary" style={{ fontWeight: 400 }}>
            namespace {target.namespace}
            {target.environment ? ` · environment ${target.environment}` : ''}
          </Typography.Text>
        </Flex>
      }
      extra={
        <Flex gap={4}>
          {actions.map((action) => {
            const count = objects.filter((object) => object.action === action).length;
            return count > 0 ? (
              <Tag key={action} color={actionColors[action]} style={{ marginInlineEnd: 0 }}>
                {count} {action}
              </Tag>
            ) : null;
          })}
        </Flex>
      }
    >
      {target.error && <Alert type="error" showIcon title={target.error} style={{ marginBottom: 12 }} />}
      {!(target.error && objects.length === 0) && (
        <Table<ObjectDiff>
          size="small"
          pagination={false}
          dataSource={shown}
          rowKey={(object) => `${object.apiVersion}/${object.kind}/${object.namespace ?? ''}/${object.name}`}
          locale={{
            emptyText: objects.length > 0 ? 'Every object is up to date' : 'Nothing rendered for this target',
          }}
          expandable={{
            rowExpandable: (object) => (object.diff ?? []).length > 0,
            expandedRowRender: (object) => (
              <DiffLines lines={objectDiffLines(object.diff ?? [])} testId="object-diff" />
            ),
          }}
          columns={[
            {
              title: 'Action',
              dataIndex: 'action',
              width: 110,
              render: (action: ObjectAction) => <Tag color={actionColors[action] ?? 'default'}>{action}</Tag>,
            },
            { title: 'Kind', dataIndex: 'kind', width: 160 },
            {
              title: 'Name',
              key: 'name',
              render: (_, object) => (
                <span style={{ fontWeight: 500 }}>
                  {object.namespace ? `${object.namespace}/` : ''}
                  {object.name}
                </span>
              ),
            },
            {
              title: 'Component',
              dataIndex: 'component',
              width: 140,
              render: (component?: string) => component ?? '—',
            },
            {
              title: 'API version',
              dataIndex: 'apiVersion',
              width: 160,
              render: (value: string) => <code>{value}</code>,
            },
            {
              title: 'Changes',
              key: 'changes',
              width: 100,
              align: 'right',
              render: (_, object) => (object.diff && object.diff.length > 0 ? object.diff.length : '—'),
            },
          ]}
        />
      )}
    </Card>
  );
}
