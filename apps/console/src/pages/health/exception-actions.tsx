import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Form, Input, Modal, Select, Space, Tooltip, type ButtonProps } from 'antd';
import { useState } from 'react';
import type { ExceptionRecord } from '@gantry/client';
import {
  assignException,
  commentException,
  listExceptions,
  mergeException,
  transitionException,
  type ExceptionTransition,
} from '../../api/health';
import { ErrorAlert } from '../../components/error-alert';
import { allowedActions, type ExceptionAction } from '../../lib/health';

type ModalAction = Exclude<ExceptionAction, 'review'>;

const labels: Record<ModalAction, string> = {
  acknowledge: 'Acknowledge',
  mitigate: 'Mitigate',
  resolve: 'Resolve',
  reopen: 'Reopen',
  assign: 'Assign',
  comment: 'Comment',
  merge: 'Merge another in',
};

const order: readonly ModalAction[] = [
  'acknowledge',
  'assign',
  'comment',
  'mitigate',
  'resolve',
  'reopen',
  'merge',
];

interface ActionForm {
  reason?: string;
  assignee?: string;
  message?: string;
  from?: string;
}

/**
 * The lifecycle actions of an exception. Each is offered only in the states the server accepts it in;
 * a viewer sees them all disabled (operators, team-admins and admins act).
 */
export function ExceptionActions({
  exception,
  canOperate,
}: {
  exception: ExceptionRecord;
  canOperate: boolean;
}) {
  const [action, setAction] = useState<ModalAction>();
  const allowed = allowedActions(exception.state);
  return (
    <>
      <Space wrap data-testid="exception-actions">
        {order.map((name) => {
          const disabled = !canOperate || !allowed.has(name);
          const button = (
            <Button
              key={name}
              type={name === 'acknowledge' || name === 'resolve' ? 'primary' : 'default'}
              disabled={disabled}
              onClick={() => setAction(name)}
              data-testid={`exception-action-${name}`}
            >
              {labels[name]}
            </Button>
          );
          return canOperate ? (
            button
          ) : (
            <Tooltip key={name} title="Viewers read; operators act">
              {button}
            </Tooltip>
          );
        })}
      </Space>
      {action && <ActionModal exception={exception} action={action} onClose={() => setAction(undefined)} />}
    </>
  );
}

function ActionModal({
  exception,
  action,
  onClose,
}: {
  exception: ExceptionRecord;
  action: ModalAction;
  onClose: () => void;
}) {
  const [form] = Form.useForm<ActionForm>();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const { team, id } = exception;
  const candidates = useQuery({
    queryKey: ['exceptions', team, 'merge-candidates'],
    queryFn: ({ signal }) =>
      listExceptions(team, { state: 'open,acknowledged,mitigated,resolved' }, { signal }),
    enabled: action === 'merge',
  });
  const run = useMutation({
    mutationFn: (values: ActionForm) => {
      const reason = values.reason?.trim() || undefined;
      switch (action) {
        case 'assign':
          return assignException(team, id, values.assignee?.trim() || null, reason);
        case 'comment':
          return commentException(team, id, values.message?.trim() ?? '');
        case 'merge':
          return mergeException(team, id, values.from ?? '', reason);
        default:
          return transitionException(team, id, action as ExceptionTransition, reason);
      }
    },
    onSuccess: async () => {
      void message.success(`${labels[action]}: done`);
      onClose();
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['exception', team, id] }),
        queryClient.invalidateQueries({ queryKey: ['exceptions', team] }),
      ]);
    },
  });
  return (
    <Modal
      open
      title={`${labels[action]} — ${exception.title}`}
      okText={labels[action]}
      okButtonProps={{ loading: run.isPending, 'data-testid': 'exception-action-submit' } as ButtonProps}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form<ActionForm>
        form={form}
        layout="vertical"
        initialValues={{ assignee: exception.assignee ?? '' }}
        onFinish={(values) => run.mutate(values)}
      >
        {action === 'assign' && (
          <Form.Item label="Assignee" name="assignee" extra="A user name; empty unassigns.">
            <Input data-testid="exception-assignee" />
          </Form.Item>
        )}
        {action === 'comment' && (
          <Form.Item label="Comment" name="message" rules={[{ required: true, message: 'Write something' }]}>
            <Input.TextArea rows={3} data-testid="exception-comment" />
          </Form.Item>
        )}
        {action === 'merge' && (
          <Form.Item
            label="Exception to merge into this one"
            name="from"
            rules={[{ required: true, message: 'Pick an exception' }]}
            extra="Its alerts and timeline move here; it becomes merged."
          >
            <Select
              showSearch
              optionFilterProp="label"
              loading={candidates.isPending}
              data-testid="exception-merge-from"
              options={(candidates.data?.items ?? [])
                .filter((candidate) => candidate.id !== id)
                .map((candidate) => ({
                  value: candidate.id,
                  label: `${candidate.title} (${candidate.state}, ${candidate.id})`,
                }))}
            />
          </Form.Item>
        )}
        {action !== 'comment' && (
          <Form.Item label="Reason (for the timeline)" name="reason">
            <Input.TextArea rows={2} data-testid="exception-reason" />
          </Form.Item>
        )}
      </Form>
      <ErrorAlert error={run.error ?? candidates.error} />
    </Modal>
  );
}
