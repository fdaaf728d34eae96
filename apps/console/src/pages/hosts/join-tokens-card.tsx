import { PlusOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Table,
  Tag,
  Tooltip,
  Typography,
  type TableColumnsType,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { JoinToken, JoinTokenCreate, JoinTokenCreated } from '@gantry/client';
import { createJoinToken, listJoinTokens, revokeJoinToken } from '../../api/hosts';
import { CopyButton } from '../../components/copy-button';
import { ErrorAlert } from '../../components/error-alert';
import { LabelsTags } from '../../components/labels-tags';
import { formatAge, formatTime } from '../../lib/format';
import { agentCommand } from '../../lib/hosts';

const stateColors: Record<JoinToken['state'], string> = {
  Active: 'success',
  Expired: 'default',
  UsedUp: 'default',
  Revoked: 'error',
};

interface CreateForm {
  description?: string;
  uses?: number;
  ttlHours?: number;
  labels?: string;
}

/** "role=web, site=fra1" → {role: "web", site: "fra1"}; a pair without "=" is an error for its field. */
function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const trimmed = pair.trim();
    if (!trimmed) continue;
    const at = trimmed.indexOf('=');
    if (at <= 0) throw new Error(`"${trimmed}" is not key=value`);
    labels[trimmed.slice(0, at).trim()] = trimmed.slice(at + 1).trim();
  }
  return labels;
}

/** A team's join tokens (team admins): list, create (the token is shown once), revoke. */
export function JoinTokensCard({ team }: { team: string }) {
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<JoinTokenCreated | null>(null);
  const [form] = Form.useForm<CreateForm>();
  const tokens = useQuery({
    queryKey: ['hosts', 'join-tokens', team],
    queryFn: ({ signal }) => listJoinTokens(team, signal),
  });
  const invalidate = () => queryClient.invalidateQueries({ queryKey: ['hosts', 'join-tokens', team] });
  const create = useMutation({
    mutationFn: (body: JoinTokenCreate) => createJoinToken(team, body),
    onSuccess: (answer) => {
      setCreating(false);
      setCreated(answer);
      form.resetFields();
      void invalidate();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => revokeJoinToken(team, id),
    onSuccess: (_, id) => {
      void message.success(`Join token ${id} revoked`);
      void invalidate();
    },
  });

  const submit = (values: CreateForm): void => {
    let labels: Record<string, string>;
    try {
      labels = parseLabels(values.labels);
    } catch (error) {
      form.setFields([{ name: 'labels', errors: [(error as Error).message] }]);
      return;
    }
    create.mutate({
      ...(values.description ? { description: values.description } : {}),
      ...(values.uses ? { uses: values.uses } : {}),
      ...(values.ttlHours ? { ttlSeconds: Math.round(values.ttlHours * 3600) } : {}),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
    });
  };

  const columns: TableColumnsType<JoinToken> = [
    {
      title: 'ID',
      key: 'id',
      render: (_, token) => <span style={{ fontFamily: 'ui-monospace, monospace' }}>{token.id}</span>,
    },
    { title: 'Description', key: 'description', render: (_, token) => token.description || '—' },
    {
      title: 'State',
      key: 'state',
      render: (_, token) => (
        <Tag color={stateColors[token.state]} data-testid="join-token-state">
          {token.state}
        </Tag>
      ),
    },
    { title: 'Uses', key: 'uses', render: (_, token) => `${token.uses} / ${token.maxUses}` },
    { title: 'Labels', key: 'labels', render: (_, token) => <LabelsTags labels={token.labels} /> },
    { title: 'By', key: 'createdBy', render: (_, token) => token.createdBy },
    {
      title: 'Expires',
      key: 'expiresAt',
      render: (_, token) => formatTime(token.expiresAt),
    },
    {
      title: 'Created',
      key: 'createdAt',
      render: (_, token) => (
        <Tooltip title={formatTime(token.createdAt)}>{formatAge(token.createdAt)} ago</Tooltip>
      ),
    },
    {
      title: '',
      key: 'actions',
      align: 'right',
      render: (_, token) =>
        token.state === 'Active' ? (
          <Popconfirm
            title={`Revoke join token ${token.id}?`}
            description="Agents that already joined keep their credentials."
            okText="Revoke"
            okButtonProps={{ danger: true }}
            onConfirm={() => revoke.mutateAsync(token.id)}
          >
            <Button size="small" danger>
              Revoke
            </Button>
          </Popconfirm>
        ) : null,
    },
  ];

  const command = created ? agentCommand(window.location.origin, created.token) : '';
  return (
    <Card
      title="Join tokens"
      size="small"
      data-testid="join-tokens-card"
      extra={
        <Button type="primary" size="small" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
          Create join token
        </Button>
      }
    >
      <ErrorAlert error={tokens.error ?? revoke.error} style={{ marginBottom: 12 }} />
      <Table<JoinToken>
        data-testid="join-tokens"
        rowKey="id"
        columns={columns}
        dataSource={tokens.data?.items ?? []}
        loading={tokens.isPending}
        pagination={false}
        size="small"
        locale={{ emptyText: 'No join tokens.' }}
      />
      <Modal
        title="Create a join token"
        open={creating}
        onCancel={() => setCreating(false)}
        okText="Create"
        confirmLoading={create.isPending}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <ErrorAlert error={create.error} style={{ marginBottom: 12 }} />
        <Form<CreateForm> form={form} layout="vertical" onFinish={submit} preserve={false}>
          <Form.Item name="description" label="Description">
            <Input maxLength={200} placeholder="web servers in fra1" />
          </Form.Item>
          <Form.Item name="uses" label="Uses" extra="How many agents may join with it (default 1).">
            <InputNumber min={1} max={100_000} style={{ width: 160 }} />
          </Form.Item>
          <Form.Item name="ttlHours" label="Valid for (hours)" extra="Default 24 hours; at most 30 days.">
            <InputNumber min={1} max={720} style={{ width: 160 }} />
          </Form.Item>
          <Form.Item
            name="labels"
            label="Labels"
            extra="Given to every host that joins with it: role=web, site=fra1"
          >
            <Input placeholder="role=web, site=fra1" />
          </Form.Item>
        </Form>
      </Modal>
      <Modal
        title={`Join token ${created?.joinToken.id ?? ''} created`}
        open={created !== null}
        onCancel={() => setCreated(null)}
        destroyOnHidden
        mask={{ closable: false }}
        footer={
          <Button type="primary" onClick={() => setCreated(null)}>
            I have copied it
          </Button>
        }
      >
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          title="Copy the token now"
          description="This is the only time Gantry shows it. Run this on the machine to join it:"
        />
        <Typography.Paragraph code data-testid="join-token-command" style={{ wordBreak: 'break-all' }}>
          {command}
        </Typography.Paragraph>
        <CopyButton text={command} label="Copy command" testId="copy-join-command" />
      </Modal>
    </Card>
  );
}
