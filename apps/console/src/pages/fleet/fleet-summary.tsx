import { Card, Col, Row, Statistic } from 'antd';
import type { FleetTotals } from '../../lib/fleet-totals';

/** The fleet's headline numbers above the groups. */
export function FleetSummary({ totals }: { totals: FleetTotals }) {
  const others = Object.entries(totals.pods)
    .filter(([phase]) => phase !== 'Running')
    .reduce((sum, [, count]) => sum + count, 0);
  const stats = [
    { key: 'clusters', title: 'Clusters', value: totals.clusters },
    {
      key: 'ready',
      title: 'Ready clusters',
      value: totals.readyClusters,
      suffix: `/ ${totals.clusters}`,
      warn: totals.readyClusters < totals.clusters,
    },
    {
      key: 'nodes',
      title: 'Nodes ready',
      value: totals.readyNodes,
      suffix: `/ ${totals.nodes}`,
      warn: totals.readyNodes < totals.nodes,
    },
    {
      key: 'pods',
      title: 'Pods running',
      value: totals.pods['Running'] ?? 0,
      suffix: others > 0 ? `(+${others} other)` : undefined,
    },
  ];
  return (
    <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
      {stats.map((stat) => (
        <Col xs={12} lg={6} key={stat.key}>
          <Card size="small" data-testid={`fleet-stat-${stat.key}`}>
            <Statistic
              title={stat.title}
              value={stat.value}
              suffix={stat.suffix}
              styles={{ content: stat.warn ? { color: '#cf222e' } : undefined }}
            />
          </Card>
        </Col>
      ))}
    </Row>
  );
}
