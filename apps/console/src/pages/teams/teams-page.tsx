import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Flex, Tag, Typography } from 'antd';
import { Link } from 'react-router';
import type { Resource } from '@gantry/client';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { ResourceTable } from '../../components/resource-table';
import { useKinds } from '../../hooks/use-kinds';
import { useMe } from '../../hooks/use-me';
import { useResourceList } from '../../hooks/use-resource-list';
import { membersOf } from '../../lib/team-members';
import { UnavailablePage } from '../platform/unavailable-page';

export function TeamsPage() {
  const kinds = useKinds();
  const me = useMe();
  const teamKind = kinds.data?.find((kind) => kind.kind === 'Team');
  const list = useResourceList(teamKind, {});
  if (kinds.isPending) return <PageLoading />;
  if (!teamKind) return <UnavailablePage />;

  const items = (list.data?.pages ?? []).flatMap((page) => page.items);
  const roleOf = (team: Resource): string | undefined =>
    me.data?.teams.find((membership) => membership.team === team.metadata.name)?.role;

  return (
    <>
      <PageHeader
        title="Teams"
        subtitle="Teams own resources; their members get the team-admin, operator or viewer role."
        crumbs={[{ label: 'Delivery' }, { label: 'Teams' }]}
        extra={
          <Link to="/resources/teams/new">
            <Button type="primary" icon={<PlusOutlined />}>
              Create team
            </Button>
          </Link>
        }
      />
      <ErrorAlert error={list.error} style={{ marginBottom: 16 }} />
      <Card>
        <ResourceTable
          kind={teamKind}
          items={items}
          loading={list.isPending}
          linkTo={(team) => `/teams/${encodeURIComponent(team.metadata.name)}`}
          extraColumns={[
            { title: 'Members', key: 'members', render: (_, team) => membersOf(team).length },
            {
              title: 'Your role',
              key: 'role',
              render: (_, team) => {
                const role = me.data?.user.admin ? 'admin' : roleOf(team);
                return role ? <Tag color={role === 'admin' ? 'gold' : 'blue'}>{role}</Tag> : '—';
              },
            },
          ]}
        />
        {list.hasNextPage && (
          <Flex justify="flex-end" style={{ marginTop: 16 }}>
            <Button onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
              Load more
            </Button>
          </Flex>
        )}
        <Typography.Text type="secondary" style={{ display: 'block', marginTop: 12, fontSize: 12 }}>
          Open a team to manage its members.
        </Typography.Text>
      </Card>
    </>
  );
}
