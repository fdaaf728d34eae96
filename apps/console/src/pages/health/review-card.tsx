import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Descriptions, Form, Input, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { ExceptionRecord } from '@gantry/client';
import { reviewException } from '../../api/health';
import { ErrorAlert } from '../../components/error-alert';
import { useMe } from '../../hooks/use-me';
import { formatTime } from '../../lib/format';
import { allowedActions, failureLevels, formatFollowUps, parseFollowUps } from '../../lib/health';
import { mayOperate } from '../../lib/jobs';

interface ReviewForm {
  impact: string;
  rootCause: string;
  followUps: string;
}

/**
 * A failure's review: impact, root cause and follow-ups, and when each level was reached. Operators edit
 * it (`PATCH .../exceptions/{id}`; an emptied field is cleared); viewers read it.
 */
export function ReviewCard({ team, exception }: { team: string; exception: ExceptionRecord }) {
  const me = useMe();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [form] = Form.useForm<ReviewForm>();
  const canEdit = mayOperate(me.data, team, false) && allowedActions(exception.state).has('review');
  const save = useMutation({
    mutationFn: (values: ReviewForm) =>
      reviewException(team, exception.id, {
        impact: values.impact.trim() || null,
        rootCause: values.rootCause.trim() || null,
        followUps: parseFollowUps(values.followUps),
      }),
    onSuccess: async () => {
      void message.success('Review saved');
      setEditing(false);
      await queryClient.invalidateQueries({ queryKey: ['exceptions', team] });
      await queryClient.invalidateQueries({ queryKey: ['exception', team, exception.id] });
    },
  });
  const reached = failureLevels.filter((level) => exception.levelRaisedAt[level] !== undefined).reverse();

  return (
    <Card
      size="small"
      title="Failure review"
      data-testid="failure-review"
      extra={
        !editing && (
          <Button
            size="small"
            disabled={!canEdit}
            onClick={() => setEditing(true)}
            data-testid="review-edit"
            title={canEdit ? undefined : 'Operators edit the review'}
          >
            Edit review
          </Button>
        )
      }
    >
      {editing ? (
        <Form<ReviewForm>
          form={form}
          layout="vertical"
          initialValues={{
            impact: exception.impact ?? '',
            rootCause: exception.rootCause ?? '',
            followUps: formatFollowUps(exception.followUps),
          }}
          onFinish={(values) => save.mutate(values)}
        >
          <Form.Item label="Impact" name="impact">
            <Input.TextArea rows={2} data-testid="review-impact" />
          </Form.Item>
          <Form.Item label="Root cause" name="rootCause">
            <Input.TextArea rows={2} data-testid="review-root-cause" />
          </Form.Item>
          <Form.Item
            label="Follow-ups"
            name="followUps"
            extra="One a line: `title @owner`; start with [x] when done."
          >
            <Input.TextArea rows={3} data-testid="review-follow-ups" />
          </Form.Item>
          <ErrorAlert error={save.error} style={{ marginBottom: 12 }} />
          <Space>
            <Button type="primary" htmlType="submit" loading={save.isPending} data-testid="review-save">
              Save
            </Button>
            <Button onClick={() => setEditing(false)}>Cancel</Button>
          </Space>
        </Form>
      ) : (
        <Descriptions size="small" column={1} bordered>
          <Descriptions.Item label="Levels reached">
            {reached.length === 0
              ? 'none yet'
              : reached.map((level) => (
                  <Tag key={level}>
                    {level} at {formatTime(exception.levelRaisedAt[level])}
                  </Tag>
                ))}
          </Descriptions.Item>
          <Descriptions.Item label="Impact">
            <span data-testid="review-impact-text">{exception.impact ?? '—'}</span>
          </Descriptions.Item>
          <Descriptions.Item label="Root cause">
            <span data-testid="review-root-cause-text">{exception.rootCause ?? '—'}</span>
          </Descriptions.Item>
          <Descriptions.Item label="Follow-ups">
            {exception.followUps.length === 0 ? (
              '—'
            ) : (
              <ul style={{ margin: 0, paddingLeft: 18 }} data-testid="review-follow-ups-list">
                {exception.followUps.map((item, index) => (
                  <li key={index}>
                    <Typography.Text delete={item.done}>{item.title}</Typography.Text>
                    {item.owner && <Typography.Text type="secondary"> — {item.owner}</Typography.Text>}
                  </li>
                ))}
              </ul>
            )}
          </Descriptions.Item>
        </Descriptions>
      )}
    </Card>
  );
}
