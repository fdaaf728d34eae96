import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Popconfirm, Space, Table, Tag } from 'antd';
import { useState } from 'react';
import { deleteUser, listUsers, updateUser, type UserPatch } from '../../api/users';
import type { User } from '../../api/types';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { useMe } from '../../hooks/use-me';
import { formatTime } from '../../lib/format';
import { CreateUserModal } from './create-user-modal';
import { ResetPasswordModal } from './reset-password-modal';

const usersKey = ['users'] as const;

export function UsersPage() {
  const me = useMe();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const users = useQuery({ queryKey: usersKey, queryFn: listUsers });
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: usersKey });

  const update = useMutation({
    mutationFn: ({ username, patch }: { username: string; patch: UserPatch }) => updateUser(username, patch),
    onSuccess: refresh,
    onError: (error) => void message.error(error.message),
  });
  const remove = useMutation({
    mutationFn: deleteUser,
    onSuccess: refresh,
    onError: (error) => void message.error(error.message),
  });

  const self = me.data?.user.username;
  return (
    <>
      <PageHeader
        title="Users"
        subtitle="Accounts that can sign in to Gantry. Team roles are granted on each team."
        crumbs={[{ label: 'Administration' }, { label: 'Users' }]}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            Create user
          </Button>
        }
      />
      <ErrorAlert error={users.error} style={{ marginBottom: 16 }} />
      <Card>
        <Table<User>
          rowKey="username"
          loading={users.isPending}
          dataSource={users.data ?? []}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          data-testid="users-table"
          columns={[
            { title: 'Username', dataIndex: 'username', render: (name: string) => <strong>{name}</strong> },
            {
              title: 'Role',
              dataIndex: 'admin',
              render: (admin: boolean) => (admin ? <Tag color="gold">admin</Tag> : <Tag>member</Tag>),
            },
            {
              title: 'Status',
              dataIndex: 'disabled',
              render: (disabled: boolean) =>
                disabled ? <Tag color="red">disabled</Tag> : <Tag color="green">active</Tag>,
            },
            { title: 'Created', dataIndex: 'createdAt', render: (time?: string) => formatTime(time) },
            {
              title: 'Actions',
              key: 'actions',
              render: (_, user) => (
                <Space size={4} wrap>
                  <Button
                    size="small"
                    disabled={user.username === self}
                    onClick={() =>
                      update.mutate({ username: user.username, patch: { disabled: !user.disabled } })
                    }
                  >
                    {user.disabled ? 'Enable' : 'Disable'}
                  </Button>
                  <Button size="small" onClick={() => setResetting(user.username)}>
                    Reset password
                  </Button>
                  <Popconfirm
                    title={`Delete user ${user.username}?`}
                    description="Their sessions and API tokens stop working."
                    okText="Delete"
                    okButtonProps={{ danger: true }}
                    onConfirm={() => remove.mutateAsync(user.username)}
                  >
                    <Button size="small" danger disabled={user.username === self}>
                      Delete
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <CreateUserModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={() => {
          setCreating(false);
          void message.success('User created');
          void refresh();
        }}
      />
      <ResetPasswordModal
        username={resetting}
        onClose={() => setResetting(null)}
        onDone={() => {
          setResetting(null);
          void message.success('Password changed');
        }}
      />
    </>
  );
}
