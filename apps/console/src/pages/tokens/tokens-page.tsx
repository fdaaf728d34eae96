import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Popconfirm, Switch, Table, Tag, Tooltip } from 'antd';
import { useState } from 'react';
import { listTokens, revokeToken } from '../../api/tokens';
import type { ApiToken, CreatedToken } from '../../api/types';
import { ErrorAlert } from '../../components/error-alert';
import { PageHeader } from '../../components/page-header';
import { useMe } from '../../hooks/use-me';
import { formatAge, formatTime } from '../../lib/format';
import { CreateTokenModal } from './create-token-modal';
import { TokenSecretModal } from './token-secret-modal';

export function TokensPage() {
  const me = useMe();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [all, setAll] = useState(false);
  const tokens = useQuery({ queryKey: ['tokens', { all }], queryFn: () => listTokens(all) });
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<CreatedToken | null>(null);
  const [showSecret, setShowSecret] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['tokens'] });

  const revoke = useMutation({
    mutationFn: revokeToken,
    onSuccess: () => {
      void message.success('Token revoked');
      void refresh();
    },
    onError: (error) => void message.error(error.message),
  });

  const isAdmin = me.data?.user.admin ?? false;
  return (
    <>
      <PageHeader
        title="API tokens"
        subtitle="Tokens let the CLI and automation call the API as you."
        crumbs={[{ label: 'Administration' }, { label: 'Tokens' }]}
        extra={
          <>
            {isAdmin && (
              <Tooltip title="Administrators can list every user's tokens">
                <span style={{ alignSelf: 'center' }}>
                  <Switch size="small" checked={all} onChange={setAll} /> All users
                </span>
              </Tooltip>
            )}
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
              Create token
            </Button>
          </>
        }
      />
      <ErrorAlert error={tokens.error} style={{ marginBottom: 16 }} />
      <Card>
        <Table<ApiToken>
          rowKey="id"
          loading={tokens.isPending}
          dataSource={tokens.data ?? []}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          data-testid="tokens-table"
          locale={{ emptyText: 'No API tokens yet' }}
          columns={[
            { title: 'Name', dataIndex: 'name', render: (name: string) => <strong>{name}</strong> },
            ...(all ? [{ title: 'User', dataIndex: 'username' }] : []),
            { title: 'Created', dataIndex: 'createdAt', render: (time?: string) => formatTime(time) },
            {
              title: 'Expires',
              dataIndex: 'expiresAt',
              render: (time: string | undefined, token) => {
                if (token.revokedAt) return <Tag color="red">revoked</Tag>;
                if (time && Date.parse(time) < Date.now()) return <Tag color="red">expired</Tag>;
                return formatTime(time);
              },
            },
            {
              title: 'Last used',
              dataIndex: 'lastUsedAt',
              render: (time?: string | null) =>
                time ? <Tooltip title={formatTime(time)}>{formatAge(time)} ago</Tooltip> : 'never',
            },
            {
              title: '',
              key: 'actions',
              align: 'right',
              render: (_, token) =>
                token.revokedAt ? null : (
                  <Popconfirm
                    title={`Revoke ${token.name}?`}
                    description="Anything using it stops working at once."
                    okText="Revoke"
                    okButtonProps={{ danger: true }}
                    onConfirm={() => revoke.mutateAsync(token.id)}
                  >
                    <Button size="small" danger>
                      Revoke
                    </Button>
                  </Popconfirm>
                ),
            },
          ]}
        />
      </Card>
      <CreateTokenModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(token) => {
          setCreating(false);
          setSecret(token);
          setShowSecret(true);
          void refresh();
        }}
      />
      <TokenSecretModal
        token={secret}
        open={showSecret}
        onClose={() => setShowSecret(false)}
        afterClose={() => setSecret(null)}
      />
    </>
  );
}
