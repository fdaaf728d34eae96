import { CheckCircleFilled, MinusCircleOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Card, Col, Descriptions, Flex, Row, Tag, Typography } from 'antd';
import { Link } from 'react-router';
import { fetchVersion } from '../api/auth';
import { ErrorAlert } from '../components/error-alert';
import { PageHeader } from '../components/page-header';
import { resolveEntry } from '../hooks/use-entry-link';
import { useKinds } from '../hooks/use-kinds';
import { useMe } from '../hooks/use-me';
import { platformMap } from '../lib/platform-map';

/** The landing page: the platform map with what this server offers today, and who you are. */
export function OverviewPage() {
  const me = useMe();
  const kinds = useKinds();
  const version = useQuery({ queryKey: ['version'], queryFn: fetchVersion, staleTime: Infinity });
  const isAdmin = me.data?.user.admin ?? false;

  return (
    <>
      <PageHeader
        title="Overview"
        subtitle="The platform map: delivery, monitoring, management, control, operations and service."
      />
      <ErrorAlert error={kinds.error} style={{ marginBottom: 16 }} />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={17}>
          <Row gutter={[16, 16]}>
            {platformMap.map((section) => (
              <Col xs={24} md={12} key={section.key}>
                <Card
                  title={section.label}
                  size="small"
                  style={{ height: '100%' }}
                  data-testid={`section-${section.key}`}
                >
                  <Flex vertical gap={10}>
                    {section.entries
                      .filter((entry) => !entry.adminOnly || isAdmin)
                      .map((entry) => {
                        const link = resolveEntry(entry, kinds.data);
                        return (
                          <Flex key={entry.key} gap={10} align="flex-start">
                            {link.available ? (
                              <CheckCircleFilled style={{ color: '#2da44e', marginTop: 4 }} />
                            ) : (
                              <MinusCircleOutlined style={{ color: '#bfbfbf', marginTop: 4 }} />
                            )}
                            <div>
                              <Link to={link.to}>{entry.label}</Link>
                              {link.kind && <Tag style={{ marginLeft: 8 }}>{link.kind.kind}</Tag>}
                              <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                                {link.available ? entry.description : 'Not available in this version'}
                              </Typography.Text>
                            </div>
                          </Flex>
                        );
                      })}
                  </Flex>
                </Card>
              </Col>
            ))}
          </Row>
        </Col>
        <Col xs={24} xl={7}>
          <Flex vertical gap={16}>
            <Card title="You" size="small">
              <Descriptions
                column={1}
                size="small"
                items={[
                  { key: 'user', label: 'User', children: me.data?.user.username ?? '…' },
                  {
                    key: 'role',
                    label: 'Global role',
                    children: isAdmin ? <Tag color="gold">admin</Tag> : 'member',
                  },
                  {
                    key: 'teams',
                    label: 'Teams',
                    children:
                      me.data && me.data.teams.length > 0
                        ? me.data.teams.map((team) => (
                            <Tag key={team.team}>
                              {team.team} · {team.role}
                            </Tag>
                          ))
                        : '—',
                  },
                ]}
              />
            </Card>
            <Card title="Server" size="small">
              <Descriptions
                column={1}
                size="small"
                items={[
                  { key: 'version', label: 'Version', children: version.data?.version ?? '—' },
                  { key: 'commit', label: 'Commit', children: version.data?.commit?.slice(0, 12) ?? '—' },
                  { key: 'database', label: 'Database', children: version.data?.database ?? '—' },
                  {
                    key: 'kinds',
                    label: 'Resource kinds',
                    children: <Link to="/resources">{kinds.data?.length ?? '…'}</Link>,
                  },
                ]}
              />
            </Card>
          </Flex>
        </Col>
      </Row>
    </>
  );
}
