import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Flex, Form, Input, Modal, Select, type ButtonProps } from 'antd';
import type { AlertRecord } from '@gantry/client';
import { createSilence } from '../../api/alerts';
import { ErrorAlert } from '../../components/error-alert';
import { useMe } from '../../hooks/use-me';
import { matcherOf, operatorOf, silenceMatchersFor, type MatcherOperator } from '../../lib/alerts';

const durations = [
  { value: 3_600_000, label: '1 hour' },
  { value: 2 * 3_600_000, label: '2 hours' },
  { value: 4 * 3_600_000, label: '4 hours' },
  { value: 12 * 3_600_000, label: '12 hours' },
  { value: 24 * 3_600_000, label: '1 day' },
  { value: 7 * 24 * 3_600_000, label: '1 week' },
];

interface MatcherRow {
  name: string;
  operator: MatcherOperator;
  value: string;
}

interface SilenceForm {
  matchers: MatcherRow[];
  duration: number;
  comment: string;
}

/** A silence of one alert: its labels as matchers (editable), a duration and a comment. */
export function SilenceModal({ alert, onClose }: { alert: AlertRecord; onClose: () => void }) {
  const [form] = Form.useForm<SilenceForm>();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const me = useMe();
  const create = useMutation({
    mutationFn: (values: SilenceForm) => {
      const now = Date.now();
      return createSilence(alert.team, {
        matchers: values.matchers.map((row) => matcherOf(row.name.trim(), row.operator, row.value)),
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + values.duration).toISOString(),
        createdBy: me.data?.user.username ?? 'console',
        comment: values.comment,
      });
    },
    onSuccess: async () => {
      void message.success('Silence created');
      onClose();
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['silences'] }),
        queryClient.invalidateQueries({ queryKey: ['alert-groups'] }),
      ]);
    },
  });
  const initial: SilenceForm = {
    matchers: silenceMatchersFor(alert.labels).map((matcher) => ({
      name: matcher.name,
      operator: operatorOf(matcher),
      value: matcher.value,
    })),
    duration: 2 * 3_600_000,
    comment: '',
  };
  return (
    <Modal
      open
      title={`Silence ${alert.labels.alertname ?? 'alert'}`}
      okText="Create silence"
      okButtonProps={{ loading: create.isPending, 'data-testid': 'silence-submit' } as ButtonProps}
      onOk={() => form.submit()}
      onCancel={onClose}
      width={720}
      destroyOnHidden
    >
      <Form<SilenceForm>
        form={form}
        layout="vertical"
        initialValues={initial}
        onFinish={(values) => create.mutate(values)}
        data-testid="silence-form"
      >
        <Form.List
          name="matchers"
          rules={[
            {
              validator: async (_, rows: unknown[]) => {
                if (!rows || rows.length === 0) throw new Error('A silence needs at least one matcher');
              },
            },
          ]}
        >
          {(fields, { add, remove }, { errors }) => (
            <Form.Item label="Matchers (every one must match)">
              {fields.map((field) => (
                <Flex key={field.key} gap={8} align="baseline">
                  <Form.Item name={[field.name, 'name']} rules={[{ required: true, message: 'label name' }]}>
                    <Input placeholder="label" style={{ width: 180 }} />
                  </Form.Item>
                  <Form.Item name={[field.name, 'operator']}>
                    <Select
                      style={{ width: 70 }}
                      options={(['=', '!=', '=~', '!~'] as const).map((value) => ({ value, label: value }))}
                    />
                  </Form.Item>
                  <Form.Item name={[field.name, 'value']} style={{ flex: 1 }}>
                    <Input placeholder="value" />
                  </Form.Item>
                  <Button
                    icon={<DeleteOutlined />}
                    onClick={() => remove(field.name)}
                    aria-label="Remove matcher"
                  />
                </Flex>
              ))}
              <Button
                icon={<PlusOutlined />}
                onClick={() => add({ name: '', operator: '=', value: '' })}
                size="small"
              >
                Add matcher
              </Button>
              <Form.ErrorList errors={errors} />
            </Form.Item>
          )}
        </Form.List>
        <Form.Item label="Duration" name="duration">
          <Select options={durations} style={{ width: 200 }} />
        </Form.Item>
        <Form.Item label="Comment" name="comment" rules={[{ required: true, message: 'Say why' }]}>
          <Input.TextArea rows={2} data-testid="silence-comment" />
        </Form.Item>
      </Form>
      <ErrorAlert error={create.error} />
    </Modal>
  );
}
