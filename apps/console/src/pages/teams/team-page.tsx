import { CodeOutlined, SaveOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Flex, Typography } from 'antd';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import type { Resource } from '@gantry/client';
import { replaceResource } from '../../api/resources';
import type { KindInfo } from '../../api/types';
import { listUsers } from '../../api/users';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { PageLoading } from '../../components/page-loading';
import { useKinds } from '../../hooks/use-kinds';
import { useMe } from '../../hooks/use-me';
import { resourceQueryKey, useResource } from '../../hooks/use-resource';
import { membersOf, withMembers, type TeamMember } from '../../lib/team-members';
import { MembersEditor } from './members-editor';

export function TeamPage() {
  const { name = '' } = useParams();
  const kinds = useKinds();
  const teamKind = kinds.data?.find((kind) => kind.kind === 'Team');
  const team = useResource(teamKind, undefined, name);
  const crumbs = [{ label: 'Teams', to: '/teams' }, { label: name }];

  if (kinds.isPending || (teamKind && team.isPending)) return <PageLoading />;
  if (!teamKind || !team.data) {
    return (
      <>
        <PageHeader title={name} crumbs={crumbs} />
        <ErrorAlert error={kinds.error ?? team.error ?? new Error('This server has no Team kind')} />
      </>
    );
  }
  return (
    <TeamMembers key={team.data.metadata.resourceVersion} kind={teamKind} team={team.data} crumbs={crumbs} />
  );
}

function TeamMembers({
  kind,
  team,
  crumbs,
}: {
  kind: KindInfo;
  team: Resource;
  crumbs: { label: string; to?: string }[];
}) {
  const me = useMe();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [members, setMembers] = useState<TeamMember[]>(() => membersOf(team));
  const users = useQuery({ queryKey: ['users'], queryFn: listUsers, enabled: me.data?.user.admin === true });
  const name = team.metadata.name;

  const save = useMutation({
    mutationFn: () =>
      replaceResource(
        { kind, name },
        withMembers(
          team,
          members.filter((member) => member.user.trim() !== ''),
        ),
      ),
    onSuccess: (saved) => {
      void message.success('Members saved');
      queryClient.setQueryData(resourceQueryKey(kind.plural, undefined, name), saved);
      void queryClient.invalidateQueries({ queryKey: ['resources', kind.plural, 'list'] });
      void queryClient.invalidateQueries({ queryKey: ['me'] });
    },
  });

  const dirty = JSON.stringify(members) !== JSON.stringify(membersOf(team));
  return (
    <>
      <PageHeader
        title={name}
        subtitle={`${membersOf(team).length} members · resource version ${team.metadata.resourceVersion ?? '—'}`}
        crumbs={crumbs}
        extra={
          <Link to={`/resources/${kind.plural}/${encodeURIComponent(name)}?tab=yaml`}>
            <Button icon={<CodeOutlined />}>Edit YAML</Button>
          </Link>
        }
      />
      <Card title="Members">
        <Flex vertical gap={16}>
          <MembersEditor
            members={members}
            users={(users.data ?? []).map((user) => user.username)}
            onChange={setMembers}
          />
          <ErrorAlert error={save.error} />
          <Flex gap={8} align="center">
            <Button
              type="primary"
              icon={<SaveOutlined />}
              disabled={!dirty}
              loading={save.isPending}
              onClick={() => save.mutate()}
            >
              Save members
            </Button>
            <Button disabled={!dirty || save.isPending} onClick={() => setMembers(membersOf(team))}>
              Discard
            </Button>
            {dirty && <Typography.Text type="warning">Unsaved changes</Typography.Text>}
          </Flex>
        </Flex>
      </Card>
    </>
  );
}
