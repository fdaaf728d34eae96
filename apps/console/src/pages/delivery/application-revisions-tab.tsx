import { RollbackOutlined } from '@ant-design/icons';
import { Button, Card, Empty, Flex, Select, Table, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import type { ApplicationRevision, Resource } from '@gantry/client';
import { DiffView } from '../../components/diff-view';
import { ErrorAlert } from '../../components/error-alert';
import { useApplicationRevisions } from '../../hooks/use-application-revisions';
import { applicationView } from '../../lib/application-status';
import { formatAge, formatTime } from '../../lib/format';
import { RollbackModal } from './rollback-modal';

/**
 * The application's revisions: pick any two to compare what they recorded (the spec and the exact
 * definitions), or roll back to one.
 */
export function ApplicationRevisionsTab({ application }: { application: Resource }) {
  const team = application.metadata.team ?? '';
  const name = application.metadata.name;
  const { revision: applied, latestRevision } = applicationView(application).status;
  const revisions = useApplicationRevisions(team, name, latestRevision);
  const [rollbackTo, setRollbackTo] = useState<ApplicationRevision | undefined>();
  const [pair, setPair] = useState<{ from?: number; to?: number }>({});

  const items = revisions.data ?? [];
  // By default: the one before the newest against the newest.
  const from = pair.from ?? items[1]?.spec.revision ?? items[0]?.spec.revision;
  const to = pair.to ?? items[0]?.spec.revision;
  const byNumber = (revision: number | undefined) => items.find((item) => item.spec.revision === revision);

  if (revisions.error) return <ErrorAlert error={revisions.error} />;
  return (
    <Flex vertical gap={16}>
      <Table<ApplicationRevision>
        size="small"
        rowKey={(revision) => revision.metadata.name}
        loading={revisions.isPending}
        pagination={false}
        dataSource={items}
        data-testid="revisions-table"
        locale={{
          emptyText:
            'No revisions recorded yet: the controller records one when it first sees the application.',
        }}
        onRow={(revision) =>
          ({ 'data-revision': revision.spec.revision }) as React.HTMLAttributes<HTMLElement>
        }
        columns={[
          {
            title: 'Revision',
            key: 'revision',
            width: 140,
            render: (_, revision) => (
              <Flex gap={4} align="center" wrap>
                <span style={{ fontWeight: 500, marginRight: 2 }}>v{revision.spec.revision}</span>
                {revision.spec.revision === latestRevision && (
                  <Tooltip title="The application's spec is this revision">
                    <Tag color="blue">current</Tag>
                  </Tooltip>
                )}
                {revision.spec.revision === applied && (
                  <Tooltip title="The last revision applied to every target">
                    <Tag color="green">applied</Tag>
                  </Tooltip>
                )}
              </Flex>
            ),
          },
          { title: 'Cause', key: 'cause', render: (_, revision) => revision.spec.cause ?? '—' },
          {
            title: 'Hash',
            key: 'hash',
            width: 130,
            render: (_, revision) => (
              <Tooltip title={revision.spec.hash}>
                <code style={{ color: '#6e7781' }}>
                  {(revision.spec.hash ?? '').replace(/^sha256:/, '').slice(0, 12)}
                </code>
              </Tooltip>
            ),
          },
          {
            title: 'Created',
            key: 'created',
            width: 110,
            render: (_, revision) => (
              <Tooltip title={formatTime(revision.metadata.creationTimestamp)}>
                {revision.metadata.creationTimestamp
                  ? `${formatAge(revision.metadata.creationTimestamp)} ago`
                  : '—'}
              </Tooltip>
            ),
          },
          {
            title: '',
            key: 'actions',
            width: 130,
            align: 'right',
            render: (_, revision) => (
              <Tooltip
                title={
                  revision.spec.revision === latestRevision ? 'The spec already is this revision' : undefined
                }
              >
                <Button
                  size="small"
                  icon={<RollbackOutlined />}
                  disabled={revision.spec.revision === latestRevision}
                  onClick={() => setRollbackTo(revision)}
                  data-testid={`rollback-${revision.spec.revision}`}
                >
                  Roll back
                </Button>
              </Tooltip>
            ),
          },
        ]}
      />
      {items.length > 0 && (
        <Card
          size="small"
          title={
            <Flex gap={8} align="center" wrap>
              <span>Compare</span>
              <RevisionPicker
                label="From"
                value={from}
                revisions={items}
                onChange={(value) => setPair({ from: value, to })}
              />
              <span>→</span>
              <RevisionPicker
                label="To"
                value={to}
                revisions={items}
                onChange={(value) => setPair({ from, to: value })}
              />
            </Flex>
          }
        >
          <RevisionDiff from={byNumber(from)} to={byNumber(to)} />
        </Card>
      )}
      {rollbackTo && (
        <RollbackModal
          application={application}
          revision={rollbackTo}
          onClose={() => setRollbackTo(undefined)}
        />
      )}
    </Flex>
  );
}

function RevisionPicker({
  label,
  value,
  revisions,
  onChange,
}: {
  label: string;
  value: number | undefined;
  revisions: readonly ApplicationRevision[];
  onChange: (revision: number) => void;
}) {
  return (
    <Select<number>
      size="small"
      style={{ width: 120 }}
      aria-label={`${label} revision`}
      data-testid={`diff-${label.toLowerCase()}`}
      value={value}
      onChange={onChange}
      options={revisions.map((revision) => ({
        value: revision.spec.revision,
        label: `v${revision.spec.revision}`,
      }))}
    />
  );
}

function RevisionDiff({
  from,
  to,
}: {
  from: ApplicationRevision | undefined;
  to: ApplicationRevision | undefined;
}) {
  if (!from || !to) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description="Pick two revisions" />;
  if (from === to)
    return (
      <Typography.Text type="secondary">
        The same revision on both sides: pick another one to compare.
      </Typography.Text>
    );
  return (
    <Flex vertical gap={12} data-testid="revision-diff">
      <div>
        <Typography.Title level={5} style={{ marginTop: 0 }}>
          Application spec
        </Typography.Title>
        <DiffView
          before={from.spec.applicationSpec}
          after={to.spec.applicationSpec}
          diff={undefined}
          testId="revision-spec-diff"
        />
      </div>
      <div>
        <Typography.Title level={5} style={{ marginTop: 0 }}>
          Definitions
        </Typography.Title>
        <DiffView
          before={from.spec.definitions}
          after={to.spec.definitions}
          diff={undefined}
          testId="revision-definitions-diff"
        />
      </div>
    </Flex>
  );
}
