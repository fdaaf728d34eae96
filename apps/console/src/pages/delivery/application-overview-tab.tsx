import { Card, Flex, Table, Tag, Tooltip, Typography } from 'antd';
import type { ApplicationTarget, Resource } from '@gantry/client';
import { ConditionsTable } from '../../components/conditions-table';
import { HealthTag } from '../../components/health-tag';
import { EntityHealth } from '../health/entity-health';
import {
  applicationView,
  healthMatrix,
  phaseColor,
  type ApplicationView,
} from '../../lib/application-status';

/** Where the application stands: the components × clusters matrix, its targets and its conditions. */
export function ApplicationOverviewTab({ application }: { application: Resource }) {
  const view = applicationView(application);
  return (
    <Flex vertical gap={16}>
      <EntityHealth
        team={application.metadata.team ?? ''}
        entity={{ kind: 'Application', name: application.metadata.name }}
      />
      <Card title="Health by component and cluster" size="small">
        <HealthMatrixTable view={view} />
      </Card>
      <Card title="Targets" size="small">
        <TargetsTable targets={view.status.targets ?? []} />
      </Card>
      <Card title="Conditions" size="small">
        <ConditionsTable conditions={view.conditions} />
      </Card>
    </Flex>
  );
}

interface MatrixRow {
  readonly component: string;
}

function HealthMatrixTable({ view }: { view: ApplicationView }) {
  const matrix = healthMatrix(view);
  if ((view.status.components ?? []).length === 0)
    return (
      <Typography.Text type="secondary" data-testid="health-matrix-empty">
        No component reports health yet: nothing has been delivered to a cluster Gantry can read (see the
        targets).
      </Typography.Text>
    );
  return (
    <Table<MatrixRow>
      size="small"
      rowKey="component"
      pagination={false}
      scroll={{ x: 'max-content' }}
      data-testid="health-matrix"
      dataSource={matrix.components.map((component) => ({ component }))}
      columns={[
        {
          title: 'Component',
          key: 'component',
          fixed: 'left',
          render: (_, row) => <span style={{ fontWeight: 500 }}>{row.component}</span>,
        },
        ...matrix.clusters.map((cluster) => ({
          title: cluster,
          key: `cluster:${cluster}`,
          render: (_: unknown, row: MatrixRow) => {
            const cell = matrix.cell(row.component, cluster);
            if (!cell)
              return (
                <Tooltip title={`No health reported for ${row.component} on ${cluster}`}>
                  <span style={{ color: '#bfbfbf' }} data-cell={`${row.component}/${cluster}`}>
                    —
                  </span>
                </Tooltip>
              );
            return (
              <div data-cell={`${row.component}/${cluster}`}>
                <HealthTag health={cell.health} message={cell.message} />
                {cell.workload && (
                  <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                    {cell.workload}
                  </Typography.Text>
                )}
              </div>
            );
          },
        })),
      ]}
    />
  );
}

function TargetsTable({ targets }: { targets: readonly ApplicationTarget[] }) {
  return (
    <Table<ApplicationTarget>
      size="small"
      rowKey={(target) => `${target.cluster}/${target.namespace}`}
      pagination={false}
      dataSource={[...targets]}
      data-testid="targets-table"
      locale={{
        emptyText: 'No targets: the topology selects no cluster yet, or the controller has not run.',
      }}
      columns={[
        {
          title: 'Cluster',
          dataIndex: 'cluster',
          render: (cluster: string) => <span style={{ fontWeight: 500 }}>{cluster}</span>,
        },
        { title: 'Namespace', dataIndex: 'namespace' },
        {
          title: 'Environment',
          dataIndex: 'environment',
          render: (environment?: string) => environment || '—',
        },
        {
          title: 'Phase',
          dataIndex: 'phase',
          width: 120,
          render: (phase: string) => <Tag color={phaseColor(phase)}>{phase}</Tag>,
        },
        { title: 'Message', dataIndex: 'message', render: (message?: string) => message || '—' },
        {
          title: 'Revision',
          dataIndex: 'revision',
          width: 100,
          render: (revision?: number) => (revision === undefined ? '—' : `v${revision}`),
        },
      ]}
    />
  );
}
