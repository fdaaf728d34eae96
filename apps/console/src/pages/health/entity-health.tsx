import { useQuery } from '@tanstack/react-query';
import { Card, Empty, List, Space, Typography } from 'antd';
import { Link } from 'react-router';
import { listExceptions, listRisks } from '../../api/health';
import { ErrorAlert } from '../../components/error-alert';
import { formatAge } from '../../lib/format';
import { exceptionEntityFilter, healthPaths, riskEntityFilter, type HealthEntity } from '../../lib/health';
import { LevelTag, ScoreTag, SeverityTag, StateTag } from './health-tags';

/**
 * The open health objects of an application, cluster or node: its active exceptions (open, acknowledged,
 * mitigated) and its open risks, linked to the health center. For the entity's own page to embed.
 */
export function EntityHealth({ team, entity }: { team: string; entity: HealthEntity }) {
  const exceptions = useQuery({
    queryKey: ['exceptions', team, 'entity', entity],
    queryFn: ({ signal }) =>
      listExceptions(team, { state: 'active', ...exceptionEntityFilter(entity) }, { signal }),
    refetchInterval: 10_000,
  });
  const risks = useQuery({
    queryKey: ['risks', team, 'entity', entity],
    queryFn: ({ signal }) => listRisks(team, { state: 'open', entity: riskEntityFilter(entity) }, signal),
    refetchInterval: 30_000,
  });
  const exceptionItems = exceptions.data?.items ?? [];
  const riskItems = [...(risks.data?.items ?? [])].sort((a, b) => b.score - a.score);
  return (
    <Card size="small" title="Health" data-testid="entity-health">
      <ErrorAlert error={exceptions.error ?? risks.error} style={{ marginBottom: 12 }} />
      {exceptionItems.length === 0 && riskItems.length === 0 ? (
        <Empty
          image={Empty.PRESENTED_IMAGE_SIMPLE}
          description={exceptions.isPending || risks.isPending ? 'Loading…' : 'No open exceptions or risks.'}
        />
      ) : (
        <Space direction="vertical" style={{ width: '100%' }}>
          {exceptionItems.length > 0 && (
            <List
              size="small"
              header={<Typography.Text strong>Exceptions</Typography.Text>}
              dataSource={exceptionItems}
              renderItem={(record) => (
                <List.Item data-testid="entity-health-exception">
                  <Space wrap>
                    <StateTag state={record.state} />
                    <SeverityTag severity={record.severity} />
                    {record.level && <LevelTag level={record.level} />}
                    <Link to={healthPaths.exception(team, record.id)}>{record.title}</Link>
                    <Typography.Text type="secondary">{formatAge(record.openedAt)} ago</Typography.Text>
                  </Space>
                </List.Item>
              )}
            />
          )}
          {riskItems.length > 0 && (
            <List
              size="small"
              header={<Typography.Text strong>Risks</Typography.Text>}
              dataSource={riskItems}
              renderItem={(risk) => (
                <List.Item data-testid="entity-health-risk">
                  <Space wrap>
                    <ScoreTag score={risk.score} />
                    <span>{risk.title}</span>
                    <Typography.Text type="secondary">
                      {risk.source.kind} {risk.source.name}
                    </Typography.Text>
                  </Space>
                </List.Item>
              )}
            />
          )}
        </Space>
      )}
    </Card>
  );
}
